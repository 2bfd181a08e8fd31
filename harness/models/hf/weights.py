"""Content hashes of model files, remembered so big checkpoints are hashed once.

A file's hash is kept in ``<HARNESS_CACHE>/file-hashes.sqlite`` under its resolved path and
its stat: size, modification time, inode and inode change time (ctime). Copy tools keep a
file's mtime (``cp -p``, ``rsync -t``, tar) but none can keep its ctime, which the kernel
sets on every write, and a file replaced by rename gets a new inode: any replacement is
hashed again, however its mtime was preserved.

On a cache folder several hosts share (the ``shared`` cache mode: a network filesystem or a
multi-node job), each host keeps a memo of its own, ``file-hashes-<host>.sqlite``, with a
rollback journal: inodes and ctimes are what one host sees of a file, and neither SQLite's
locks nor WAL's shared memory hold across hosts.
"""
from __future__ import annotations

import hashlib
import os
import socket
import sqlite3
from pathlib import Path

from harness.engine import cache_mode, sqlite_files
from harness.paths import cache_root

SKIPPED_SUFFIXES = (".md", ".lock")  # model cards and download locks do not change outputs
_TABLE = "hashes_v2"  # v1 was keyed on path, size and mtime alone


_SCHEMA = f"CREATE TABLE IF NOT EXISTS {_TABLE} (path TEXT PRIMARY KEY, stat TEXT, sha256 TEXT);"


class _Memo:
    """The hash memo file; a damaged one is moved aside and started afresh, never fatal."""

    def __init__(self):
        folder = cache_root()
        folder.mkdir(parents=True, exist_ok=True)
        self.shared = cache_mode.choose(cache_mode.default_mode(), folder).mode == "shared"
        name = f"file-hashes-{socket.gethostname()}.sqlite" if self.shared else "file-hashes.sqlite"
        self.path = folder / name
        self.db = sqlite_files.connect(self.path, _SCHEMA, wal=not self.shared)

    def use(self, action):
        self.db, result = sqlite_files.guarded(self.path, _SCHEMA, self.db, action,
                                               wal=not self.shared)
        return result

    def lookup(self, path: str, stat_key: str) -> str | None:
        row = self.use(lambda db: db.execute(f"SELECT stat, sha256 FROM {_TABLE} WHERE path = ?",
                                             (path,)).fetchone())
        return row[1] if row and row[0] == stat_key else None

    def remember(self, path: str, stat_key: str, digest: str) -> None:
        def write(db: sqlite3.Connection) -> None:
            with db:
                db.execute(f"INSERT OR REPLACE INTO {_TABLE} VALUES (?, ?, ?)", (path, stat_key, digest))
        self.use(write)

    def close(self) -> None:
        self.db.close()


def _stat_key(stat: os.stat_result) -> str:
    return f"{stat.st_size}:{stat.st_mtime_ns}:{stat.st_ino}:{stat.st_ctime_ns}"


def file_sha256(path: Path, memo: _Memo | None = None) -> str:
    real = path.resolve()  # hub snapshots are symlinks into a blob store
    stat_key = _stat_key(real.stat())
    own = memo is None
    memo = memo or _Memo()
    try:
        known = memo.lookup(str(real), stat_key)
        if known is not None:
            return known
        digest = hashlib.sha256()
        with open(real, "rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 24), b""):
                digest.update(chunk)
        memo.remember(str(real), stat_key, digest.hexdigest())
        return digest.hexdigest()
    finally:
        if own:
            memo.close()


def model_files(folder: Path) -> list[Path]:
    """The files that determine a saved model's outputs: weights, config, tokenizer."""
    return sorted(p for p in folder.rglob("*")
                  if p.is_file() and not any(part.startswith(".") for part in p.relative_to(folder).parts)
                  and not p.name.endswith(SKIPPED_SUFFIXES))


def folder_sha256(folder: Path) -> str:
    """One hash over the relative names and contents of a model folder's files."""
    memo = _Memo()
    try:
        lines = [f"{p.relative_to(folder).as_posix()} {file_sha256(p, memo)}" for p in model_files(folder)]
    finally:
        memo.close()
    return "sha256:" + hashlib.sha256("\n".join(lines).encode()).hexdigest()
