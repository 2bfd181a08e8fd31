"""Progress: a bar in a terminal, plain lines in a log file or a pipe."""
import fcntl
import os
import struct
import sys
import termios

from harness.engine import progress as progress_module
from harness.engine.progress import Progress


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


def test_a_terminal_gets_a_bar(monkeypatch):
    leader, follower = os.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))  # 100 columns
    with open(follower, "w", closefd=True) as terminal:
        monkeypatch.setattr(sys, "stderr", terminal)
        bar = Progress(total=3, done=0, desc="captions", enabled=True)
        bar.update(3, 30)
        bar.close()
        terminal.flush()
    shown = os.read(leader, 4096).decode(errors="replace")
    os.close(leader)
    assert "\r" in shown and "captions" in shown and "3/3" in shown


def test_nothing_is_shown_when_disabled_or_already_done(capsys):
    Progress(total=5, done=0, desc="x", enabled=False).close()
    Progress(total=5, done=5, desc="x", enabled=True).close()
    assert capsys.readouterr().err == ""
