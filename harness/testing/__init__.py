"""Helpers shared by the test suite and the benchmarks."""
from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


def shared_data() -> Path | None:
    """The public evaluation data with golden scores, if this checkout has it beside it.

    ``HARNESS_SHARED_DATA`` overrides the default ``<repo>/../shared/data``.
    """
    path = Path(os.environ.get("HARNESS_SHARED_DATA", REPO_ROOT.parent / "shared" / "data"))
    return path if path.is_dir() else None
