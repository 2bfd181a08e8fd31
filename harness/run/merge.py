"""The shards of a run made into its run record: ``harness merge``, or the last shard itself.

Nothing is scored until the parts are known to make one run (``merge_checks``): every shard
0..N-1 once (complete), all with one model fingerprint, model arguments, task version, data
fingerprint, generation settings, metrics, seed and post-processing (consistent), and each
example in one shard only (disjoint). The task is then planned again as the shards planned it
(its data must still have their fingerprint), the generations are put back in the task's
order, and ``score.score_and_record`` writes them as it writes any run: the record is the one a
single process would have written, plus ``merged_from``.

Two shards finishing at once may both find all N parts: the one that creates the lock file
(``merging-of-N.lock``, O_EXCL) merges, and a ``merged-of-N.json`` written before the lock is
released tells later comers the work is done.
"""
from __future__ import annotations

import json
import os
import socket
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator, Sequence

from harness import data
from harness.engine import EngineSettings
from harness.errors import DataError, UsageError
from harness.metrics.stats_cache import StatsCache
from harness.record import MergedFrom, RunRecord, store
from harness.record.accounting import combine
from harness.record.run import Section
from harness.record.shard import ShardRecord
from harness.run.merge_checks import MERGED, Part, check, complete, find_parts, short
from harness.run.options import Planned, RunOptions
from harness.run.plan import model_input_kind, plan_run
from harness.run.score import Generated, score_and_record

SHARDS = "shards"  # <output>/<model>/<task>/shards/<key>/: where a run's parts meet (run/shard.py)


@dataclass(frozen=True)
class Outcome:
    record: RunRecord | None  # the merged run, when this call wrote it (or found it written)
    note: str  # one line for the user: merged, waiting for shards, being merged elsewhere


class Merged(Section):
    """``merged-of-N.json``: which run the shards went into."""

    run_id: str
    folder: str
    shard_run_ids: list[str]


