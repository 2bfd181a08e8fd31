"""Content hashes of model files, remembered so big checkpoints are hashed once.

A file's hash is kept in ``<HARNESS_CACHE>/file-hashes.sqlite`` under its resolved path,
size and modification time; any change to one of them hashes the file again.
"""
from __future__ import annotations

import hashlib
import os
import sqlite3
from pathlib import Path

SKIPPED_SUFFIXES = (".md", ".lock")  # model cards and download locks do not change outputs


def _db() -> sqlite3.Connection:
    folder = Path(os.environ.get("HARNESS_CACHE", "~/.cache/harness")).expanduser()
    folder.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(folder / "file-hashes.sqlite", timeout=60)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("CREATE TABLE IF NOT EXISTS hashes (path TEXT PRIMARY KEY, size INTEGER, "
               "mtime_ns INTEGER, sha256 TEXT)")
    return db


def file_sha256(path: Path, db: sqlite3.Connection | None = None) -> str:
    real = path.resolve()  # hub snapshots are symlinks into a blob store
    stat = real.stat()
    own = db is None
    db = db or _db()
    try:
        row = db.execute("SELECT size, mtime_ns, sha256 FROM hashes WHERE path = ?",
                         (str(real),)).fetchone()
        if row and row[0] == stat.st_size and row[1] == stat.st_mtime_ns:
            return row[2]
        digest = hashlib.sha256()
        with open(real, "rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 24), b""):
                digest.update(chunk)
        with db:
            db.execute("INSERT OR REPLACE INTO hashes VALUES (?, ?, ?, ?)",
                       (str(real), stat.st_size, stat.st_mtime_ns, digest.hexdigest()))
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
