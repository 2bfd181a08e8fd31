"""What a fault leaves behind and what it says: a merge killed at each of its steps is
finished by the next shard or ``harness merge``, a run stopped by a full disk or SIGTERM takes
its temporaries with it, ``harness clean`` removes what ``kill -9`` left, and each message says
what happened and what to do.

Real processes are killed where a kill matters (the merge, SIGTERM); a file of predictions is
the model, as generation is not the point."""
import json
import os
import signal
import socket
import subprocess
import sys
import time

import pytest

from conftest import REPO, run_main, write_jsonl
from harness.record import store

ROWS = [{"id": f"s{i}", "source": f"Sentence {i} has {'many ' * i}words.",
         "references": [f"Satz {i} hat {'viele ' * i}Wörter."]} for i in range(10)]


@pytest.fixture
def files(tmp_path):
    preds = [{"id": r["id"], "prediction": r["references"][0].replace("viele", "manche")} for r in ROWS]
    return {"data": write_jsonl(tmp_path / "d.jsonl", ROWS), "out": tmp_path / "out",
            "preds": write_jsonl(tmp_path / "p.jsonl", preds)}


def run_args(files, *extra):
    return ["run", "--model", f"predictions:{files['preds']}", "--tasks", "demo-translation",
            "--data", str(files["data"]), "--output", str(files["out"]), "--metrics", "chrf",
            "--bootstrap", "0", "--no-progress", *extra]


def harness(capsys, monkeypatch, *args):
    monkeypatch.setattr(sys, "argv", ["harness", *args])  # what a shard record keeps as the command
    return run_main(capsys, *args)


def started(*args, env=None):
    """`harness ARGS` in a process of its own, once it says on stderr that a fault holds it."""
    proc = subprocess.Popen([sys.executable, "-m", "harness", *args], cwd=REPO, text=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            env={**os.environ, **(env or {})})
    for line in proc.stderr:
        if "harness: fault: " in line:
            return proc
    proc.wait()
    raise AssertionError(f"harness {' '.join(args)} ended (status {proc.returncode}) before the fault")


def dead_pid():
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def leftovers(root):
    """Temporary folders and files (a writer's tag: ``.<pid>@<host>``) and locks under ``root``."""
    return sorted(p.name for p in root.rglob("*")
                  if p.name.startswith((".tmp-", ".latest.")) or "@" in p.name or p.suffix == ".lock")


@pytest.mark.parametrize("step, then", [("locked", "shard"), ("written", "shard"), ("marked", "merge"),
                                        ("put-away", "shard")])
def test_a_merge_killed_at_any_step_is_finished_by_the_next_one(capsys, monkeypatch, files, step, then):
    assert harness(capsys, monkeypatch, *run_args(files, "--shard", "0/2"))[0] == 0
    merging = started(*run_args(files, "--shard", "1/2"), env={"HARNESS_FAULT_MERGE_HOLD_AT": step})
    merging.kill()  # kill -9: nothing of its own clean-up runs
    merging.wait()
    assert leftovers(files["out"]) == ["merging-of-2.lock"]
    again = run_args(files, "--shard", "1/2") if then == "shard" else ["merge", str(files["out"])]
    rc, out, err = harness(capsys, monkeypatch, *again)
    assert rc == 0, err
    if step == "put-away":  # the run was whole: this part, made again, is not merged twice
        assert "its run was merged before it ran again" in err
    elif (step, then) == ("written", "shard"):
        assert "its 2 shards are merged" in err and "shard 1 ran again since" in err
    else:
        assert "run folders:" in out, err
    runs = store.load_runs(files["out"], all_runs=True)
    assert len(runs) == 1 and runs[0].n_scored == len(ROWS)  # merged once, nothing lost
    assert leftovers(files["out"]) == []


