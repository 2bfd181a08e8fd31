"""Which generation cache a run uses: the single SQLite file (``local``: claims let runs on one
machine share the work) or one log per writer (``shared``: safe when several nodes use one
folder on a network filesystem, where SQLite's locks and WAL cannot be trusted).

``auto`` (the default) picks ``shared`` in a torchrun job spanning several nodes
(``WORLD_SIZE`` > ``LOCAL_WORLD_SIZE``) or when the cache folder is on a network filesystem
(``/proc/mounts``), and says so in one line; ``--cache-mode`` or ``HARNESS_CACHE_MODE``
overrides it.

Why two formats and not the logs everywhere (``bench/cache.py``; a shared 2-core machine,
ext4, 8 generations per commit, three runs): writing is at par (100k generations: 3.9-5.1 s
to the SQLite file, 3.9-4.6 s to a log), and so is looking up all 100k keys (0.61-0.74 s,
0.63-0.78 s). But a lookup in the logs reads every log whole: a fresh process finding 8
keys among 100k took 2 ms in the SQLite file and 80-270 ms in the logs, at a peak of 27 MB
against 107 MB, growing with the cache; every engine call starts with such a lookup, and a
run waiting for another's claims repeats it every half second. And the logs have no claims:
two runs of the same 200 requests at once made 200 generations on the SQLite file, 400 on
the logs. Claims through the logs would be heartbeats appended and read across hosts, with
the same whole-log reads. So the SQLite file serves wherever it is safe, the logs where it
is not, and each reads what the other wrote.
"""
from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

MODES = ("auto", "local", "shared")
ENV = "HARNESS_CACHE_MODE"
# filesystems whose locking across hosts SQLite cannot rely on; any FUSE one may be remote too
NETWORK_FILESYSTEMS = frozenset({
    "nfs", "nfs4", "lustre", "gpfs", "beegfs", "cifs", "smb3", "smbfs", "ceph", "glusterfs",
    "afs", "wekafs", "panfs", "orangefs", "pvfs2", "9p"})
_noticed: set[Path] = set()


@dataclass(frozen=True)
class Choice:
    mode: str  # "local" or "shared"
    reason: str  # why, for the notice and the run record


def default_mode() -> str:
    return os.environ.get(ENV, "auto")


def choose(mode: str, cache_dir: Path, environ: Mapping[str, str] | None = None,
           mounts: str | None = None) -> Choice:
    """The cache for ``cache_dir`` under ``mode``; ``environ`` and ``mounts`` (the text of
    ``/proc/mounts``) default to this process's."""
    if mode in ("local", "shared"):
        return Choice(mode, "chosen")
    environ = os.environ if environ is None else environ
    if multi_node(environ):
        return Choice("shared", f"a torchrun job on several nodes (WORLD_SIZE="
                                f"{environ['WORLD_SIZE']}, LOCAL_WORLD_SIZE="
                                f"{environ['LOCAL_WORLD_SIZE']})")
    kind = filesystem(cache_dir, mounts)
    if kind is not None and is_network(kind):
        return Choice("shared", f"{cache_dir} is on a network filesystem ({kind})")
    return Choice("local", "a local filesystem" if kind else "filesystem unknown")


def multi_node(environ: Mapping[str, str]) -> bool:
    try:
        return int(environ["WORLD_SIZE"]) > int(environ["LOCAL_WORLD_SIZE"])
    except (KeyError, ValueError):
        return False


def is_network(kind: str) -> bool:
    return kind in NETWORK_FILESYSTEMS or kind.startswith("fuse.")


def filesystem(path: Path, mounts: str | None = None) -> str | None:
    """The type of the filesystem ``path`` (existing or not) is on, from the mount table
    (``/proc/mounts`` unless given); None where there is none (not Linux)."""
    if mounts is None:
        try:
            mounts = Path("/proc/mounts").read_text(errors="replace")
        except OSError:
            return None
    target = str(Path(os.path.abspath(path)).resolve())
    best, kind = "", None
    for line in mounts.splitlines():
        fields = line.split()
        if len(fields) < 3:
            continue
        # the table writes a space in a mount point as \040
        point = fields[1].replace("\\040", " ").replace("\\011", "\t").replace("\\134", "\\")
        inside = target == point or target.startswith(point.rstrip("/") + "/")
        if inside and len(point) >= len(best):  # the last of equal ones is what is mounted
            best, kind = point, fields[2]
    return kind


def notice(choice: Choice, cache_dir: Path) -> None:
    """One line when ``auto`` chose per-writer files, once per folder and job."""
    if choice.mode != "shared" or choice.reason == "chosen" or cache_dir in _noticed:
        return
    if os.environ.get("RANK", "0") != "0":  # every rank chooses alike: one of them says it
        return
    _noticed.add(cache_dir)
    print(f"harness: generation cache {cache_dir}: one file per writer, since {choice.reason} "
          f"(--cache-mode local or {ENV}=local to use the single-file cache)", file=sys.stderr)
