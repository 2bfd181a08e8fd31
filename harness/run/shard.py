"""One shard of a job array: ``harness run ... --shard I/N``.

Shard I of N generates only its part of each task (``engine.shards.assign``, which every
shard computes alike from the requests, so no shard needs to hear from another) and writes it
as a partial record (``record/shard.py``); the run that finds all N there merges them
(``run/merge.py``). Shards of one run find each other through the output folder alone::

    <output>/<model>/<task>/shards/<key>/shard-I-of-N.json

The key is ``--shard-key`` or a hash of the run key (``record/key.py``) less what hosts may
see differently (the weights' fingerprint, the adapter's output settings), and N: shards that
loaded other weights under one name then meet in one folder and the merge names the
difference, instead of waiting forever.
"""
from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Sequence

from harness.engine.shards import positions
from harness.record import Environment, Timings, store
from harness.record.environment import describe_environment
from harness.record.key import HOST_FIELDS
from harness.record.shard import ShardOptions, ShardRecord
from harness.run.merge import SHARDS
from harness.run.merge_checks import Part, file_name
from harness.run.options import Planned, RunOptions, Shard
from harness.run.score import Generated
from harness.types import Example, Request


def select(requests: Sequence[Request], examples: Sequence[Example],
           shard: Shard) -> tuple[list[Request], list[Example]]:
    """This shard's requests and their examples, in the task's order."""
    keep = positions(requests, shard.index, shard.count)
    return [requests[p] for p in keep], [examples[p] for p in keep]


def folder(output: Path, model_spec: str, task: str, key: str) -> Path:
    return store.task_dir(output, model_spec, task) / SHARDS / key


def derived_key(out: Generated, options: RunOptions) -> str:
    """The shards' folder: ``--shard-key``, or the run key less what hosts may see
    differently (``HOST_FIELDS``: the merge names such a difference instead of waiting
    forever), and N."""
    shard = options.shard
    if shard.key is not None:
        return store.slug(shard.key)
    text = f"{out.key.digest(without=HOST_FIELDS)}/{shard.count}"
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def partial_record(out: Generated, plan: Planned, task_ref: str, options: RunOptions,
                   run_id: str) -> ShardRecord:
    position = {ex.id: i for i, ex in enumerate(plan.examples)}  # ids are unique in a task
    made = out.made
    return ShardRecord(
        run_id=run_id, created=out.created, index=options.shard.index,
        count=options.shard.count, key=derived_key(out, options), run_key=out.key,
        task_ref=task_ref,
        options=ShardOptions(
            limit=options.limit, metrics=list(options.metrics), gen_kwargs=dict(options.gen_kwargs),
            seed=options.seed, data=str(Path(options.data).resolve()) if options.data else None,
            n_bootstrap=options.n_bootstrap, postprocess=options.postprocess,
            allow_outside_paths=options.allow_outside_paths, task_name=options.task_name,
            language_pair=options.language_pair),
        task=out.info, model=out.model, generation=out.config, postprocess=list(out.post.steps),
        timings=Timings(load_s=out.load_s, prepare_s=out.prepare_s, generate_s=made.generate_s,
                        model_s=made.model_s, overhead_s=made.overhead_s,
                        total_s=out.load_s + out.prepare_s + made.generate_s),
        throughput=made.throughput, engine=made.engine,
        environment=Environment.model_validate(describe_environment()),
        positions=[position[ex.id] for ex in out.examples], generations=list(out.generations))


def task_ref(name: str) -> str:
    """How a merge elsewhere finds the task again: a task file by its absolute path."""
    if name.endswith((".yaml", ".yml")) or "/" in name:
        return str(Path(name).resolve())
    return name


def write_parts(outputs: Sequence[Generated], plans: Sequence[Planned],
                task_names: Sequence[str], options: RunOptions, run_id: str) -> list[Part]:
    """Write this shard's part of every task; the run then merges each task whose N parts
    are all in (``merge.merge_when_complete``)."""
    written = []
    for name, out, plan in zip(task_names, outputs, plans):
        record = partial_record(out, plan, task_ref(name), options, run_id)
        path = folder(options.output, record.model.spec, record.task.name, record.key) \
            / file_name(record.index, record.count)
        store.remove_leftovers(path.parent)  # half-written parts of shards killed here
        store.atomic_write(path, (record.model_dump_json() + "\n").encode())
        written.append(Part(path, record))
    return written
