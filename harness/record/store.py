"""Run records, per-example samples and metric statistics on disk.

Layout, one folder per run, so runs never overwrite each other::

    <output>/<model-slug>/<task-slug>/<run-id>/run.json, samples.jsonl, stats/<metric>.npy
    <output>/<model-slug>/<task-slug>/latest        the newest run that did not fail (its id)

A run is written into ``.tmp-<run-id>.<pid>@<host>`` beside its final place and renamed into
place, so a run folder exists whole or not at all; readers skip dot-folders. A write that
fails or is stopped removes its temporary folder; one that ``kill -9`` left is removed by the
next write to the folder once its writer is gone (``remove_leftovers``). ``latest`` is replaced atomically after the rename, and never names a failed run.
Records from schema 1 (``<output>/<model>/<task>/run.json``) are read and converted.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import secrets
import shutil
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, Any, Iterable, Iterator, Mapping, Sequence

from harness.errors import DataError
from harness.machine import Owner
from harness.record import SCHEMA_VERSION, RunRecord
from harness.record.v1 import upgrade

RECORD = "run.json"
LATEST = "latest"
RUN_ID = re.compile(r"^\d{8}T\d{6}Z-[0-9a-z]+$")
MAX_SLUG = 96


def new_run_id(now: datetime | None = None) -> str:
    """``20261130T115103Z-3fa9c1``: sorts by start time; the suffix keeps same-second runs apart."""
    now = now or datetime.now(timezone.utc)
    return f"{now.strftime('%Y%m%dT%H%M%SZ')}-{secrets.token_hex(3)}"


def slug(text: str, keep: str = "") -> str:
    """A single safe path component: never empty, ``.``, ``..``, hidden, or a path; and one
    text's alone. A text that is already such a component (``lead-3``, ``bleu``) is its own
    slug. Any other is rewritten (``/`` and ``:`` to ``_``) behind an 8-character hash of the
    whole text: ``a+b.jsonl`` and ``a_b.jsonl`` would both read ``a_b.jsonl`` otherwise, and
    share a folder and a ``latest``. ``keep``: more characters that are safe where it is used.
    """
    unsafe = rf"[^A-Za-z0-9._{re.escape(keep)}-]+"
    if text and not re.search(unsafe, text) and text.strip("._-") == text and len(text) <= MAX_SLUG:
        return text
    return _tagged(text, re.sub(unsafe, "_", text).strip("._-"))


def _tagged(text: str, cleaned: str) -> str:
    """``cleaned`` behind an 8-character hash of ``text``. Long local paths as model locators:
    the end names the checkpoint or predictions file, the start is where the user keeps it,
    so the end is what is kept."""
    tag = hashlib.sha256(text.encode()).hexdigest()[:8]
    out = cleaned[-(MAX_SLUG - 9):].lstrip("._-")
    return f"{tag}-{out}" if out else f"_{tag}"


def task_dir(output: Path, model_spec: str, task: str) -> Path:
    """``<output>/<model>/<task>``; a folder an older harness named for this model and task
    (before names were one text's alone) is used as long as no run of another is in it."""
    folder = Path(output) / slug(model_spec) / slug(task)
    legacy = Path(output) / _legacy_slug(model_spec) / _legacy_slug(task)
    if legacy != folder and not folder.exists() and legacy.is_dir() \
            and _folder_owner(legacy) == (model_spec, task):
        return legacy
    return folder


def _legacy_slug(text: str) -> str:
    """The folder name an older harness gave ``text``: unsafe runs of characters became one
    ``_``, so ``a+b`` and ``a_b`` shared it; only an empty or long name had a hash."""
    out = re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("._-")
    return out if out and len(out) <= MAX_SLUG else _tagged(text, out)


def stats_path(metric: str) -> str:
    """Where a metric's statistics go in its run folder: ``stats/chrf++.npy``, never the
    file of another metric (``chrf``)."""
    return f"stats/{slug(metric, keep='+')}.npy"


def check_names(folder: Path, record: RunRecord) -> None:
    """Refuse a record whose files would land on another's: two scores' statistics in one
    file (also where file names ignore case), or a run in a task ``folder`` that holds runs of
    another model or task (a folder written under an older naming)."""
    seen: dict[str, str] = {}
    for name, entry in record.scores.items():
        if entry.stats is None:
            continue
        other = seen.setdefault(entry.stats.casefold(), name)
        if other != name:
            raise DataError(f"metrics {other!r} and {name!r} of run {record.run_id} would share "
                            f"the statistics file {entry.stats}; rename one of them")
    owner = _folder_owner(folder)
    if owner is not None and owner != (record.model.spec, record.task.name):
        raise DataError(f"{folder}: holds runs of {owner[0]!r} on {owner[1]!r}, not "
                        f"{record.model.spec!r} on {record.task.name!r}; give another --output, "
                        f"or move that folder away")


def _folder_owner(folder: Path) -> tuple[str, str] | None:
    """(model spec, task) of the newest run in a task folder (or its schema-1 record), if it
    has a readable one."""
    try:
        named = (folder / LATEST).read_text(encoding="utf-8").strip() \
            if (folder / LATEST).is_file() else "."
        raw = json.loads((folder / named / RECORD).read_text(encoding="utf-8"))
        if raw.get("schema_version") == 1:
            raw = upgrade(raw)
        return raw["model"]["spec"], raw["task"]["name"]
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None  # no run there yet (or none readable): nothing to clash with


def atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    # the writer's tag ends the name: a kill -9 mid-write leaves a file anyone can tell is dead
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=Owner.me().tag)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


