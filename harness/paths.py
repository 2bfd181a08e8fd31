"""Where the harness keeps files between runs."""
from __future__ import annotations

import os
from pathlib import Path


def cache_root() -> Path:
    """``$HARNESS_CACHE``, else ``~/.cache/harness``; read at each call, so tests and
    long-lived processes see a changed environment."""
    return Path(os.environ.get("HARNESS_CACHE") or "~/.cache/harness").expanduser()
