"""The SQLite files the harness keeps for itself (the generation cache, weight hashes),
opened so that a damaged file never stops a run: a file SQLite cannot read is moved aside
(nothing is deleted), a warning names both paths, and a fresh file takes its place.

Only damage is handled so: a locked, read-only or full database still stops the run with
SQLite's message.
"""
from __future__ import annotations

import os
import sqlite3
import sys
import time
from pathlib import Path
from typing import Callable, TypeVar

from harness.errors import HarnessError

T = TypeVar("T")


def is_corrupt(exc: BaseException) -> bool:
    # "file is not a database", "database disk image is malformed": the base class exactly;
    # its subclasses (OperationalError, IntegrityError...) are about use, not damage, except
    # for text whose bytes were overwritten
    if isinstance(exc, sqlite3.OperationalError):
        return "could not decode" in str(exc).lower()
    return type(exc) is sqlite3.DatabaseError


def connect(path: Path, schema: str, wal: bool = True) -> sqlite3.Connection:
    """A connection to ``path`` with ``schema`` applied, in WAL mode unless ``wal`` is false
    (a rollback journal: WAL's shared memory is unsafe on a network filesystem); a corrupt
    file is moved aside."""
    try:
        return _open(path, schema, wal)
    except sqlite3.DatabaseError as exc:
        if not is_corrupt(exc):
            raise
        quarantine(path, exc)
        return _open(path, schema, wal)


LOCK_WAIT_S = 60  # how long a connection waits for another process's lock


OPEN_RETRY_S = 10  # how long a transient "unable to open database file" is retried


def _open(path: Path, schema: str, wal: bool = True) -> sqlite3.Connection:
    """Open ``path``, retrying SQLite's "unable to open database file" while its folder is
    there to write in: processes creating one file together in WAL mode get it now and then
    (two torchrun ranks opening a new weight-hash memo at once, once in some hundred CI runs;
    Nix saw the same under parallel load), and the next try opens it."""
    deadline = time.monotonic() + OPEN_RETRY_S
    while True:
        try:
            return _open_once(path, schema, wal)
        except sqlite3.OperationalError as exc:
            if "unable to open" not in str(exc):
                raise
            if not os.access(path.parent, os.W_OK | os.X_OK) or time.monotonic() > deadline:
                raise HarnessError(f"cannot open the SQLite file {path} ({exc}); check that its "
                                   f"folder exists and is writable, and that the disk is not "
                                   f"full") from exc
            time.sleep(0.05)


def _open_once(path: Path, schema: str, wal: bool) -> sqlite3.Connection:
    db = sqlite3.connect(path, timeout=LOCK_WAIT_S)
    try:
        _journal_mode(db, "WAL" if wal else "DELETE")
        # durable against a process crash (kill -9); only a power loss may drop the last commits
        db.execute("PRAGMA synchronous=NORMAL")
        with db:
            db.executescript(schema)
    except BaseException:
        db.close()
        raise
    return db


def _journal_mode(db: sqlite3.Connection, mode: str) -> None:
    """Set the journal mode, waiting for other processes as any statement does. SQLite answers
    "database is locked" at once, without its busy handler, when another connection holds the
    file while the mode changes: two runs opening a new cache together failed so (6 processes
    at once: 9 failures in 30 trials)."""
    deadline = time.monotonic() + LOCK_WAIT_S
    while True:
        try:
            db.execute(f"PRAGMA journal_mode={mode}")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)


def quarantine(path: Path, exc: BaseException) -> Path:
    aside = path.with_name(f"{path.name}.corrupt-{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}")
    for suffix in ("", "-wal", "-shm"):
        part = Path(f"{path}{suffix}")
        if part.exists():
            os.replace(part, f"{aside}{suffix}")
    print(f"harness: warning: {path} is damaged ({exc}); moved it to {aside} and started a new "
          f"one", file=sys.stderr)
    return aside


def guarded(path: Path, schema: str, db: sqlite3.Connection,
            action: Callable[[sqlite3.Connection], T], wal: bool = True) -> tuple[sqlite3.Connection, T]:
    """``action(db)``; if the file turns out damaged mid-use (a truncated file opens fine
    and fails on its first read), move it aside and run ``action`` on a fresh file."""
    try:
        return db, action(db)
    except sqlite3.DatabaseError as exc:
        if not is_corrupt(exc):
            raise
        db.close()
        quarantine(path, exc)
        db = _open(path, schema, wal)
        return db, action(db)
