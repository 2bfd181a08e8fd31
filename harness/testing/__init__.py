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


# Shipped with the tests: a redistributable subset of the shared data in the same layout, with
# goldens recomputed by the reference implementations (scripts/make_conformance_subset.py), so
# every clone runs a conformance test per metric family.
SHIPPED_DATA = REPO_ROOT / "tests" / "data" / "conformance"


def golden_root(origin: str) -> Path | None:
    """``"shared"``: the full data (see ``shared_data``); ``"shipped"``: the subset in the tests."""
    if origin == "shared":
        return shared_data()
    if origin == "shipped":
        return SHIPPED_DATA if SHIPPED_DATA.is_dir() else None
    raise ValueError(f"unknown golden data origin {origin!r} (known: shared, shipped)")


def oracle_venv(variable: str, name: str) -> Path:
    """Where a script under scripts/ builds (or built) a reference implementation's own
    environment: the folder ``$variable`` names, else ``<cache>/harness/<name>``."""
    if os.environ.get(variable):
        return Path(os.environ[variable]).expanduser()
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return cache / "harness" / name
