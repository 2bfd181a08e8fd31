"""The on-disk generation cache: every finished generation, keyed by model and request,
in one of two formats, each reading what the other wrote in the same folder.

``GenerationCache``: one SQLite file in WAL mode, for runs on one machine. A row's key is (model key, request key): the model key hashes
the model's fingerprint (locator, revision, weight hash), the request key hashes the prompt,
image, chat flag and generation config (``Request.key()``). The engine commits after each
batch, so a run killed at any point (even ``kill -9``) loses at most the batch in flight and
a rerun generates only what is missing. Runs sharing the file at the same time split the
work through its ``claims`` table (``engine/claims.py``). ``synchronous=NORMAL`` keeps
commits durable against a process crash; only a power loss may drop the last few. A damaged
file is moved aside with a warning (``engine/sqlite_files.py``) and the run goes on,
regenerating what it held. Lookups also read the per-writer logs that runs on several
nodes keep in the same folder, so a run here never redoes theirs.

``SharedCache``: one append-only log per writer (``engine/cache_logs.py``), for a folder
that several nodes share on a network filesystem, where SQLite's locks and WAL's shared
memory cannot be trusted. Each process appends only to its own log, so no two writers ever
touch one file, and reads every log of the model, its own included, and the SQLite file
read-only. Each commit is one write, fsync'ed and closed: a kill loses at most the batch in
flight, and a reader on another node sees it once the call returns. Concurrency across
nodes comes from the sharding of ranks and shards (``engine/shards.py``); two runs that ask
for one request at the same time both make it, and either copy serves.

Why two formats and not the logs alone: ``engine/cache_mode.py``.
"""
from __future__ import annotations

import hashlib
import json
import sqlite3
import sys
import time
from pathlib import Path
from typing import Iterable, Mapping

from harness.engine import cache_logs, sqlite_files
from harness.types import Generation

FILE = "generations.sqlite"
SCHEMA_VERSION = 1
_SCHEMA = """
CREATE TABLE IF NOT EXISTS generations (
    model_key TEXT NOT NULL,
    request_key TEXT NOT NULL,
    example_id TEXT NOT NULL,      -- the first example that asked; for inspection only
    text TEXT NOT NULL,
    num_tokens INTEGER NOT NULL,
    finish_reason TEXT NOT NULL,
    prompt_tokens INTEGER NOT NULL,
    truncated INTEGER NOT NULL,
    created_at REAL NOT NULL,
    PRIMARY KEY (model_key, request_key)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS models (
    model_key TEXT PRIMARY KEY,
    fingerprint TEXT NOT NULL      -- JSON, so a cache can be inspected by hand
);
-- runs sharing this file claim keys before generating them (engine/claims.py)
CREATE TABLE IF NOT EXISTS claims (
    model_key TEXT NOT NULL,
    request_key TEXT NOT NULL,
    owner TEXT NOT NULL,           -- claimants.owner
    PRIMARY KEY (model_key, request_key)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS claims_by_owner ON claims (owner);
CREATE TABLE IF NOT EXISTS claimants (
    owner TEXT PRIMARY KEY,        -- hostname:pid:random, one per engine call that claims
    hostname TEXT NOT NULL,
    pid INTEGER NOT NULL,
    heartbeat REAL NOT NULL        -- time.time(), refreshed while the run lives
);
"""
_COLUMNS = ", ".join(cache_logs.FIELDS)


def model_key(fingerprint: Mapping[str, str]) -> str:
    return hashlib.sha256(json.dumps(dict(fingerprint), sort_keys=True).encode()).hexdigest()