@contextlib.contextmanager
def _synced(path: Path, mode: str) -> Iterator[IO]:
    # inside a run's temporary folder: the folder rename is what makes it visible
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with open(path, mode, **({} if "b" in mode else {"encoding": "utf-8", "newline": ""})) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
    except OSError as err:
        if err.filename is None:  # a full disk fails a write, which names no file: name it
            raise OSError(err.errno, err.strerror, str(path)) from err
        raise


def _write_file(path: Path, data: bytes) -> None:
    with _synced(path, "wb") as f:
        f.write(data)


def write_run(output: Path, record: RunRecord, samples: Iterable[Mapping[str, Any]],
              stats: Mapping[str, Any]) -> Path:
    """Write one run's folder whole under ``output``; returns the folder.

    ``samples`` is consumed once, row by row, as it is written: a generator keeps one row
    in memory. ``stats`` maps metric names to statistics matrices, saved where
    ``record.scores`` says.
    """
    import numpy as np

    parent = task_dir(output, record.model.spec, record.task.name)
    check_names(parent, record)
    final, tmp = parent / record.run_id, parent / f"{TMP_RUN}{record.run_id}{Owner.me().tag}"
    if tmp.exists():  # this process's own earlier attempt at the same run (a failed record)
        shutil.rmtree(tmp)
    remove_leftovers(parent)
    tmp.mkdir(parents=True)
    try:
        with _synced(tmp / record.files.samples, "w") as f:
            # row by row: a million sample rows joined first would be a gigabyte of text
            f.writelines(json.dumps(s, ensure_ascii=False) + "\n" for s in samples)
        for name, matrix in stats.items():
            with _synced(tmp / record.score(name).stats, "wb") as f:  # no in-memory copy
                np.save(f, np.asarray(matrix, dtype=np.float64))
        _write_file(tmp / RECORD, (record.to_json() + "\n").encode())
        _publish(tmp, final)
    except BaseException:  # a full disk, Ctrl-C, SIGTERM: the half-written run goes with us
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if record.status != "failed":
        atomic_write(parent / LATEST, f"{record.run_id}\n".encode())
    record._folder = final
    return final


