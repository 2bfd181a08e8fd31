"""``harness clean RESULTS``: what runs that were killed left in a results folder.

A run that is stopped removes its own temporaries on the way out (a full disk, Ctrl-C,
SIGTERM, an error), and every writer removes those of dead writers from the folder it writes
to. What ``kill -9`` or a power cut leaves in a folder nothing writes to again stays until
this is run: a run's temporary folder (``.tmp-<run-id>.<pid>@<host>/``), a half-written file
(``.latest.XXXX``, ``.shard-0-of-2.json.XXXX.<pid>@<host>``) and a merge lock whose holder is
gone. Only what a gone process left is removed (``store.remove_leftovers``,
``merge_lock.remove_if_gone``): never a run, never what a live run is writing.
"""
from __future__ import annotations

import os
from pathlib import Path

from harness.errors import DataError
from harness.record import store
from harness.run.merge_lock import remove_if_gone


def clean(root: Path, dry_run: bool = False) -> list[Path]:
    """Remove (or, ``dry_run``, list) what dead runs left under ``root``."""
    root = Path(root)
    if not root.is_dir():
        raise DataError(f"{root}: no such results folder")
    removed = []
    for folder, dirs, files in os.walk(root):
        here = Path(folder)
        removed += store.remove_leftovers(here, dry_run=dry_run)
        removed += [here / f for f in files
                    if f.startswith("merging-of-") and remove_if_gone(here / f, dry_run)]
        dirs[:] = sorted(d for d in dirs if not store.is_leftover(d) and (here / d).exists())
    return sorted(removed)
