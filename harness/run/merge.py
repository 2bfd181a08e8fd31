"""The shards of a run made into its run record: ``harness merge``, or the last shard itself.

Nothing is scored until the parts are known to make one run (``merge_checks``): every shard
0..N-1 once (complete), all with one model fingerprint, model arguments, task version, data
fingerprint, generation settings, metrics, seed and post-processing (consistent), and each
example in one shard only (disjoint). The task is then planned again as the shards planned it
(its data must still have their fingerprint), the generations are put back in the task's
order, and ``score.score_and_record`` writes them as it writes any run: the record is the one a
single process would have written, plus ``merged_from``.

Two shards finishing at once may both find all N parts: the one that takes the lock
(``merge_lock``) merges, the other waits for it, and a ``merged-of-N.json`` written before
the lock is released tells it, and later comers, the work is done.
"""
from __future__ import annotations

import os
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

from harness import data
from harness.engine import EngineSettings, faults
from harness.errors import DataError, UsageError
from harness.metrics.stats_cache import StatsCache
from harness.record import MergedFrom, RunRecord, store
from harness.record.accounting import combine
from harness.record.run import Section
from harness.record.shard import ShardRecord
from harness.run.merge_checks import (MERGED, Part, check, complete, differing, file_name,
                                       find_parts, mixed_counts)
from harness.run.merge_lock import (Holder, lock_path, merge_lock, read_holder, remove_if_gone,
                                     wait_s)
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
    """What the shard that wrote ``mine`` does next: merge all N parts if they are in (after
    any other process merging them now: it waits for that one, and takes over from one
    that is gone); otherwise say what it waits for."""
    rec, folder = mine.record, _key_folder(mine.path)
    what = f"shard {rec.index}/{rec.count} of {rec.task.name}"
    everything = find_parts([folder])
    parts = [p for p in everything if p.record.count == rec.count]
    if rec.run_id not in {p.record.run_id for p in parts}:  # another shard merged it already
        return Outcome(None, f"{what} written; another shard merged it: see "
                             f"{_mark_path(folder, rec.count)}")
    missing = sorted(set(range(rec.count)) - {p.record.index for p in parts})
    if missing:
        mixed_counts(mine, everything)  # shards under one --shard-key given two Ns wait forever
        before = _merged_without(folder, rec.count, missing)
        if before is not None:  # run again after its run was merged: the others are put away
            remove_if_gone(lock_path(folder, rec.count))  # its merger's, if killed at the end
            return Outcome(None, f"{what} written; its run was merged before it ran again: "
                                 f"{before.folder} (for a new run from new parts, run all "
                                 f"{rec.count} shards again)")
        return Outcome(None, f"{what} written to {mine.path}; waiting for shard "
                             f"{', '.join(map(str, missing))} (the last shard to finish merges "
                             f"them; or by hand: harness merge {folder})")
    deadline = time.monotonic() + wait_s()
    while True:
        outcome = _merge_locked(parts, folder, output, settings, plan, stats_cache)
        if outcome is not None:
            return outcome
        if time.monotonic() >= deadline:
            holder = read_holder(lock_path(folder, rec.count))
            raise DataError(f"{what} written; all {rec.count} shards are in, but "
                            f"{holder or 'another process'} has not finished after "
                            f"{wait_s():.0f} s (HARNESS_MERGE_WAIT_S); once it has stopped, "
                            f"run `harness merge {folder}`")
        time.sleep(_POLL_S)


_POLL_S = 1.0  # how often a shard looks whether another process's merge has finished