TMP_RUN = ".tmp-"  # .tmp-<run-id>.<pid>@<host>/: a run being written
# a run writes its folder in minutes: one older than this was interrupted, whoever wrote it
STALE_AFTER_S = 3600


def remove_leftovers(folder: Path, now: float | None = None, dry_run: bool = False) -> list[Path]:
    """Remove what interrupted writes left in ``folder`` (``.tmp-<run-id>.../`` folders and
    ``.<file>.XXXX...`` half-written files): those whose writer is gone (this host, its pid
    no longer exists) at once, any other once it is an hour old, as the writer may be
    another host's run, writing now. They never hold a result: a run is published by its
    rename, a file by its replace. ``dry_run``: only say what would go."""
    now = time.time() if now is None else now
    removed = []
    for path in folder.glob(".*"):
        if not is_leftover(path.name):
            continue
        try:
            quiet_s = now - path.lstat().st_mtime
            owner = Owner.of_name(path.name)
            if quiet_s < STALE_AFTER_S and (owner is None or not owner.gone(quiet_s, STALE_AFTER_S)):
                continue
            if not dry_run:
                shutil.rmtree(path) if path.is_dir() and not path.is_symlink() else path.unlink()
            removed.append(path)
        except OSError:
            continue  # another run removed it first, or it is not ours to remove
    return removed


def is_leftover(name: str) -> bool:
    """A name only an unfinished write gives: a run's temporary folder, or an atomic write's
    temporary file (``.latest.XXXX``, ``.shard-0-of-2.json.XXXX.4242@node7``)."""
    return name.startswith((TMP_RUN, f".{LATEST}.")) \
        or (name.startswith(".") and Owner.of_name(name) is not None)


def _publish(tmp: Path, final: Path) -> None:
    os.rename(tmp, final)  # atomic: the run appears whole; fails if the id is taken
    fd = os.open(final.parent, os.O_RDONLY)
    try:
        os.fsync(fd)  # the rename itself survives a power cut
    finally:
        os.close(fd)


def read_record(path: Path) -> RunRecord:
    """One run.json (schema 1 or 2) as a RunRecord."""
    from pydantic import ValidationError

    path = Path(path)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as err:
        raise DataError(f"{path}: not a readable run record ({err})") from None
    version = raw.get("schema_version") if isinstance(raw, dict) else None
    if version not in (1, SCHEMA_VERSION):
        raise DataError(f"{path}: schema_version {version!r} is not readable by this harness "
                        f"(it reads 1 and {SCHEMA_VERSION}); upgrade harness")
    try:
        record = RunRecord.model_validate(upgrade(raw) if version == 1 else raw)
    except (ValidationError, KeyError, TypeError, ValueError) as err:
        raise DataError(f"{path}: malformed schema-{version} run record: {err}") from None
    record._folder = path.parent
    return record


@dataclass(frozen=True)
class LeftOut:
    """A run a reader found but did not show, and why: reports list these under their table."""

    folder: Path
    reason: str
    """partial | failed | filtered"""
    detail: str
    """``3 of 100 examples failed``, a failed run's error, ``--models hf-* does not match ...``."""

    @classmethod
    def of(cls, record: RunRecord) -> "LeftOut":
        """A partial or failed run, as a reader lists it (or marks it, when it shows it)."""
        if record.status == "failed":
            return cls(record.folder, "failed", record.error or "no reason recorded")
        return cls(record.folder, record.status,
                   f"{record.n_errors} of {record.task.n_examples} examples failed")


