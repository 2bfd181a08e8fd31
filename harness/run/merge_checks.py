"""Which shard files make one run: reading them, and checking that they are complete (every
shard 0..N-1 once), consistent (one model, task, data and settings) and disjoint (each example
in one shard), with errors that name the shard, its file and what to do."""
from __future__ import annotations

import dataclasses
import os
import re
import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

from harness.errors import DataError
from harness.record.shard import ShardRecord

SHARD_FILE = re.compile(r"^shard-(\d+)-of-(\d+)\.json$")
MERGED = "merged"  # <key>/merged/<run-id>/: the parts a run was merged from, out of the way
# what every shard of one run must share, each read off its partial record
SAME = (("model.spec", lambda r: r.model.spec), ("model.args", lambda r: r.model.args),
        ("model.fingerprint", lambda r: r.model.fingerprint),
        ("task.name", lambda r: r.task.name), ("task.version", lambda r: r.task.version),
        ("task.data_fingerprint", lambda r: r.task.data_fingerprint),
        ("task.n_examples", lambda r: r.task.n_examples), ("generation", lambda r: r.generation),
        ("metrics", lambda r: r.options.metrics), ("seed", lambda r: r.options.seed),
        ("postprocess", lambda r: r.postprocess), ("bootstrap", lambda r: r.options.n_bootstrap),
        # what the shards' folder name leaves out (record/key.py: HOST_FIELDS)
        ("output settings", lambda r: r.run_key.output_settings if r.run_key else None))


def file_name(index: int, count: int) -> str:
    return f"shard-{index}-of-{count}.json"


@dataclass(frozen=True)
class Part:
    """One partial record and the file it came from."""

    path: Path
    record: ShardRecord


def read_part(path: Path, missing_ok: bool = True) -> Part:
    """One shard file; with ``missing_ok=False`` a file gone since it was listed raises
    FileNotFoundError instead of an error for the user."""
    from pydantic import ValidationError
    try:
        return Part(path, ShardRecord.model_validate_json(Path(path).read_bytes()))
    except FileNotFoundError:
        if not missing_ok:
            raise
        raise DataError(f"{path}: no such shard file") from None
    except OSError as err:
        raise DataError(f"{path}: cannot read this shard ({err.strerror or err})") from None
    except ValidationError as err:
        raise DataError(f"{path}: not a shard record written by this harness: {err}") from None


def find_parts(paths: Sequence[Path | str]) -> list[Part]:
    """The partial records in ``paths``: shard files, or folders searched below (not into
    ``merged/``, where merged shards are kept, unless a path names it)."""
    parts = []
    for path in map(Path, paths):
        if path.is_file():
            parts.append(read_part(path))
        elif path.is_dir():
            for folder, dirs, files in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d != MERGED)
                for name in sorted(files):
                    if SHARD_FILE.match(name):
                        try:
                            parts.append(read_part(Path(folder) / name, missing_ok=False))
                        except FileNotFoundError:
                            continue  # a merge put it away since the listing
        else:
            raise DataError(f"{path}: no such shard file or folder")
    return parts


def check(parts: Sequence[Part]) -> list[Part]:
    """The parts of one run, shard 0 first, once they are known complete, consistent and
    disjoint; otherwise an error naming the shard, its file and what to do."""
    first = min(parts, key=lambda p: p.record.index)
    count = first.record.count
    by_index: dict[int, Part] = {}
    for part in parts:
        index = part.record.index
        if index in by_index:
            other = by_index[index]
            raise DataError(f"shard {index} of {count} appears twice: {other.path} (run "
                            f"{other.record.run_id}) and {part.path} (run {part.record.run_id}); "
                            f"move one of them away and merge again")
        by_index[index] = part
    missing = [i for i in range(count) if i not in by_index]
    if missing:
        raise DataError(_missing(missing, count, parts))
    ordered = [by_index[i] for i in range(count)]
    problems = [_differs(name, get, first, part) for part in ordered[1:] for name, get in SAME
                if get(part.record) != get(first.record)]
    if problems:
        raise DataError("these shards are not parts of one run:\n  " + "\n  ".join(problems))
    _check_disjoint(ordered)
    return ordered


def _missing(missing: list[int], count: int, parts: Sequence[Part]) -> str:
    folders = sorted({str(p.path.parent) for p in parts})
    record = parts[0].record
    names = ", ".join(str(i) for i in missing)
    command = _command(record, missing[0])
    return (f"shard {names} of {count} is missing: {' and '.join(folders)} has "
            f"{', '.join(p.path.name for p in parts)} only (task {record.task.name!r}, key "
            f"{record.key}); run it" + (f" (`{command}`)" if command else "") + " and merge again")


