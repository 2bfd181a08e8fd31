"""The per-writer logs of the generation cache: their format, reading them, and appending to
this process's own.

    <cache>/generations/<model key>/<writer>.log

A line is one generation:

    <request key> TAB <crc32 of the key and payload, hex> TAB <payload: JSON> NEWLINE

Bytes once written are never changed, so reading needs no lock: a reader on another host sees
a prefix of a log, perhaps ending in a record still being written, or (on NFS, before the
writer's data reaches the server) in zeros. Every record carries its checksum, so such a tail,
or a log damaged any other way, is skipped with a warning, never taken for a generation and
never moved or deleted: it may be a live writer's, and it is read again by the next lookup.
"""
from __future__ import annotations

import json
import os
import re
import socket
import sys
import threading
import uuid
import zlib
from pathlib import Path
from typing import Any, BinaryIO, Iterable, Mapping

from harness.types import Generation

FOLDER = "generations"
SUFFIX = ".log"
_json = json.JSONDecoder()
_warned: set[tuple[Path, str]] = set()
_writer: tuple[int, str] | None = None  # (pid, writer id): a forked child makes its own
_locks: dict[Path, threading.Lock] = {}  # engine calls of one process share its log
_locks_guard = threading.Lock()
# what each format stores of a generation, besides its example id and time
FIELDS = ("text", "num_tokens", "finish_reason", "prompt_tokens", "truncated")


def model_folder(cache_dir: Path, key: str) -> Path:
    return cache_dir / FOLDER / key


def encode(request_key: str, generation: Generation, now: float) -> bytes:
    payload = json.dumps({"example_id": generation.example_id, "created_at": now,
                          **{f: getattr(generation, f) for f in FIELDS}},
                         ensure_ascii=False, separators=(",", ":")).encode()
    line_key = _line_key(request_key)
    return b"%s\t%08x\t%s\n" % (line_key, _checksum(line_key, payload), payload)


def _checksum(line_key: bytes, payload: bytes) -> int:
    # the key too: a damaged key must not serve a record for another request
    return zlib.crc32(payload, zlib.crc32(line_key))


def _line_key(request_key: str) -> bytes:
    # ASCII without tabs or newlines whatever the key, compared as bytes when reading
    return request_key.encode("unicode_escape")


def read_log(path: Path, wanted: Mapping[bytes, str], found: dict[str, Generation]) -> str | None:
    """Add to ``found`` the generations in the log at ``path`` of the keys ``wanted`` (by
    their form in a line); returns what was wrong with the log, or None."""
    try:
        data = path.read_bytes()
    except OSError as exc:  # vanished or unreadable (NFS: a stale handle): read again next time
        return f"could not read it ({exc})"
    lines = data.split(b"\n")
    tail, damaged = lines.pop(), 0  # after the last newline: a record not yet finished
    for line in lines:
        line_key, _, rest = line.partition(b"\t")
        if rest[8:9] != b"\t":  # no checksum field: not a record at all
            damaged += 1
            continue
        key = wanted.get(line_key)
        if key is None or key in found:
            continue  # checksums only of what is asked for
        generation = _decode(line_key, rest)
        if generation is None:
            damaged += 1
        else:
            found[key] = generation
    problems = [f"{damaged} damaged record(s)"] if damaged else []
    if tail.strip(b"\0"):
        problems.append("an unfinished last record")
    elif tail:
        problems.append("zeros at its end")
    return ", ".join(problems) or None


def _decode(line_key: bytes, rest: bytes) -> Generation | None:
    crc, _, payload = rest.partition(b"\t")
    try:
        if int(crc, 16) != _checksum(line_key, payload):
            return None
        return stored(_json.decode(payload.decode()))
    except (ValueError, KeyError, TypeError):  # UnicodeDecodeError is a ValueError
        return None


def stored(fields: Mapping[str, Any]) -> Generation:
    """The cached generation whose ``FIELDS`` either format holds (example_id left empty:
    the ledger fills in each example that asked)."""
    return Generation(example_id="", cached=True, text=fields["text"],
                      num_tokens=int(fields["num_tokens"]), finish_reason=fields["finish_reason"],
                      prompt_tokens=int(fields["prompt_tokens"]),
                      truncated=bool(fields["truncated"]))


def read_logs(folder: Path, request_keys: Iterable[str]) -> dict[str, Generation]:
    """The generations among ``request_keys`` in every log of one model's folder.

    Whole logs are read at every lookup: as fast as the SQLite file for all of 100k keys,
    but 80-270 ms against 2 ms for 8 of them (``bench/cache.py``, ``engine/cache_mode.py``)."""
    found: dict[str, Generation] = {}
    wanted = {_line_key(k): k for k in request_keys}
    if not wanted:
        return found
    try:
        logs = sorted(p for p in folder.iterdir() if p.name.endswith(SUFFIX))
    except FileNotFoundError:
        return found
    for path in logs:
        problem = read_log(path, wanted, found)
        if problem is not None and (path, problem) not in _warned:
            _warned.add((path, problem))  # once per process, not once per task
            print(f"harness: warning: generation cache log {path}: {problem}; skipped those "
                  f"and left the file in place (a writer on another node may still be writing "
                  f"it; later runs read it again); the requests they held are generated again",
                  file=sys.stderr)
        if len(found) == len(wanted):
            break
    return found


def writer_id() -> str:
    """This process's writer id: host, pid and a random part, so no two processes, even on
    hosts of one name or with a reused pid, ever append to one log."""
    global _writer
    if _writer is None or _writer[0] != os.getpid():
        host = re.sub(r"[^A-Za-z0-9._-]", "_", socket.gethostname()) or "host"
        _writer = (os.getpid(), f"{host}-{os.getpid()}-{uuid.uuid4().hex[:8]}")
    return _writer[1]


def own_log(folder: Path, fingerprint: Mapping[str, str]) -> Path:
    """This process's log in one model's ``folder``, made ready for ``append``."""
    folder.mkdir(parents=True, exist_ok=True)
    _describe(folder / "model.json", fingerprint)
    log = folder / f"{writer_id()}{SUFFIX}"
    with _locks_guard:
        _locks.setdefault(log, threading.Lock())
    return log


def append(log: Path, data: bytes) -> None:
    """Append whole records to this process's ``log``, durably."""
    if not data:
        return
    with _locks[log]:
        try:
            # opened and closed per commit: NFS promises another node sees what was
            # written once the writer closed the file and the reader opens it
            with open_for_append(log) as handle:
                handle.write(data)  # one write: a reader sees whole records or a torn tail
                handle.flush()
                os.fsync(handle.fileno())
        except OSError as exc:  # a full disk: the error names the log
            raise OSError(exc.errno, exc.strerror, str(log)) from exc


def _describe(path: Path, fingerprint: Mapping[str, str]) -> None:
    """``model.json``: which model a folder holds, for people; written once, atomically."""
    if path.exists():
        return
    temporary = path.with_name(f".{path.name}.{writer_id()}")
    temporary.write_text(json.dumps(dict(fingerprint), sort_keys=True, indent=1) + "\n")
    os.replace(temporary, path)


def open_for_append(path: Path) -> BinaryIO:
    """The log at ``path``, to append records to."""
    handle = open(path, "ab")
    # a log whose writer died mid-record (same id only if a pid and random part repeat):
    # start on a new line so the torn record stays one damaged line
    if handle.tell() > 0:
        with open(path, "rb") as reader:
            reader.seek(-1, os.SEEK_END)
            if reader.read(1) != b"\n":
                handle.write(b"\n")
    return handle