def load_runs(paths: Path | str | Sequence[Path | str], *, all_runs: bool = False,
              statuses: Sequence[str] = ("complete",),
              left_out: list[LeftOut] | None = None) -> list[RunRecord]:
    """The run records under ``paths``: the one reader reports use.

    Each path is a run folder or its run.json (read whatever its status, but a status not in
    ``statuses`` is refused), a task folder, or any folder above (every task folder under it: a
    model folder, a whole results folder): of each task folder, the newest run of each run key
    (``RunRecord.identity``), so runs of one model made with other settings are all read.
    ``all_runs`` gives every run of each task folder, oldest first. Failed and partial runs
    are left out unless ``statuses`` names them; ``left_out``, when given, receives those that
    would otherwise have been read (newer than the run read of their key, or of a key none
    was read of).
    """
    if isinstance(paths, (str, Path)):
        paths = [paths]
    records: list[RunRecord] = []
    for path in map(Path, paths):
        if path.name == RECORD and path.is_file():
            path = path.parent
        if not path.is_dir():
            raise DataError(f"{path}: no such run, task or results folder")
        if (path / RECORD).is_file() and RUN_ID.match(path.name):
            records.append(_explicit(path, statuses))
            continue
        found = []
        for folder, runs in _task_folders(path):
            found.extend(_pick(folder, runs, all_runs, statuses,
                               left_out if left_out is not None else []))
        # by model and task, not by folder name: names start with a hash where the spec has
        # characters a file name cannot, and the order of a table must not depend on it
        records.extend(sorted(found, key=lambda r: (r.model.spec, r.task.name, r.created, r.run_id)))
    return records


def _explicit(run: Path, statuses: Sequence[str]) -> RunRecord:
    record = read_record(run / RECORD)
    if record.status not in statuses:
        partial = record.status == "partial"
        why = f" ({LeftOut.of(record).detail})" if partial else f": {record.error}" if record.error else ""
        fix = "pass --include-partial to read it anyway" if partial else "rerun the task"
        raise DataError(f"{run}: this run is {record.status}{why}; its scores are not a result ({fix})")
    return record


def _task_folders(root: Path) -> Iterator[tuple[Path, list[Path]]]:
    """(task folder, its run folders) under ``root``; a schema-1 record in the task
    folder itself is one of its runs."""
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))  # .tmp-*: unfinished writes
        here = Path(folder)
        legacy = [here] if RECORD in files and not RUN_ID.match(here.name) \
            and not here.name.startswith(".") else []
        runs = legacy + [here / d for d in dirs
                         if RUN_ID.match(d) and (here / d / RECORD).is_file()]
        if runs:
            yield here, runs
        dirs[:] = [d for d in dirs if not RUN_ID.match(d)]


def _pick(folder: Path, runs: list[Path], all_runs: bool, statuses: Sequence[str],
          left_out: list[LeftOut]) -> list[RunRecord]:
    # start times order runs; ids alone do not within one second
    records = sorted((read_record(run / RECORD) for run in runs),
                     key=lambda r: (r.created, r.run_id))
    accepted = [r for r in records if r.status in statuses]
    # Records from before keys were stored cannot tell their settings: they count as runs
    # of the newest key, as they counted as older runs of the folder before.
    keyed = [r for r in records if r.key is not None]
    fallback = keyed[-1].key.digest() if keyed else "unkeyed"

    def group(record: RunRecord) -> str:
        return record.key.digest() if record.key is not None else fallback
    pointer = folder / LATEST
    named = pointer.read_text(encoding="utf-8").strip() if pointer.is_file() else ""
    # the newest run of each run key: a run made with other settings (another --data, other
    # post-processing) is another experiment, not an older version of this one; within a key
    # the pointer wins, as a run becomes latest only once it is whole and did not fail
    newest: dict[str, RunRecord] = {}
    for record in accepted:
        if newest.get(group(record)) is None or newest[group(record)].run_id != named:
            newest[group(record)] = record
    picked = accepted if all_runs else sorted(newest.values(), key=lambda r: (r.created, r.run_id))
    # a run older than the one read of its key is superseded anyway; a newer one is news
    for record in records:
        shown = None if all_runs else newest.get(group(record))
        if record.status not in statuses and (
                shown is None or (record.created, record.run_id) > (shown.created, shown.run_id)):
            left_out.append(LeftOut.of(record))
    return picked