@pytest.mark.parametrize("host, quiet_s, taken", [
    ("here", 0, True),  # this host, its pid gone: at once
    ("node-elsewhere", 120, True),  # another host, no heartbeat for longer than HARNESS_CLAIM_STALE_S
    ("node-elsewhere", 0, False),  # another host, heartbeat fresh: a live merge
])
def test_a_lock_is_taken_over_exactly_when_its_owner_is_provably_gone(
        capsys, monkeypatch, files, host, quiet_s, taken):
    """The issue's job array: a merge killed midway left its lock and its temporary folder;
    the last shard run again merges, or, while the lock's owner may live, exits non-zero with
    the command that finishes the work."""
    monkeypatch.setenv("HARNESS_CLAIM_STALE_S", "60")
    monkeypatch.setenv("HARNESS_MERGE_WAIT_S", "0")
    assert harness(capsys, monkeypatch, *run_args(files, "--shard", "0/2"))[0] == 0
    folder = next(files["out"].rglob("shard-0-of-2.json")).parent
    owner = {"pid": dead_pid(), "host": socket.gethostname() if host == "here" else host,
             "since": "2026-12-07T10:00:00+00:00", "run_id": "20261207T100000Z-dead00"}
    (folder / "merging-of-2.lock").write_text(json.dumps(owner))
    beat = time.time() - quiet_s
    os.utime(folder / "merging-of-2.lock", (beat, beat))
    task = folder.parents[1]
    (task / f".tmp-{owner['run_id']}").mkdir()  # as an older harness named it: an hour to live
    rc, out, err = harness(capsys, monkeypatch, *run_args(files, "--shard", "1/2"))
    if taken:
        assert rc == 0 and "merged 2 shards" in err and "run folders:" in out, err
        assert len(store.load_runs(files["out"])) == 1 and leftovers(folder) == []
    else:
        assert rc == 2 and f"pid {owner['pid']} on node-elsewhere" in err
        assert f"run `harness merge {folder}`" in err and store.load_runs(files["out"]) == []


def test_a_full_disk_stops_the_run_and_leaves_nothing_on_it(tmp_path, capsys):
    """A real full file system: a tmpfs of 256 KiB (mounting needs root, as CI runs)."""
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(disk)],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here ({mounted.stderr.strip() or 'not root'})")
    try:
        (disk / "filler").write_bytes(b"x" * (256 - 40) * 1024)
        rows = [{"id": f"r{i}", "source": f"Satz {i} " * 40, "references": [f"Sentence {i} " * 40]}
                for i in range(200)]  # about 150 KB of sample rows: more than the disk has left
        data = write_jsonl(tmp_path / "d.jsonl", rows)
        rc, out, err = run_main(capsys, "run", "--model", "copy-source", "--tasks", "demo-translation",
                                "--data", str(data), "--metrics", "chrf", "--bootstrap", "0",
                                "--no-progress", "--output", str(disk / "out"))
        assert rc == 1 and "No space left on device" in err and "Traceback" not in err
        assert "finished generations are cached" not in err and "rerun it" in err  # copy-source caches nothing
        assert leftovers(disk) == [] and not list(disk.rglob("run.json"))
    finally:
        subprocess.run(["umount", str(disk)], check=True)


def test_sigterm_stops_a_run_as_ctrl_c_does_and_takes_its_lock_with_it(capsys, monkeypatch, files):
    assert harness(capsys, monkeypatch, *run_args(files, "--shard", "0/2"))[0] == 0
    proc = started(*run_args(files, "--shard", "1/2"), env={"HARNESS_FAULT_MERGE_HOLD_AT": "locked"})
    assert leftovers(files["out"]) == ["merging-of-2.lock"]
    proc.send_signal(signal.SIGTERM)  # a scheduler's time limit
    err = proc.stderr.read()
    assert proc.wait() == 128 + signal.SIGTERM and "Traceback" not in err
    assert "harness: terminated; nothing of it was kept" in err  # predictions are not cached
    assert leftovers(files["out"]) == []


