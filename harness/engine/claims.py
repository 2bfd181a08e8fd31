"""Claims: how runs sharing one generation cache split the work instead of doing it twice.

Before generating a batch (or, for adapters fed the whole list, every pending request), a
run claims the requests' keys in one transaction of the cache file. Keys already cached or
claimed by a live run are left to that run; at the end the run waits for them to appear in
the cache, and takes over the keys of a claimant that is gone.

A claimant is live while its heartbeat (refreshed by a thread every ``stale_s / 4``
seconds, so a batch or a model load longer than the timeout does not lose its claim) is
younger than ``stale_s`` and, on the same host, its process still exists: a run killed
with ``kill -9`` stops blocking others as soon as its process is gone, and one whose pid
was reused, or on another host (containers sharing a disk), after ``stale_s`` at most.

A run becomes a claimant with its first claim, in that claim's transaction, and only then
starts the heartbeat: an engine call with nothing to generate writes nothing and starts no
thread (``bench/cache.py``: a call of 8 cached requests took 2.06 ms when every call
registered a claimant and started its heartbeat, 1.56 ms now, 1.53 ms without claims).
"""
from __future__ import annotations

import os
import socket
import sqlite3
import threading
import time
import uuid
from typing import Iterable

from harness.engine.cache import GenerationCache
from harness.machine import pid_exists, seconds_from_env

# a claimant's heartbeat older than this is a run that died; HARNESS_CLAIM_STALE_S overrides
DEFAULT_STALE_S = 60.0
_CHUNK = 400  # SQLite caps the number of bound parameters


def stale_after_s() -> float:
    return seconds_from_env("HARNESS_CLAIM_STALE_S", DEFAULT_STALE_S)


def is_live(hostname: str | None, pid: int | None, heartbeat: float | None, now: float,
            stale_s: float, here: str) -> bool:
    """Whether a claim's owner may still make what it claimed (no claimant row: gone)."""
    if hostname is None or pid is None or heartbeat is None or now - heartbeat > stale_s:
        return False
    return hostname != here or pid_exists(pid)


class Claims:
    """This run's claims on the keys of one model in ``cache``; ``close()`` releases them."""

    def __init__(self, cache: GenerationCache, stale_s: float):
        self.cache, self.stale_s = cache, stale_s
        self.hostname, self.pid = socket.gethostname(), os.getpid()
        self.owner = f"{self.hostname}:{self.pid}:{uuid.uuid4().hex[:12]}"
        self._stop = threading.Event()
        self._beat: threading.Thread | None = None  # from the first claim on

    def _register(self, db: sqlite3.Connection) -> None:
        db.execute("INSERT OR REPLACE INTO claimants VALUES (?, ?, ?, ?)",
                   (self.owner, self.hostname, self.pid, time.time()))
        # the claims of runs that died are only clutter now: whoever needs a key takes it
        now = time.time()
        gone = [owner for owner, host, pid, beat in db.execute("SELECT * FROM claimants")
                if not is_live(host, pid, beat, now, self.stale_s, self.hostname)]
        for owner in gone:
            db.execute("DELETE FROM claims WHERE owner = ?", (owner,))
            db.execute("DELETE FROM claimants WHERE owner = ?", (owner,))

    def _heartbeat(self) -> None:
        # its own connection: sqlite3 connections belong to the thread that opened them
        db = sqlite3.connect(self.cache.path, timeout=60)
        try:
            while not self._stop.wait(self.stale_s / 4):
                try:
                    # a row, not an update: a run another took for dead (a long pause)
                    # comes back, and only the keys taken meanwhile are made twice
                    with db:
                        db.execute("INSERT OR REPLACE INTO claimants VALUES (?, ?, ?, ?)",
                                   (self.owner, self.hostname, self.pid, time.time()))
                except sqlite3.Error:
                    pass  # a missed beat only shortens the claim; the next one may succeed
        finally:
            db.close()

    def take(self, keys: Iterable[str]) -> set[str]:
        """Claim ``keys`` (one transaction); returns those this run now owns and must make:
        not cached, and unclaimed, claimed by this run, or claimed by a claimant gone."""
        keys = list(dict.fromkeys(keys))
        if not keys:
            return set()
        mine = self.cache.use(lambda db: self._take(db, keys))
        if self._beat is None:
            self._beat = threading.Thread(target=self._heartbeat, name="harness-claims",
                                          daemon=True)
            self._beat.start()
        return mine

    def _take(self, db: sqlite3.Connection, keys: list[str]) -> set[str]:
        model, now, mine = self.cache.model_key, time.time(), set()
        live: dict[str, bool] = {}
        # IMMEDIATE: two runs must not both read a key as free before either writes its claim
        db.execute("BEGIN IMMEDIATE")
        try:
            # again after a damaged file was moved aside: the fresh one lacks this claimant
            self._register(db)
            for start in range(0, len(keys), _CHUNK):
                chunk = keys[start:start + _CHUNK]
                marks = ",".join("?" * len(chunk))
                done = {k for (k,) in db.execute(
                    f"SELECT request_key FROM generations WHERE model_key = ? AND request_key "
                    f"IN ({marks})", [model, *chunk])}
                held = {}
                for key, owner, host, pid, beat in db.execute(
                        f"SELECT c.request_key, c.owner, k.hostname, k.pid, k.heartbeat FROM claims c "
                        f"LEFT JOIN claimants k ON k.owner = c.owner WHERE c.model_key = ? AND "
                        f"c.request_key IN ({marks})", [model, *chunk]):
                    if owner != self.owner and owner not in live:
                        live[owner] = is_live(host, pid, beat, now, self.stale_s, self.hostname)
                    held[key] = owner == self.owner or not live[owner]
                free = [k for k in chunk if k not in done and held.get(k, True)]
                db.executemany("INSERT OR REPLACE INTO claims VALUES (?, ?, ?)",
                               [(model, k, self.owner) for k in free])
                mine.update(free)
            db.commit()
        except BaseException:
            db.rollback()
            raise
        return mine

    def close(self) -> None:
        """Release every claim: keys this run did not make (errors, a stop) go to others."""
        if self._beat is None:  # never claimed anything
            return
        self._stop.set()
        self._beat.join()

        def release(db: sqlite3.Connection) -> None:
            with db:
                db.execute("DELETE FROM claims WHERE owner = ?", (self.owner,))
                db.execute("DELETE FROM claimants WHERE owner = ?", (self.owner,))
        self.cache.use(release)
