"""The shards of a run made into its run record: ``harness merge``, or the last shard itself.

Nothing is scored until the parts are known to make one run: every shard 0..N-1 once
(complete), all with one model fingerprint, model arguments, task version, data fingerprint,
generation settings, metrics, seed and post-processing (consistent), and each example in one
shard only (disjoint). The task is then planned again as the shards planned it (its data must
still have their fingerprint), the generations are put back in the task's order, and the
pipeline scores and writes them as it writes any run: the record is the one a single process
would have written, plus ``merged_from``.

Two shards finishing at once may both find all N parts: the one that creates the lock file
(``merging-of-N.lock``, O_EXCL) merges, and a ``merged-of-N.json`` written before the lock is
released tells later comers the work is done.
"""
from __future__ import annotations

import json
import os
import re
import shlex
import socket
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator, Sequence

from harness import store
from harness.errors import DataError, UsageError
from harness.record import MergedFrom, RunRecord
from harness.record.accounting import combine
from harness.record.run import Section
from harness.record.shard import ShardRecord
from harness.shards_run import SHARDS

SHARD_FILE = re.compile(r"^shard-(\d+)-of-(\d+)\.json$")
# what every shard of one run must share, each read off its partial record
SAME = (("model.spec", lambda r: r.model.spec), ("model.args", lambda r: r.model.args),
        ("model.fingerprint", lambda r: r.model.fingerprint),
        ("task.name", lambda r: r.task.name), ("task.version", lambda r: r.task.version),
        ("task.data_fingerprint", lambda r: r.task.data_fingerprint),
        ("task.n_examples", lambda r: r.task.n_examples), ("generation", lambda r: r.generation),
        ("metrics", lambda r: r.options.metrics), ("seed", lambda r: r.options.seed),
        ("postprocess", lambda r: r.postprocess), ("bootstrap", lambda r: r.options.n_bootstrap))


@dataclass(frozen=True)
class Part:
    """One partial record and the file it came from."""

    path: Path
    record: ShardRecord


@dataclass(frozen=True)
class Outcome:
    record: RunRecord | None  # the merged run, when this call wrote it (or found it written)
    note: str  # one line for the user: merged, waiting for shards, being merged elsewhere


class Merged(Section):
    """``merged-of-N.json``: which run the shards went into."""

    run_id: str
    folder: str
    shard_run_ids: list[str]


def read_part(path: Path) -> Part:
    from pydantic import ValidationError
    try:
        return Part(path, ShardRecord.model_validate_json(Path(path).read_bytes()))
    except OSError as err:
        raise DataError(f"{path}: cannot read this shard ({err.strerror or err})") from None
    except ValidationError as err:
        raise DataError(f"{path}: not a shard record written by this harness: {err}") from None


def find_parts(paths: Sequence[Path | str]) -> list[Part]:
    """The partial records in ``paths``: shard files, or folders searched below."""
    parts = []
    for path in map(Path, paths):
        if path.is_file():
            parts.append(read_part(path))
        elif path.is_dir():
            for folder, dirs, files in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                parts += [read_part(Path(folder) / f) for f in sorted(files) if SHARD_FILE.match(f)]
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
    return (f"{name}: shard {first.record.index} ({first.path}) has {_short(get(first.record))}, "
            f"shard {part.record.index} ({part.path}) has {_short(get(part.record))}; rerun "
            f"shard {part.record.index} with the settings of the others, or give each run its "
            f"own --shard-key")


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 120 else text[:117] + "..."


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


