"""The run record's description of where it ran, including the harness's own revision."""
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from harness.record import environment
from harness.record.environment import describe_environment, harness_revision

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")


def git(root, *args):
    return subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True,
                          text=True).stdout.strip()


def test_a_checkout_records_its_commit_and_whether_code_or_tasks_were_edited(tmp_path):
    git(tmp_path, "init", "-q")
    for name in ("harness/run.py", "tasks/t.yaml", "README.md"):
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text("one\n")
    git(tmp_path, "add", ".")
    git(tmp_path, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "first")
    head = git(tmp_path, "rev-parse", "HEAD")
    assert harness_revision(tmp_path) == {"commit": head, "dirty": False}

    (tmp_path / "README.md").write_text("two\n")  # prose and outputs do not change numbers
    (tmp_path / "results").mkdir()
    (tmp_path / "results" / "run.json").write_text("{}")
    harness_revision.cache_clear()
    assert harness_revision(tmp_path) == {"commit": head, "dirty": False}

    (tmp_path / "tasks" / "t.yaml").write_text("two\n")
    harness_revision.cache_clear()
    assert harness_revision(tmp_path) == {"commit": head, "dirty": True}


def test_recording_the_revision_takes_no_lock_on_the_checkout(tmp_path):
    """`git status` refreshes a stale index under .git/index.lock, and a `git commit` made at
    that moment fails: the revision is read without rewriting the index."""
    git(tmp_path, "init", "-q")
    (tmp_path / "harness").mkdir()
    (tmp_path / "harness" / "run.py").write_text("one\n")
    git(tmp_path, "add", ".")
    git(tmp_path, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "first")
    later = (tmp_path / "harness" / "run.py").stat().st_mtime + 5
    os.utime(tmp_path / "harness" / "run.py", (later, later))  # same text, stale index entry
    index = (tmp_path / ".git" / "index").stat()
    harness_revision.cache_clear()
    assert harness_revision(tmp_path)["dirty"] is False
    after = (tmp_path / ".git" / "index").stat()
    assert (after.st_ino, after.st_mtime_ns) == (index.st_ino, index.st_mtime_ns)


def test_outside_a_checkout_there_is_no_revision(tmp_path):
    assert harness_revision(tmp_path) is None


def test_the_record_of_this_checkout_names_its_head():
    root = Path(environment.__file__).resolve().parents[2]
    if not (root / ".git").exists():
        pytest.skip("not a git checkout")
    env = describe_environment()
    assert env["harness_git"]["commit"] == git(root, "rev-parse", "HEAD")
    assert env["packages"]["sacrebleu"] and env["hardware"]["cpus"] >= 1
