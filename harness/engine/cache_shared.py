"""The generation cache as one append-only log per writer, for a cache folder that several
nodes share on a network filesystem (NFS, Lustre, GPFS...), where SQLite's locks and WAL's
shared memory cannot be trusted.

Each process appends only to its own log (``cache_logs.py``), so no two writers ever touch
one file, and reads every log of the model, its own included. Each commit is one write,
fsync'ed and closed: a kill loses at most the batch in flight, and a reader on another node
sees it once the call returns. Concurrency across nodes comes from the sharding of ranks and
shards (``engine/shards.py``); two runs that ask for one request at the same time both make
it, and either copy serves.
"""
from __future__ import annotations

import json
import os
import re
import socket
import threading
import time
import uuid
from pathlib import Path
from typing import Iterable, Mapping

from harness.engine import cache_logs
from harness.engine.cache import FILE, model_key, read_only
from harness.types import Generation

_writer: tuple[int, str] | None = None  # (pid, writer id): a forked child makes its own
_locks: dict[Path, threading.Lock] = {}  # engine calls of one process share its log
_locks_guard = threading.Lock()


def writer_id() -> str:
    """This process's writer id: host, pid and a random part, so no two processes, even on
    hosts of one name or with a reused pid, ever append to one log."""
    global _writer
    if _writer is None or _writer[0] != os.getpid():
        host = re.sub(r"[^A-Za-z0-9._-]", "_", socket.gethostname()) or "host"
        _writer = (os.getpid(), f"{host}-{os.getpid()}-{uuid.uuid4().hex[:8]}")
    return _writer[1]


class SharedCache:
    """Generations of one model, in the logs of ``<cache_dir>/generations/<model key>/``;
    this process appends to its own log there."""

    def __init__(self, cache_dir: Path, fingerprint: Mapping[str, str]):
        self.cache_dir = cache_dir
        self.model_key = model_key(fingerprint)
        self.path = cache_logs.model_folder(cache_dir, self.model_key)
        self.path.mkdir(parents=True, exist_ok=True)
        _describe(self.path / "model.json", fingerprint)
        self.log = self.path / f"{writer_id()}{cache_logs.SUFFIX}"
        with _locks_guard:
            self._lock = _locks.setdefault(self.log, threading.Lock())

    def get_many(self, request_keys: Iterable[str]) -> dict[str, Generation]:
        """The cached generations among ``request_keys`` (example_id left empty), from every
        writer's log; a damaged log is skipped with a warning and left in place."""
        keys = list(dict.fromkeys(request_keys))
        found = cache_logs.read_logs(self.path, keys)
        # the single cache file of runs on one machine (cache.py), if this folder has one
        found.update(read_only(self.cache_dir / FILE, self.model_key,
                               [k for k in keys if k not in found]))
        return found

    def put_many(self, items: Iterable[tuple[str, Generation]]) -> None:
        """Append generations keyed by request key to this writer's log, durably."""
        now = time.time()
        data = b"".join(cache_logs.encode(key, g, now) for key, g in items)
        if not data:
            return
        with self._lock:
            try:
                # opened and closed per commit: NFS promises another node sees what was
                # written once the writer closed the file and the reader opens it
                with cache_logs.open_for_append(self.log) as log:
                    log.write(data)  # one write: a reader sees whole records or a torn tail
                    log.flush()
                    os.fsync(log.fileno())
            except OSError as exc:  # a full disk: the error names the log
                raise OSError(exc.errno, exc.strerror, str(self.log)) from exc

    def close(self) -> None:
        """Nothing stays open between commits."""


def _describe(path: Path, fingerprint: Mapping[str, str]) -> None:
    """``model.json``: which model a folder holds, for people; written once, atomically."""
    if path.exists():
        return
    temporary = path.with_name(f".{path.name}.{writer_id()}")
    temporary.write_text(json.dumps(dict(fingerprint), sort_keys=True, indent=1) + "\n")
    os.replace(temporary, path)