class GenerationCache:
    """Generations of one model in the cache file ``<cache_dir>/generations.sqlite``."""

    def __init__(self, cache_dir: Path, fingerprint: Mapping[str, str]):
        cache_dir.mkdir(parents=True, exist_ok=True)
        self.path = cache_dir / FILE
        self.model_key = model_key(fingerprint)
        self.logs = cache_logs.model_folder(cache_dir, self.model_key)
        self._fingerprint = json.dumps(dict(fingerprint), sort_keys=True)
        # several runs may share one cache: WAL lets readers and one writer proceed together
        self._db = sqlite_files.connect(self.path, _SCHEMA)
        self.use(self._register)

    def _register(self, db: sqlite3.Connection) -> None:
        with db:
            db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
            db.execute("INSERT OR IGNORE INTO models VALUES (?, ?)", (self.model_key, self._fingerprint))

    def use(self, action):
        """``action(connection)``; a file found damaged is moved aside and ``action`` runs
        again on a fresh one."""
        fresh = self._db
        self._db, result = sqlite_files.guarded(self.path, _SCHEMA, self._db, action)
        if self._db is not fresh:  # moved aside: the new file needs this model's row too
            self._register(self._db)
        return result

    def get_many(self, request_keys: Iterable[str]) -> dict[str, Generation]:
        """The cached generations among ``request_keys`` (example_id left empty)."""
        keys = list(dict.fromkeys(request_keys))
        found = self.use(lambda db: read_rows(db, self.model_key, keys))
        # what runs in per-writer mode made (cache_logs.py) serves a run here too
        found.update(cache_logs.read_logs(self.logs, [k for k in keys if k not in found]))
        return found

    def put_many(self, items: Iterable[tuple[str, Generation]]) -> None:
        """Store and commit (one transaction) generations keyed by request key."""
        now = time.time()
        rows = [(self.model_key, key, g.example_id, g.text, g.num_tokens, g.finish_reason,
                 g.prompt_tokens, int(g.truncated), now) for key, g in items]

        def write(db: sqlite3.Connection) -> None:
            with db:
                db.executemany("INSERT OR REPLACE INTO generations VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                               rows)
        self.use(write)

    def close(self) -> None:
        self._db.close()


def read_rows(db: sqlite3.Connection, key: str, request_keys: list[str]) -> dict[str, Generation]:
    """The generations of model ``key`` among ``request_keys`` in the cache file ``db``."""
    found: dict[str, Generation] = {}
    for start in range(0, len(request_keys), 500):  # SQLite caps the number of bound parameters
        chunk = request_keys[start:start + 500]
        marks = ",".join("?" * len(chunk))
        rows = db.execute(
            f"SELECT request_key, {_COLUMNS} FROM generations "
            f"WHERE model_key = ? AND request_key IN ({marks})", [key, *chunk])
        for request_key, *values in rows:
            found[request_key] = cache_logs.stored(dict(zip(cache_logs.FIELDS, values)))
    return found


def read_only(path: Path, key: str, request_keys: list[str]) -> dict[str, Generation]:
    """What the cache file at ``path`` holds of ``request_keys``, opened read-only: for a run
    in per-writer mode, which must never write, move or repair a file another host may use.
    Whatever goes wrong is a warning, and those requests are generated again."""
    if not request_keys or not path.exists():
        return {}
    try:
        db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=10)
        try:
            return read_rows(db, key, request_keys)
        finally:
            db.close()
    except sqlite3.Error as exc:
        print(f"harness: warning: could not read the generation cache file {path} ({exc}); "
              f"left it as it is, and its requests are generated again if missing",
              file=sys.stderr)
        return {}


class SharedCache:
    """Generations of one model, in the logs of ``<cache_dir>/generations/<model key>/``;
    this process appends to its own log there."""

    def __init__(self, cache_dir: Path, fingerprint: Mapping[str, str]):
        self.cache_dir = cache_dir
        self.model_key = model_key(fingerprint)
        self.path = cache_logs.model_folder(cache_dir, self.model_key)
        self.log = cache_logs.own_log(self.path, fingerprint)

    def get_many(self, request_keys: Iterable[str]) -> dict[str, Generation]:
        """The cached generations among ``request_keys`` (example_id left empty), from every
        writer's log; a damaged log is skipped with a warning and left in place."""
        keys = list(dict.fromkeys(request_keys))
        found = cache_logs.read_logs(self.path, keys)
        # the single cache file of runs on one machine, if this folder has one
        found.update(read_only(self.cache_dir / FILE, self.model_key,
                               [k for k in keys if k not in found]))
        return found

    def put_many(self, items: Iterable[tuple[str, Generation]]) -> None:
        """Append generations keyed by request key to this writer's log, durably."""
        now = time.time()
        cache_logs.append(self.log, b"".join(cache_logs.encode(key, g, now) for key, g in items))

    def close(self) -> None:
        """Nothing stays open between commits."""
