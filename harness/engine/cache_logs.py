"""The per-writer logs of the generation cache: their format, and reading them.

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
import sys
import zlib
from pathlib import Path
from typing import BinaryIO, Iterable, Mapping

from harness.types import Generation

FOLDER = "generations"
SUFFIX = ".log"
_json = json.JSONDecoder()
_warned: set[tuple[Path, str]] = set()
_FIELDS = ("text", "num_tokens", "finish_reason", "prompt_tokens", "truncated")


def model_folder(cache_dir: Path, key: str) -> Path:
    return cache_dir / FOLDER / key


def encode(request_key: str, generation: Generation, now: float) -> bytes:
    payload = json.dumps({"example_id": generation.example_id, "created_at": now,
                          **{f: getattr(generation, f) for f in _FIELDS}},
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
        fields = _json.decode(payload.decode())
        return Generation(example_id="", cached=True, text=fields["text"],
                          num_tokens=int(fields["num_tokens"]),
                          finish_reason=fields["finish_reason"],
                          prompt_tokens=int(fields["prompt_tokens"]),
                          truncated=bool(fields["truncated"]))
    except (ValueError, KeyError, TypeError):  # UnicodeDecodeError is a ValueError
        return None


def read_logs(folder: Path, request_keys: Iterable[str]) -> dict[str, Generation]:
    """The generations among ``request_keys`` in every log of one model's folder.

    Whole logs are read at every lookup, which stays cheap: 100k requests found in 8 logs
    (41 MB) in 2.5 s, 101 of them in 0.2 s, where the single SQLite file took 4.5 s for the
    100k (2-core machine under load)."""
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