def merge_when_complete(mine: Part, plan: Planned, output: Path, settings: EngineSettings,
                        stats_cache: StatsCache | None = None) -> Outcome:
    """What the shard that wrote ``mine`` does next: merge all N parts if they are in and no
    other process is merging them; otherwise say what it waits for."""
    rec, folder = mine.record, _key_folder(mine.path)
    what = f"shard {rec.index}/{rec.count} of {rec.task.name}"
    parts = [p for p in find_parts([folder]) if p.record.count == rec.count]
    if rec.run_id not in {p.record.run_id for p in parts}:  # another shard merged it already
        return Outcome(None, f"{what} written; another shard merged it: see "
                             f"{_mark_path(folder, rec.count)}")
    missing = sorted(set(range(rec.count)) - {p.record.index for p in parts})
    if missing:
        return Outcome(None, f"{what} written to {mine.path}; waiting for shard "
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
        _put_away(folder, parts, record)
        return Outcome(record, f"merged {rec.count} shards of {rec.task.name}: {record.folder}")


def merge_paths(paths: Sequence[Path | str], output: Path | None = None,
                settings: EngineSettings | None = None) -> list[Outcome]:
    """``harness merge PATHS``: every run whose shards are under ``paths``, each merged once
    (a run already merged from these very shards is read back, not merged again)."""
    parts = find_parts(paths)
    merged_before = [] if parts else _merged_under(paths)
    if merged_before:
        return merged_before
    if not parts:
        raise DataError(f"no shard records (shard-I-of-N.json) in {', '.join(map(str, paths))}; "
                        f"`harness run ... --shard I/N` writes them under "
                        f"<output>/<model>/<task>/{SHARDS}/<key>/")
    runs: dict[tuple, list[Part]] = defaultdict(list)
    for part in parts:
        r = part.record
        runs[(r.model.spec, r.task.name, r.key, r.count)].append(part)
    checked = [complete(group, parts) for group in runs.values()]
    outcomes = []
    for group in checked:
        folder, count = _key_folder(group[0].path), group[0].record.count
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
            _put_away(folder, group, record)
            outcomes.append(Outcome(record, f"merged {count} shards of {record.task.name}"))
    return outcomes


def _merged_under(paths: Sequence[Path | str]) -> list[Outcome]:
    """The runs that shards under ``paths`` were merged into, as their marks name them."""
    found = []
    for path in map(Path, paths):
        for mark in sorted(path.rglob("merged-of-*.json")) if path.is_dir() else []:
            try:
                run = Path(Merged.model_validate_json(mark.read_bytes()).folder)
            except (OSError, ValueError):
                continue
            if (run / store.RECORD).is_file():
                found.append(Outcome(store.read_record(run / store.RECORD),
                                     f"already merged: {run}"))
    return found


def _output_of(path: Path) -> Path:
    """The results folder a shard file sits in: <output>/<model>/<task>/shards/<key>/..."""
    for parent in path.resolve().parents:
        if parent.name == SHARDS:
            return parent.parents[2]
    raise UsageError(f"{path}: not under <output>/<model>/<task>/{SHARDS}/<key>/, so the "
                     f"results folder is unknown; give --output DIR")


def _key_folder(path: Path) -> Path:
    """The folder a shard file's run keeps its lock and mark in: its own, or, for parts a
    merge put away (``<key>/merged/<run-id>/``), the one they came from."""
    folder = path.parent
    return folder.parent.parent if folder.parent.name == MERGED else folder


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


def _put_away(folder: Path, parts: Sequence[Part], record: RunRecord) -> None:
    """Move merged parts to ``<key>/merged/<run-id>/``, so the same command run again (a
    resubmitted array) starts a run of its own instead of merging into the old parts."""
    kept = folder / MERGED / record.run_id
    for part in parts:
        if part.path.parent == folder:  # parts given from elsewhere (another disk) stay there
            kept.mkdir(parents=True, exist_ok=True)
            os.replace(part.path, kept / part.path.name)


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


def merge(parts: Sequence[Part], output: Path, settings: EngineSettings | None = None,
          plan: Planned | None = None, stats_cache: StatsCache | None = None) -> RunRecord:
    """Score the checked ``parts`` as one run and write its record under ``output``."""
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
    out = Generated(
        task=plan.task, info=first.task, examples=plan.examples, config=first.generation,
        generations=generations, post=plan.post, model=first.model, key=first.run_key,
        made=combine([(r.timings, r.throughput, r.engine) for r in records], first.model.runtime),
        load_s=sum(r.timings.load_s for r in records),
        prepare_s=sum(r.timings.prepare_s for r in records), created=created,
        record_fields={"environment": first.environment,
                       "merged_from": MergedFrom(key=first.key, count=first.count,
                                                 run_ids=[r.run_id for r in records])})
    if stats_cache is None and settings.use_cache:
        stats_cache = StatsCache(settings.cache_dir / "metric-stats")
    return score_and_record(out, options, store.new_run_id(created), stats_cache, settings.progress)


def _options(record: ShardRecord, output: Path) -> RunOptions:
    o = record.options
    return RunOptions(limit=o.limit, metrics=tuple(o.metrics), gen_kwargs=dict(o.gen_kwargs),
                      seed=o.seed, data=Path(o.data) if o.data else None, output=Path(output),
                      n_bootstrap=o.n_bootstrap, postprocess=o.postprocess,
                      allow_outside_paths=o.allow_outside_paths, task_name=o.task_name,
                      language_pair=o.language_pair)


def _replan(record: ShardRecord, options: RunOptions, settings: EngineSettings) -> Planned:
    input_kind = model_input_kind(record.model.spec, record.model.args)  # as the shards planned
    return plan_run([record.task_ref], options, input_kind, settings)[0]


def _check_plan(plan: Planned, part: Part) -> None:
    """The task as planned here is the task the shards generated for."""
    rec, found = part.record, []
    fingerprint = data.fingerprint(plan.examples)
    for name, here, there in (("data fingerprint", fingerprint, rec.task.data_fingerprint),
                              ("task version", plan.task.version, rec.task.version),
                              ("generation settings", plan.config, rec.generation),
                              ("post-processing", list(plan.post.steps), rec.postprocess)):
        if here != there:
            found.append(f"{name}: {short(here)} here, {short(there)} in {part.path}")
    if found:
        raise DataError(f"task {rec.task_ref!r} is not what the shards ran: " + "; ".join(found)
                        + "; merge where the shards' task and data are, or rerun the shards")
