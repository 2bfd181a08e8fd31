"""What interrupted record writes leave behind is cleaned once it is surely stale; a run
being written now (a younger temporary) is left alone."""
import os
import time
from pathlib import Path

from conftest import write_jsonl
from harness.cli import main

ROWS = [{"id": "a", "source": "Das Haus", "references": ["The house"]}]


def _run(tmp_path):
    data = write_jsonl(tmp_path / "d.jsonl", ROWS)
    assert main(["run", "--model", "copy-source", "--tasks", "demo-translation", "--data", str(data),
                 "--metrics", "bleu", "--bootstrap", "0", "--no-progress", "--output",
                 str(tmp_path / "out")]) == 0


def test_stale_temporaries_are_removed_and_young_ones_kept(tmp_path, capsys):
    _run(tmp_path)
    task_dir = next((tmp_path / "out").rglob("latest")).parent
    old, young = task_dir / ".tmp-20200101T000000Z-aaaaaa", task_dir / ".tmp-29990101T000000Z-bbbbbb"
    for folder in (old, young):
        folder.mkdir()
        (folder / "samples.jsonl").write_text("{}\n")
    stale_latest = task_dir / ".latest.x1y2"
    stale_latest.write_text("x\n")
    hour_ago = time.time() - 2 * 3600
    for path in (old, stale_latest):
        os.utime(path, (hour_ago, hour_ago))
    _run(tmp_path)
    assert not old.exists() and not stale_latest.exists()
    assert young.exists()
    assert len([p for p in task_dir.iterdir() if not p.name.startswith(".") and p.name != "latest"]) == 2


def test_a_disk_that_fills_while_writing_is_one_line_naming_the_file(tmp_path, capsys, monkeypatch):
    import errno

    from harness.record import store

    class Full:  # a file on a full disk: the write fails, naming no file, as write(2) does
        def __init__(self, f):
            self.f = f

        def __getattr__(self, name):
            return getattr(self.f, name)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.f.close()

        def writelines(self, lines):
            next(iter(lines))
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    def open_on_full_disk(path, *args, **kwargs):
        f = open(path, *args, **kwargs)
        return Full(f) if Path(path).name == "samples.jsonl" else f
    monkeypatch.setattr(store, "open", open_on_full_disk, raising=False)
    data = write_jsonl(tmp_path / "d.jsonl", ROWS)
    rc = main(["run", "--model", "copy-source", "--tasks", "demo-translation", "--data", str(data),
               "--metrics", "bleu", "--bootstrap", "0", "--no-progress", "--output", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert rc == 1 and "samples.jsonl: No space left on device" in err and "Traceback" not in err
    assert not list((tmp_path / "out").rglob("run.json"))  # no record, not even half of one


def test_a_closed_pipe_is_not_an_error_message():
    import subprocess
    import sys
    proc = subprocess.run(f"{sys.executable} -m harness tasks | head -1", shell=True,
                          capture_output=True, text=True)
    assert proc.stdout.startswith("name") and proc.stderr == "", proc.stderr
