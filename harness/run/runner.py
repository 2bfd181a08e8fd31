"""A run: plan every task, load the model once, generate each task, then score and record.

``evaluate`` generates every task first, closes the model, then scores each task and writes
its record: metrics (Java for the PTB tokenizer and METEOR, ROUGE's worker processes) never
run while the model still holds its accelerator, and generations are small enough to keep.
Under torchrun each rank generates its share (``ranks``); as shard I of N of a job array the
run writes its part (``shard``) and merges when all N are in (``merge``).
"""
from __future__ import annotations

import sys
import time
from datetime import datetime, timezone
from typing import Any, Mapping, Sequence

from harness import data
from harness.engine import EngineSettings, faults
from harness.errors import DataError, HarnessError, raise_all
from harness.metrics.stats_cache import StatsCache
from harness.models.base import Model
from harness.record import ModelInfo, RunRecord, TaskInfo, store
from harness.record.accounting import from_engine
from harness.run import ranks as ranks_
from harness.run import shard
from harness.run.merge import merge_when_complete
from harness.run.merge_checks import Part
from harness.run.options import Planned, RunOptions
from harness.run.plan import check_model, load_model, model_input_kind, plan_run, run_key
from harness.run.score import Generated, score_and_record
from harness.task import Task
from harness.types import InputKind


def evaluate(model_spec: str, task_names: Sequence[str | Task], options: RunOptions = RunOptions(),
             model_args: Mapping[str, Any] | None = None, engine_settings: EngineSettings | None = None,
             model: Model | None = None) -> list[RunRecord]:
    """Run one model over tasks (names, task files, or ``Task`` objects); returns (and by
    default writes) one run record per task.

    The tasks of one call share a run id. A task whose scoring or recording raises gets a
    record with status ``failed`` (never taken for a result), and the error is re-raised.
    Under torchrun the ranks share the generation and rank 0 alone scores and returns the
    records (the others return none; ``run/ranks.py``).
    """
    settings = engine_settings or EngineSettings()
    with ranks_.join().together() as ranks:
        if model is None:  # checked, and what its requests carry decided, before it loads
            problems = check_model(model_spec, model_args)
            input_kind = model_input_kind(model_spec, model_args)
        else:
            problems, input_kind = [], model.input_kind
        plans = plan_run(task_names, options, input_kind, settings, problems)
        run_id = store.new_run_id()
        started = time.perf_counter()
        model = model or load_model(model_spec, model_args)
        load_s = time.perf_counter() - started
        try:  # the load time counts once, in the first task's record
            outputs = [generate_task(model, model_spec, plan, options, settings, load_s if i == 0 else 0.0)
                       for i, plan in enumerate(plans)]
        finally:
            model.close()
    if not ranks.is_main:
        return []
    stats_cache = StatsCache(settings.cache_dir / "metric-stats") if settings.use_cache else None
    if options.shard is not None:  # a part of the run: kept until all parts are in, then scored
        parts = shard.write_parts(outputs, plans, task_names, options, run_id)
        return _merge_complete(parts, plans, options, settings, stats_cache)
    del plans  # their requests: scoring a million examples can use the room
    return [score_and_record(out, options, run_id, stats_cache, settings.progress) for out in outputs]


def _merge_complete(parts: Sequence[Part], plans: Sequence[Planned], options: RunOptions,
                    settings: EngineSettings, stats_cache: StatsCache | None) -> list[RunRecord]:
    """Merge each task whose N parts are all in; the records merged here (none while other
    shards are still running)."""
    faults.before_shard_merge()
    merged, failed = [], []
    for part, plan in zip(parts, plans):  # one task's odd shards do not keep the others from merging
        try:
            outcome = merge_when_complete(part, plan, options.output, settings, stats_cache)
        except HarnessError as err:
            failed.append(err)
            continue
        print(f"harness: {outcome.note}", file=sys.stderr, flush=True)
        if outcome.record is not None:
            merged.append(outcome.record)
    raise_all(failed, "the shards of these tasks could not be merged", DataError)
    return merged


def generate_task(model: Model, model_spec: str, plan: Planned, options: RunOptions,
                  settings: EngineSettings, load_s: float) -> Generated:
    """One task's generations: this process's, all ranks' (rank 0), or this shard's."""
    created = datetime.now(timezone.utc)
    t0 = time.perf_counter()
    task, examples, config, post = plan.task, plan.examples, plan.config, plan.post
    model.check_examples(examples, task.name, limited=options.limit is not None)
    if model.input_kind != plan.input_kind:  # an adapter that sets input_kind itself
        raise HarnessError(f"model {model_spec!r} reads {InputKind(model.input_kind).value} "
                           f"inputs, but the run was planned for {plan.input_kind.value}: an "
                           f"adapter decides its input in input_kind_for(options), not in __init__")
    requests = plan.requests
    fingerprint = data.fingerprint(examples)
    info = TaskInfo(**task.describe(), data_fingerprint=fingerprint,
                    n_examples=len(examples), limit=options.limit,
                    data_override=str(options.data) if options.data else None)
    prepare_s = plan.prepare_s + time.perf_counter() - t0
    if options.shard is not None:
        requests, examples = shard.select(requests, examples, options.shard)
    generations, accounting = ranks_.generate(model, requests, settings, desc=task.name)
    made = from_engine(accounting)
    # after generation, as before it the weights' hash would count as preparing the task
    key = run_key(model_spec, model, plan, fingerprint, options)
    model_info = ModelInfo(spec=model_spec, kind=model_spec.partition(":")[0],
                           locator=model.locator, args=dict(model.args),
                           fingerprint=model.fingerprint(), runtime=dict(made.runtime),
                           name=model.system_name)
    return Generated(task, info, examples, config, generations, post, model_info, key, made,
                      load_s + made.load_s, prepare_s, created)