def _merge_locked(parts: Sequence[Part], folder: Path, output: Path,
                  settings: EngineSettings | None, plan: Planned | None = None,
                  stats_cache: StatsCache | None = None) -> Outcome | None:
    """Merge ``parts`` under their lock, or find them merged; None while a live process holds
    the lock. A merge a gone process left is taken over: if it had written its run whole,
    that run is kept (marked, the parts it was made from put away: a shard run again since
    is not merged twice), otherwise the parts are merged again."""
    count = parts[0].record.count
    run_id = store.new_run_id(min(p.record.created for p in parts))
    with merge_lock(folder, count, run_id) as lock:
        if lock.held_by is not None:
            return None
        faults.merge_step("locked")
        done = _done(folder, parts) or _written_by(lock.taken_from, parts)
        made_from = [p for p in parts if done and p.record.run_id in done.merged_from.run_ids]
        if made_from:  # (every shard run again since: new parts, a new run)
            _mark(folder, count, done)
            _put_away(folder, made_from, done)
            again = ", ".join(str(p.record.index) for p in parts if p not in made_from)
            return Outcome(done, f"{parts[0].record.task.name}: its {count} shards are merged: "
                                 f"{done.folder}" + (f" (shard {again} ran again since; for a new "
                                 f"run from new parts, run all {count} shards again)" if again else ""))
        record = merge(parts, output or _output_of(parts[0].path), settings, plan, stats_cache,
                       run_id)
        faults.merge_step("written")
        _mark(folder, count, record)
        faults.merge_step("marked")
        _put_away(folder, parts, record)
        faults.merge_step("put-away")
        return Outcome(record, f"merged {count} shards of {record.task.name}: {record.folder}")


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
        folder = _key_folder(group[0].path)
        outcome = _merge_locked(group, folder, output, settings)
        if outcome is None:
            holder = read_holder(lock_path(folder, group[0].record.count))
            raise DataError(f"{holder or 'another process is merging these shards'}; wait for "
                            f"it to finish (a lock whose process is gone is taken over)")
        outcomes.append(outcome)
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


def _mark_path(folder: Path, count: int) -> Path:
    return folder / f"merged-of-{count}.json"


def _mark(folder: Path, count: int, record: RunRecord) -> None:
    # written before the lock is released: whoever takes the lock next sees the work done
    mark = Merged(run_id=record.run_id, folder=str(Path(record.folder).resolve()),
                  shard_run_ids=sorted(record.merged_from.run_ids))
    store.atomic_write(_mark_path(folder, count), mark.model_dump_json().encode())


def _put_away(folder: Path, parts: Sequence[Part], record: RunRecord) -> None:
    """Move merged parts to ``<key>/merged/<run-id>/``, so the same command run again (a
    resubmitted array) starts a run of its own instead of merging into the old parts."""
    kept = folder / MERGED / record.run_id
    for part in parts:
        if part.path.parent == folder:  # parts given from elsewhere (another disk) stay there
            kept.mkdir(parents=True, exist_ok=True)
            try:
                os.replace(part.path, kept / part.path.name)
            except FileNotFoundError:  # the merge that made the run put it away already
                continue


def _written_by(gone: Holder | None, parts: Sequence[Part]) -> RunRecord | None:
    """The run a gone merger of ``parts`` had published before it was stopped, if any."""
    if gone is None or gone.run_id is None:
        return None
    record = parts[0].record
    path = store.task_dir(_output_of(parts[0].path), record.model.spec, record.task.name) \
        / gone.run_id / store.RECORD
    if not path.is_file():
        return None
    run = store.read_record(path)
    ours = run.merged_from is not None and (run.merged_from.key, run.merged_from.count) \
        == (record.key, record.count)
    return run if ours else None


def _merged_without(folder: Path, count: int, missing: Sequence[int]) -> Merged | None:
    """The merge that put the ``missing`` shards away, if its run is still there."""
    try:
        mark = Merged.model_validate_json(_mark_path(folder, count).read_bytes())
    except (OSError, ValueError):
        return None
    kept = folder / MERGED / mark.run_id
    if all((kept / file_name(i, count)).is_file() for i in missing) \
            and (Path(mark.folder) / store.RECORD).is_file():
        return mark
    return None


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
          plan: Planned | None = None, stats_cache: StatsCache | None = None,
          run_id: str | None = None) -> RunRecord:
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
    return score_and_record(out, options, run_id or store.new_run_id(created), stats_cache,
                            settings.progress)


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
            here_, there_ = differing(here, there)
            found.append(f"{name}: {here_} here, {there_} in {part.path}")
    if found:
        raise DataError(f"task {rec.task_ref!r} is not what the shards ran: " + "; ".join(found)
                        + "; merge where the shards' task and data are, or rerun the shards")