def merge_when_complete(path: Path, plan: Any, output: Path, settings: Any,
                        stats_cache: Any = None) -> Outcome:
    """What the shard that wrote ``path`` does next: merge all N parts if they are in and no
    other process is merging them; otherwise say what it waits for."""
    rec = read_part(path).record
    folder, what = path.parent, f"shard {rec.index}/{rec.count} of {rec.task.name}"
    parts = [p for p in find_parts([folder]) if p.record.count == rec.count]
    missing = sorted(set(range(rec.count)) - {p.record.index for p in parts})
    if missing:
        return Outcome(None, f"{what} written to {path}; waiting for shard "
                             f"{', '.join(map(str, missing))} (the last shard to finish merges "
                             f"them; or by hand: harness merge {folder})")
    with _lock(folder, rec.count) as held:
        if held is not None:
            return Outcome(None, f"{what} written; all {rec.count} shards are in and another "
                                 f"process is merging them ({held})")
        done = _done(folder, parts)
        if done is not None:
            return Outcome(None, f"{what} written; its shards are merged: {done.folder}")
        record = merge(parts, output, settings, plan, stats_cache)
        _mark(folder, parts, record)
        return Outcome(record, f"merged {rec.count} shards of {rec.task.name}: {record.folder}")


def merge_paths(paths: Sequence[Path | str], output: Path | None = None,
                settings: Any = None) -> list[Outcome]:
    """``harness merge PATHS``: every run whose shards are under ``paths``, each merged once
    (a run already merged from these very shards is read back, not merged again)."""
    parts = find_parts(paths)
    if not parts:
        raise DataError(f"no shard records (shard-I-of-N.json) in {', '.join(map(str, paths))}; "
                        f"`harness run ... --shard I/N` writes them under "
                        f"<output>/<model>/<task>/{SHARDS}/<key>/")
    runs: dict[tuple, list[Part]] = defaultdict(list)
    for part in parts:
        r = part.record
        runs[(r.model.spec, r.task.name, r.key, r.count)].append(part)
    checked = [_complete(group, parts) for group in runs.values()]
    outcomes = []
    for group in checked:
        folder, count = group[0].path.parent, group[0].record.count
        with _lock(folder, count) as held:
            if held is not None:
                raise DataError(f"{held}; wait for it to finish, or, if it is not running "
                                f"(killed), remove {_lock_path(folder, count)} and merge again")
            done = _done(folder, group)
            if done is not None:
                outcomes.append(Outcome(done, f"already merged: {done.folder}"))
                continue
            record = merge(group, output or _output_of(group[0].path), settings)
            _mark(folder, group, record)
            outcomes.append(Outcome(record, f"merged {count} shards of {record.task.name}"))
    return outcomes


def _complete(group: list[Part], everything: Sequence[Part]) -> list[Part]:
    """``check(group)``; a missing shard found elsewhere with other settings is named as
    such, with what differs, rather than as missing."""
    first = min(group, key=lambda p: p.record.index)
    have = {p.record.index for p in group}
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


def _output_of(path: Path) -> Path:
    """The results folder a shard file sits in: <output>/<model>/<task>/shards/<key>/file."""
    if path.resolve().parents[1].name != SHARDS:
        raise UsageError(f"{path}: not under <output>/<model>/<task>/{SHARDS}/<key>/, so the "
                         f"results folder is unknown; give --output DIR")
    return path.resolve().parents[4]


def _lock_path(folder: Path, count: int) -> Path:
    return folder / f"merging-of-{count}.lock"


@contextmanager
def _lock(folder: Path, count: int) -> Iterator[str | None]:
    """Yields None while this process holds the merge lock of ``folder``'s N shards, or who
    holds it. Exclusive creation is atomic on local and NFSv3+ file systems, so of two shards
    finding all parts at once exactly one merges."""
    path = _lock_path(folder, count)
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
    except FileExistsError:
        yield _holder(path)
        return
    with os.fdopen(fd, "w") as f:
        json.dump({"pid": os.getpid(), "host": socket.gethostname(),
                   "since": datetime.now(timezone.utc).isoformat(timespec="seconds")}, f)
    try:
        yield None
    finally:
        path.unlink(missing_ok=True)


def _holder(path: Path) -> str:
    try:
        held = json.loads(path.read_text(encoding="utf-8"))
        who = f"pid {held['pid']} on {held['host']} since {held['since']}"
    except (OSError, ValueError, KeyError, TypeError):
        who = "a process"
    return f"{path}: {who} is merging these shards"


def _mark_path(folder: Path, count: int) -> Path:
    return folder / f"merged-of-{count}.json"