def test_harness_clean_removes_what_dead_writers_left_and_nothing_else(capsys, monkeypatch, files):
    assert harness(capsys, monkeypatch, *run_args(files))[0] == 0
    task = next(files["out"].rglob("latest")).parent
    dead, here = dead_pid(), socket.gethostname()
    gone = [task / f".tmp-20261207T100000Z-aaaaaa.{dead}@{here}", task / f".latest.x1y2.{dead}@{here}"]
    kept = [task / f".tmp-20261207T100000Z-bbbbbb.{os.getpid()}@{here}",  # a live writer's
            task / ".tmp-20261207T100000Z-cccccc.1@node-elsewhere"]  # another host's, young
    for path in gone + kept:
        path.mkdir() if ".tmp-" in path.name else path.write_text("x")
    lock = task / "shards" / "k" / "merging-of-2.lock"
    lock.parent.mkdir(parents=True)
    lock.write_text(json.dumps({"pid": dead, "host": here, "since": "2026-12-07T10:00:00+00:00"}))
    rc, out, err = harness(capsys, monkeypatch, "clean", str(files["out"]), "--dry-run")
    assert rc == 0 and "would remove 3 leftovers" in err and all(p.exists() for p in gone)
    rc, out, err = harness(capsys, monkeypatch, "clean", str(files["out"]))
    assert rc == 0 and sorted(out.split("\n")) == sorted(["", *(f"removed {p}" for p in gone + [lock])])
    assert not any(p.exists() for p in gone + [lock]) and all(p.exists() for p in kept)
    assert len(store.load_runs(files["out"])) == 1
    # every run writing to a task folder does the same for the folder it writes to
    gone[0].mkdir()
    assert harness(capsys, monkeypatch, *run_args(files))[0] == 0
    assert not gone[0].exists() and all(p.exists() for p in kept)


@pytest.mark.parametrize("args, says", [
    (["--shard", "-1/2"], "-1/2: shards count from 0, so I is one of 0..1"),
    (["--shard=-1/2"], "-1/2: shards count from 0, so I is one of 0..1"),
])
def test_a_negative_shard_says_the_numbering_however_it_is_written(capsys, monkeypatch, files, args, says):
    rc, out, err = harness(capsys, monkeypatch, *run_args(files, *args))
    assert rc == 2 and says in err and "expected one argument" not in err


def test_shards_under_one_key_with_another_seed_name_the_seed(capsys, monkeypatch, files):
    key = ["--shard-key", "job-81"]
    assert harness(capsys, monkeypatch, *run_args(files, "--shard", "0/2", *key))[0] == 0
    rc, out, err = harness(capsys, monkeypatch, *run_args(files, "--shard", "1/2", *key, "--seed", "7"))
    assert rc == 2 and "generation: shard 0 (" in err
    assert ") has seed=12345, shard 1 (" in err and ") has seed=7; rerun shard 1" in err


@pytest.mark.parametrize("keyed", [True, False])
def test_shards_given_two_shard_counts_say_so(capsys, monkeypatch, files, keyed):
    key = ["--shard-key", "job-82"] if keyed else []  # one folder, or one per N
    assert harness(capsys, monkeypatch, *run_args(files, "--shard", "0/2", *key))[0] == 0
    rc, out, err = harness(capsys, monkeypatch, *run_args(files, "--shard", "1/3", *key))
    if keyed:  # the shard that finds the other N beside it says so at once
        assert rc == 2 and "the shards of demo-translation count 2 and 3 shards" in err
        assert "shard-0-of-2.json" in err and "every shard of one run takes the same N" in err
    else:  # folders of their own: each waits, and the merge of them all says so
        assert rc == 0 and "waiting for shard 0, 2" in err
    rc, out, err = harness(capsys, monkeypatch, "merge", str(files["out"]))
    assert rc == 2 and "count 2 and 3 shards" in err and "is missing" not in err


def test_compare_on_an_empty_results_folder_says_there_are_no_runs(capsys, tmp_path):
    (tmp_path / "empty").mkdir()
    rc, out, err = run_main(capsys, "compare", str(tmp_path / "empty"), str(tmp_path / "empty"))
    assert rc == 2 and f"{tmp_path / 'empty'}: no runs there" in err and "in common" not in err


@pytest.mark.parametrize("value", ["abc", "-5", "nan"])
def test_a_wait_that_is_not_a_number_of_seconds_names_the_variable(files, capsys, monkeypatch, value):
    assert harness(capsys, monkeypatch, *run_args(files, "--shard", "0/2"))[0] == 0
    monkeypatch.setenv("HARNESS_MERGE_WAIT_S", value)
    rc, _, err = harness(capsys, monkeypatch, *run_args(files, "--shard", "1/2"))
    assert rc != 0 and f"HARNESS_MERGE_WAIT_S={value!r}: not a number of seconds" in err
    assert "Traceback" not in err
    monkeypatch.setenv("HARNESS_MERGE_WAIT_S", "30")  # the part was kept: the rerun merges it
    rc, _, err = harness(capsys, monkeypatch, *run_args(files, "--shard", "1/2"))
    assert rc == 0 and "merged 2 shards" in err, err