def _command(record: ShardRecord, index: int) -> str:
    """The command line that makes shard ``index``: the one a sibling ran, with its number."""
    args = list(record.environment.command[1:])
    for i, arg in enumerate(args[:-1]):
        if arg == "--shard":
            args[i + 1] = f"{index}/{record.count}"
            return "harness " + " ".join(shlex.quote(a) for a in args)
    return ""


def _differs(name: str, get: Any, first: Part, part: Part) -> str:
    ours, theirs = differing(get(first.record), get(part.record))
    return (f"{name}: shard {first.record.index} ({first.path}) has {ours}, "
            f"shard {part.record.index} ({part.path}) has {theirs}; rerun "
            f"shard {part.record.index} with the settings of the others, or give each run its "
            f"own --shard-key")


def short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 120 else text[:117] + "..."


def differing(a: Any, b: Any) -> tuple[str, str]:
    """``a`` and ``b`` as a reader needs them side by side: records and mappings by the
    fields in which they differ (``seed=0`` against ``seed=7``), so a long record cut short
    never hides the one field that matters; other values whole, or cut at 120 characters."""
    fa, fb = _leaves(a), _leaves(b)
    if fa is None or fb is None:
        return short(a), short(b)
    keys = [k for k in dict.fromkeys([*fa, *fb]) if fa.get(k, _UNSET) != fb.get(k, _UNSET)]

    def show(leaves: dict[str, Any]) -> str:
        return ", ".join(f"{k}={short(leaves[k])}" if k in leaves else f"{k} unset" for k in keys)
    return show(fa), show(fb)


_UNSET = object()


def _leaves(value: Any, prefix: str = "") -> dict[str, Any] | None:
    """A record's or mapping's fields by dotted path; None for any other value."""
    if hasattr(value, "model_dump"):  # a pydantic record
        value = value.model_dump()
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        value = {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
    if not isinstance(value, dict):
        return None
    out: dict[str, Any] = {}
    for key, item in value.items():
        inner = _leaves(item, f"{prefix}{key}.")
        out.update(inner if inner else {f"{prefix}{key}": item})
    return out


def _check_disjoint(ordered: Sequence[Part]) -> None:
    n = ordered[0].record.task.n_examples
    owner: dict[int, Part] = {}
    for part in ordered:
        rec = part.record
        if len(rec.positions) != len(rec.generations):
            raise DataError(f"{part.path}: {len(rec.positions)} positions for "
                            f"{len(rec.generations)} generations; the file is damaged, rerun "
                            f"shard {rec.index}")
        for position, gen in zip(rec.positions, rec.generations):
            if not 0 <= position < n:
                raise DataError(f"{part.path}: example {gen.example_id!r} at position "
                                f"{position}, outside the task's {n} examples; rerun shard {rec.index}")
            if position in owner:
                other = owner[position]
                raise DataError(f"shards {other.record.index} ({other.path}) and {rec.index} "
                                f"({part.path}) both hold example {gen.example_id!r}; they split "
                                f"the task differently, rerun both with one harness version")
            owner[position] = part
    if len(owner) != n:
        raise DataError(f"shards in {ordered[0].path.parent} hold {len(owner)} of the task's {n} "
                        f"examples; rerun them with one harness version")


def complete(group: list[Part], everything: Sequence[Part]) -> list[Part]:
    """``check(group)``; a missing shard found elsewhere with other settings is named as
    such, with what differs, rather than as missing."""
    first = min(group, key=lambda p: p.record.index)
    have = {p.record.index for p in group}
    if len(have) < first.record.count:
        mixed_counts(first, everything)
    strays = [p for p in everything if p.record.task.name == first.record.task.name
              and p.record.count == first.record.count and p.record.index not in have]
    if len(have) < first.record.count and strays:
        stray = strays[0]
        differs = [_differs(name, get, first, stray) for name, get in SAME
                   if get(stray.record) != get(first.record)]
        if differs:
            raise DataError(f"shard {stray.record.index} of {stray.record.count} of "
                            f"{first.record.task.name} is not part of the run in "
                            f"{first.path.parent}:\n  " + "\n  ".join(differs))
    return check(group)


def mixed_counts(first: Part, everything: Sequence[Part]) -> None:
    """Refuse an incomplete set of shards beside shards of the same run (model, task, data,
    settings: the run key, which leaves N out) that count another N: one array's shards given
    two shard counts, not a missing shard."""
    same_task = [p for p in everything if (p.record.model.spec, p.record.task.name, p.record.run_key)
                 == (first.record.model.spec, first.record.task.name, first.record.run_key)]
    counts = sorted({p.record.count for p in same_task})
    if len(counts) < 2:
        return
    listed = "; ".join(f"N={n}: " + ", ".join(str(p.path) for p in same_task if p.record.count == n)
                       for n in counts)
    raise DataError(f"the shards of {first.record.task.name} count {' and '.join(map(str, counts))} "
                    f"shards ({listed}); every shard of one run takes the same N in --shard I/N: "
                    f"run all of them again with one N")