def _mark(folder: Path, parts: Sequence[Part], record: RunRecord) -> None:
    # written before the lock is released: whoever takes the lock next sees the work done
    mark = Merged(run_id=record.run_id, folder=str(Path(record.folder).resolve()),
                  shard_run_ids=sorted(p.record.run_id for p in parts))
    store.atomic_write(_mark_path(folder, parts[0].record.count), mark.model_dump_json().encode())


def _done(folder: Path, parts: Sequence[Part]) -> RunRecord | None:
    """The run these very shards were merged into, if it is still there."""
    path = _mark_path(folder, parts[0].record.count)
    try:
        mark = Merged.model_validate_json(path.read_bytes())
    except (OSError, ValueError):
        return None
    if mark.shard_run_ids != sorted(p.record.run_id for p in parts):
        return None  # a shard was run again since: its part may differ
    run = Path(mark.folder) / store.RECORD
    return store.read_record(run) if run.is_file() else None


def merge(parts: Sequence[Part], output: Path, settings: Any = None, plan: Any = None,
          stats_cache: Any = None) -> RunRecord:
    """Score the checked ``parts`` as one run and write its record under ``output``."""
    from harness import pipeline
    from harness.engine import EngineSettings
    ordered = check(parts)
    first = ordered[0].record
    settings = settings or EngineSettings(on_error="skip", progress=False)
    options = _options(first, output)
    plan = plan or _replan(first, options, settings)
    _check_plan(plan, ordered[0])
    generations: list[Any] = [None] * len(plan.examples)
    for part in ordered:
        for position, gen in zip(part.record.positions, part.record.generations):
            if plan.examples[position].id != gen.example_id:
                raise DataError(f"{part.path}: position {position} holds example "
                                f"{gen.example_id!r}, but the task's data has "
                                f"{plan.examples[position].id!r} there; rerun the shards")
            generations[position] = gen
    records = [p.record for p in ordered]
    created = min(r.created for r in records)
    out = pipeline._Generated(
        task=plan.task, info=first.task, examples=plan.examples, config=first.generation,
        generations=generations, post=plan.post, model=first.model,
        made=combine([(r.timings, r.throughput, r.engine) for r in records], first.model.runtime),
        load_s=sum(r.timings.load_s for r in records),
        prepare_s=sum(r.timings.prepare_s for r in records), created=created,
        record_fields={"environment": first.environment,
                       "merged_from": MergedFrom(key=first.key, count=first.count,
                                                 run_ids=[r.run_id for r in records])})
    if stats_cache is None and settings.use_cache:
        from harness.metrics.stats_cache import StatsCache
        stats_cache = StatsCache(settings.cache_dir / "metric-stats")
    return pipeline._score_and_record(out, options, store.new_run_id(created), stats_cache)


def _options(record: ShardRecord, output: Path):
    from harness.plan import RunOptions
    o = record.options
    return RunOptions(limit=o.limit, metrics=tuple(o.metrics), gen_kwargs=dict(o.gen_kwargs),
                      seed=o.seed, data=Path(o.data) if o.data else None, output=Path(output),
                      n_bootstrap=o.n_bootstrap, postprocess=o.postprocess,
                      allow_outside_paths=o.allow_outside_paths)


def _replan(record: ShardRecord, options: Any, settings: Any):
    from harness.plan import plan_run
    from harness.registry import models
    cls = models.get(record.model.kind)
    return plan_run([record.task_ref], options, cls.input_kind, settings)[0]


def _check_plan(plan: Any, part: Part) -> None:
    """The task as planned here is the task the shards generated for."""
    from harness import data
    rec, found = part.record, []
    fingerprint = data.fingerprint(plan.examples)
    for name, here, there in (("data fingerprint", fingerprint, rec.task.data_fingerprint),
                              ("task version", plan.task.version, rec.task.version),
                              ("generation settings", plan.config, rec.generation),
                              ("post-processing", list(plan.post.steps), rec.postprocess)):
        if here != there:
            found.append(f"{name}: {_short(here)} here, {_short(there)} in {part.path}")
    if found:
        raise DataError(f"task {rec.task_ref!r} is not what the shards ran: " + "; ".join(found)
                        + "; merge where the shards' task and data are, or rerun the shards")
