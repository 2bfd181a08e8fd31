"""Where a run happened: package versions, the harness's own revision, hardware, command.

Read once per process where it is stable, so a run of many tasks pays for it once.
"""
from __future__ import annotations

import getpass
import platform
import subprocess
import sys
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Any

from harness.machine import available_cpus

PACKAGES = ("harness", "torch", "transformers", "tokenizers", "accelerate", "datasets",
            "sacrebleu", "rouge-score", "pycocoevalcap", "nltk", "numpy", "pydantic")


def describe_environment() -> dict:
    hardware: dict[str, Any] = {"machine": platform.machine(), "cpus": available_cpus(),
                                "processor": platform.processor() or None}
    torch = sys.modules.get("torch")  # only describe GPUs when a model already loaded torch
    if torch is not None and torch.cuda.is_available():
        hardware["gpus"] = [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
    if torch is not None:
        hardware["torch_threads"] = torch.get_num_threads()
    return {"python": platform.python_version(), "platform": platform.platform(),
            "packages": dict(_package_versions()), "harness_git": harness_revision(),
            "hardware": hardware, "command": sys.argv, "user": _user()}


@lru_cache(maxsize=1)
def _package_versions() -> tuple[tuple[str, str], ...]:
    # each lookup parses a METADATA file (~2 ms apiece)
    versions = []
    for name in PACKAGES:
        try:
            versions.append((name, metadata.version(name)))
        except metadata.PackageNotFoundError:
            pass
    return tuple(versions)


@lru_cache(maxsize=4)
def harness_revision(root: Path | None = None) -> dict | None:
    """{commit, dirty} when the harness runs from a git checkout (an installed wheel has only
    its version): a run from edited code must not pass for one from the release."""
    root = root or Path(__file__).resolve().parents[2]
    if not (root / ".git").exists():
        return None
    try:
        commit = _git(root, "rev-parse", "HEAD")
        # only the code and the task definitions change numbers; results/ and notes do not
        dirty = _git(root, "status", "--porcelain", "--untracked-files=no", "--", "harness", "tasks")
    except (OSError, subprocess.SubprocessError):
        return None
    return {"commit": commit, "dirty": bool(dirty)}


def _git(root: Path, *args: str) -> str:
    # --no-optional-locks: `git status` would otherwise refresh the index under
    # .git/index.lock, and a `git commit` in the checkout at that moment would fail
    done = subprocess.run(["git", "--no-optional-locks", "-C", str(root), *args],
                          capture_output=True, text=True, timeout=10, check=True)
    return done.stdout.strip()


def _user() -> str | None:
    try:
        return getpass.getuser()
    except Exception:  # no user name in some containers
        return None
