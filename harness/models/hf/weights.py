"""Content hashes of model files, remembered so big checkpoints are hashed once.

A file's hash is kept in ``<HARNESS_CACHE>/file-hashes.sqlite`` under its resolved path and
its stat: size, modification time, inode and inode change time (ctime). Copy tools keep a
file's mtime (``cp -p``, ``rsync -t``, tar) but none can keep its ctime, which the kernel
sets on every write, and a file replaced by rename gets a new inode: any replacement is
hashed again, however its mtime was preserved.
"""
from __future__ import annotations

import hashlib
import os
import sqlite3
from pathlib import Path

SKIPPED_SUFFIXES = (".md", ".lock")  # model cards and download locks do not change outputs
_TABLE = "hashes_v2"  # v1 was keyed on path, size and mtime alone


def _db() -> sqlite3.Connection:
    folder = Path(os.environ.get("HARNESS_CACHE", "~/.cache/harness")).expanduser()
    folder.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(folder / "file-hashes.sqlite", timeout=60)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute(f"CREATE TABLE IF NOT EXISTS {_TABLE} (path TEXT PRIMARY KEY, stat TEXT, sha256 TEXT)")
    return db


def _stat_key(stat: os.stat_result) -> str:
    return f"{stat.st_size}:{stat.st_mtime_ns}:{stat.st_ino}:{stat.st_ctime_ns}"


def file_sha256(path: Path, db: sqlite3.Connection | None = None) -> str:
    real = path.resolve()  # hub snapshots are symlinks into a blob store
    stat_key = _stat_key(real.stat())
    own = db is None
    db = db or _db()
    try:
        row = db.execute(f"SELECT stat, sha256 FROM {_TABLE} WHERE path = ?", (str(real),)).fetchone()
        if row and row[0] == stat_key:
            return row[1]
        digest = hashlib.sha256()
        with open(real, "rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 24), b""):
                digest.update(chunk)
        with db:
            db.execute(f"INSERT OR REPLACE INTO {_TABLE} VALUES (?, ?, ?)",
                       (str(real), stat_key, digest.hexdigest()))
        return digest.hexdigest()
    finally:
        if own:
            db.close()


def model_files(folder: Path) -> list[Path]:
    """The files that determine a saved model's outputs: weights, config, tokenizer."""
    return sorted(p for p in folder.rglob("*")
                  if p.is_file() and not any(part.startswith(".") for part in p.relative_to(folder).parts)
                  and not p.name.endswith(SKIPPED_SUFFIXES))


def folder_sha256(folder: Path) -> str:
    """One hash over the relative names and contents of a model folder's files."""
    db = _db()
    try:
        lines = [f"{p.relative_to(folder).as_posix()} {file_sha256(p, db)}" for p in model_files(folder)]
    finally:
        db.close()
    return "sha256:" + hashlib.sha256("\n".join(lines).encode()).hexdigest()
