import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path_factory, monkeypatch):
    # every test gets its own generation cache, so no test sees another's generations
    monkeypatch.setenv("HARNESS_CACHE", str(tmp_path_factory.mktemp("cache")))


def write_jsonl(path: Path, rows) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def run_cli(*args: str, cwd: Path | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
    """The real `harness` command in a subprocess, as a user runs it."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.run([sys.executable, "-m", "harness", *args], capture_output=True, text=True,
                          cwd=cwd or REPO, env=full_env, timeout=600)


def run_main(capsys, *args: str) -> tuple[int, str, str]:
    """The CLI in-process (fast): (exit code, stdout, stderr); an exception other than the
    CLI's own fails the test."""
    from harness.cli import main
    try:
        rc = main(list(args))
    except SystemExit as exit_:  # argparse's usage errors
        rc = exit_.code
    out, err = capsys.readouterr()
    return rc, out, err
