"""Progress: a bar in a terminal, plain lines in a log file or a pipe; a line per metric scored."""
import fcntl
import json
import os
import select
import struct
import sys
import termios

import pytest

from harness.engine import progress as progress_module
from harness.engine.progress import Progress, Step, duration
from harness.metrics.base import Corpus
from harness.metrics.scoring import build_metric, estimate_s, score
from harness.metrics.stats_cache import StatsCache
from conftest import run_cli, run_main


def test_a_log_gets_plain_lines_with_rate_and_eta(capsys, monkeypatch):
    monkeypatch.setattr(progress_module, "LINE_EVERY_S", 0.0)
    bar = Progress(total=10, done=2, desc="wmt21", enabled=True)
    bar.update(3, 60)
    bar.update(5, 100)
    bar.close()
    err = capsys.readouterr().err
    lines = err.splitlines()
    assert "\r" not in err and lines[0].startswith("wmt21: 5/10 examples") and "ETA" in lines[0]
    assert lines[-1].startswith("wmt21: 10/10 examples") and "tok/s" in lines[-1]
    assert len(lines) == 2  # the close repeats no line already shown


def test_a_model_without_tokens_reports_no_token_rate(capsys):
    bar = Progress(total=4, done=0, desc="lead-3", enabled=True)
    bar.update(4, 0)
    bar.close()
    err = capsys.readouterr().err
    assert "lead-3: 4/4 examples" in err and "tok/s" not in err


def _read_all(fd: int) -> str:
    """Everything written to the terminal so far: one read can return part of it."""
    chunks = []
    while select.select([fd], [], [], 0.2)[0]:
        try:
            chunks.append(os.read(fd, 4096))
        except OSError:  # EIO: the other side is closed and everything was read
            break
    return b"".join(chunks).decode(errors="replace")


def test_a_terminal_gets_a_bar(monkeypatch):
    leader, follower = os.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))  # 100 columns
    with open(follower, "w", closefd=True) as terminal:
        monkeypatch.setattr(sys, "stderr", terminal)
        bar = Progress(total=3, done=0, desc="captions", enabled=True)
        bar.update(3, 30)
        bar.close()
        terminal.flush()
    shown = _read_all(leader)
    os.close(leader)
    assert "\r" in shown and "captions" in shown and "3/3" in shown


def test_nothing_is_shown_when_disabled_or_already_done(capsys):
    Progress(total=5, done=0, desc="x", enabled=False).close()
    Progress(total=5, done=5, desc="x", enabled=True).close()
    assert capsys.readouterr().err == ""


# -- a line per step: scoring one metric -------------------------------------------------------

@pytest.mark.parametrize("seconds, shown", [
    (0.04, "0.0 s"), (4.23, "4.2 s"), (42.4, "42 s"), (89, "89 s"), (360, "6 min"),
    (5399, "90 min"), (7500, "2 h 5 min"),
])
def test_durations_read_as_a_person_reads_a_wait(seconds, shown):
    assert duration(seconds) == shown


def test_a_step_in_a_log_is_one_line_with_its_time(capsys):
    with Step("scoring wmt21: bleu (2 refs, 1,000 examples)", True):
        pass
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("scoring wmt21: bleu (2 refs, 1,000 examples) ... ")
    assert lines[0].endswith(" s")


def test_a_slow_step_in_a_log_also_says_when_it_starts(capsys):
    with Step("scoring wmt17: ter (1 ref, 3,004 examples)", True, estimate_s=360):
        pass
    lines = capsys.readouterr().err.splitlines()
    assert lines[0] == "scoring wmt17: ter (1 ref, 3,004 examples), about 6 min ..."
    assert lines[1].startswith(lines[0]) and len(lines) == 2


def test_a_failed_step_says_so(capsys):
    with pytest.raises(ValueError):
        with Step("scoring x: ter", True):
            raise ValueError("boom")
    assert "scoring x: ter ... failed after" in capsys.readouterr().err


def test_a_terminal_sees_the_step_start_then_finish_in_place(monkeypatch):
    leader, follower = os.openpty()
    with open(follower, "w", closefd=True) as terminal:
        monkeypatch.setattr(sys, "stderr", terminal)
        with Step("scoring captions: cider (5 refs, 60 examples)", True):
            terminal.flush()
            started = _read_all(leader)
        terminal.flush()
    finished = _read_all(leader)
    os.close(leader)
    assert started == "scoring captions: cider (5 refs, 60 examples) ..."
    assert finished.startswith("\r\x1b[Kscoring captions: cider") and finished.rstrip().endswith(" s")


def test_a_disabled_step_shows_nothing(capsys):
    with Step("scoring x: ter", False, estimate_s=600):
        pass
    assert capsys.readouterr().err == ""


def _corpus(n: int) -> Corpus:
    words = "the house is small and the garden is large but the street is quiet".split()
    preds = [" ".join(words[i % 5:i % 5 + 6 + i % 4]) for i in range(n)]
    refs = [[" ".join(words[(i + 1) % 5:(i + 1) % 5 + 7])] for i in range(n)]
    return Corpus(predictions=preds, references=refs, ids=[str(i) for i in range(n)])


def test_only_a_slow_metric_on_a_large_corpus_not_yet_cached_gets_an_estimate(tmp_path):
    ter, bleu = build_metric("ter"), build_metric("bleu")
    large = _corpus(20 * ter.estimate_sample)
    assert estimate_s(bleu, large) is None  # fast: nobody waits on it
    assert estimate_s(ter, _corpus(20 * ter.estimate_sample - 1)) is None  # the sample would be much of it
    assert estimate_s(ter, large) > 0
    cache = StatsCache(tmp_path)
    score(ter, large, data_fingerprint="0" * 8, n_bootstrap=0, stats_cache=cache)
    assert estimate_s(ter, large, cache) is None  # read back, not computed


def test_harness_run_shows_a_line_per_metric_on_stderr(capsys, tmp_path):
    rc, out, err = run_main(capsys, "run", "--model", "copy-source", "--tasks", "demo-translation",
                            "--output", str(tmp_path))
    lines = [line for line in err.splitlines() if line.startswith("scoring ")]
    assert rc == 0 and [line.split(":")[1].split()[0] for line in lines] == ["bleu", "chrf", "ter"]
    assert all("(1-2 refs, 110 examples) ... " in line for line in lines)
    assert "scoring" not in out


@pytest.mark.parametrize("flag", ["--json", "--no-progress"])
def test_json_and_no_progress_show_no_scoring_lines(flag, tmp_path):
    proc = run_cli("run", "--model", "copy-source", "--tasks", "demo-translation", "--output",
                   str(tmp_path), flag)
    assert proc.returncode == 0
    assert not [line for line in proc.stderr.splitlines() if line.startswith("scoring ")]
    if flag == "--json":
        assert json.loads(proc.stdout)["task"]["name"] == "demo-translation"  # nothing else on stdout
