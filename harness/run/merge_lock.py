"""The merge lock: of the shards that find all N parts in, the one that creates
``shards/<key>/merging-of-N.lock`` merges them.

Exclusive creation is atomic on local and NFSv3+ file systems, so of two shards looking at
once exactly one merges. The lock names its owner (pid, host, since when, the run it is
writing) and its heartbeat is its mtime, touched every ``stale_s / 4`` seconds while the
merge runs. A lock whose owner is provably gone is taken over: on this host when its pid no
longer exists, on another when its heartbeat is older than ``stale_s`` (``HARNESS_CLAIM_STALE_S``,
the generation cache's claims' rule). A kill -9 mid-merge therefore costs the next shard or
``harness merge`` nothing; a live merge is waited for (``wait_s``) instead of reported as done.
"""
from __future__ import annotations

import json
import os
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

from harness.engine.claims import stale_after_s
from harness.machine import Owner, seconds_from_env

# how long a shard that finds another process merging its run waits for it before it exits
# non-zero with the command that finishes the work; HARNESS_MERGE_WAIT_S overrides
DEFAULT_WAIT_S = 6 * 3600.0


def wait_s() -> float:
    return seconds_from_env("HARNESS_MERGE_WAIT_S", DEFAULT_WAIT_S)


def lock_path(folder: Path, count: int) -> Path:
    return folder / f"merging-of-{count}.lock"


@dataclass(frozen=True)
class Holder:
    """Who holds a merge lock, as its file says (``owner`` None: a file cut short before its
    owner was written, judged by its age alone)."""

    path: Path
    owner: Owner | None
    since: str
    run_id: str | None  # the run the holder was writing
    quiet_s: float  # since its last heartbeat

    def gone(self, stale_s: float) -> bool:
        if self.owner is None:
            return self.quiet_s > stale_s
        return self.owner.gone(self.quiet_s, stale_s)

    def __str__(self) -> str:
        who = f"pid {self.owner.pid} on {self.owner.host} since {self.since}" if self.owner \
            else "a process"
        return f"{self.path}: {who} is merging these shards"


def read_holder(path: Path) -> Holder | None:
    """The lock's holder; None when there is no lock (any more)."""
    try:
        quiet_s = time.time() - path.stat().st_mtime
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    try:
        held = json.loads(text)
        owner, since, run_id = Owner(int(held["pid"]), str(held["host"])), held["since"], held.get("run_id")
    except (ValueError, KeyError, TypeError, AttributeError):
        owner, since, run_id = None, "", None
    return Holder(path, owner, since, run_id, quiet_s)


@dataclass(frozen=True)
class Lock:
    """What taking the lock gave: ``held_by`` a live holder (not ours), or the lock is ours,
    taken over from ``taken_from`` when a gone process had left it."""

    held_by: Holder | None
    taken_from: Holder | None = None


@contextmanager
def merge_lock(folder: Path, count: int, run_id: str) -> Iterator[Lock]:
    """The lock of ``folder``'s N shards for writing ``run_id``, released on the way out."""
    path, stale_s, taken_from = lock_path(folder, count), stale_after_s(), None
    while True:
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            break
        except FileExistsError:
            holder = read_holder(path)
            if holder is None:
                continue  # released since: try again
            if not holder.gone(stale_s):
                yield Lock(holder)
                return
            if _same(read_holder(path), holder):  # still the gone one's, not a newcomer's
                path.unlink(missing_ok=True)
            taken_from = holder
    me = Owner.me()
    with os.fdopen(fd, "w") as f:
        json.dump({"pid": me.pid, "host": me.host, "run_id": run_id,
                   "since": datetime.now(timezone.utc).isoformat(timespec="seconds")}, f)
    stop = threading.Event()
    beat = threading.Thread(target=_heartbeat, args=(path, stale_s / 4, stop),
                            name="harness-merge-lock", daemon=True)
    beat.start()
    try:
        yield Lock(None, taken_from)
    finally:
        stop.set()
        beat.join()
        path.unlink(missing_ok=True)


def _same(a: Holder | None, b: Holder) -> bool:
    return a is not None and (a.owner, a.since, a.run_id) == (b.owner, b.since, b.run_id)


def _heartbeat(path: Path, every_s: float, stop: threading.Event) -> None:
    while not stop.wait(every_s):
        try:
            os.utime(path)
        except OSError:
            pass  # a missed beat only makes the lock look older; the next one may land


def remove_if_gone(path: Path, dry_run: bool = False) -> bool:
    """Remove a merge lock whose holder is gone (``harness clean``); whether it was."""
    holder = read_holder(path)
    if holder is None or not holder.gone(stale_after_s()):
        return False
    if not dry_run:
        path.unlink(missing_ok=True)
    return True
