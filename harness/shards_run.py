"""One shard of a job array: ``harness run ... --shard I/N``.

Shard I of N generates only its part of each task (``engine.shards.assign``, which every
shard computes alike from the requests, so no shard needs to hear from another), writes it
as a partial record (``record/shard.py``), and, when it finds all N there, merges them
(``harness.merge``). Shards of one run find each other through the output folder alone::

    <output>/<model>/<task>/shards/<key>/shard-I-of-N.json

The key is ``--shard-key`` or a hash of what makes the run: model and its arguments, task and
version, data fingerprint, generation settings, metrics, seed, post-processing, limit and N.
The model's fingerprint is left out on purpose: shards that loaded other weights under one
name then meet in one folder and the merge names the difference, instead of waiting forever.
"""
from __future__ import annotations

import hashlib
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

from harness import store
from harness.engine import faults
from harness.errors import DataError, HarnessError, UsageError, raise_all
from harness.record import Environment, Timings
from harness.record.shard import ShardOptions, ShardRecord

if TYPE_CHECKING:
    from harness.pipeline import _Generated
    from harness.plan import Planned, RunOptions
    from harness.record import RunRecord
    from harness.types import Example, Request

SHARDS = "shards"
SPEC = re.compile(r"^\s*(-?\d+)\s*/\s*(-?\d+)\s*$")


@dataclass(frozen=True)
class Shard:
    """Shard ``index`` of ``count``, counting from 0, as Kubernetes indexed jobs and
    ``--array=0-N-1`` Slurm arrays number their tasks."""

    index: int
    count: int
    key: str | None = None  # --shard-key; None: derived from what makes the run

    @classmethod
    def parse(cls, text: str, key: str | None = None) -> "Shard":
        """``"2/4"`` → Shard(2, 4); a usage error that says the numbering otherwise."""
        match = SPEC.match(text or "")
        if not match:
            raise UsageError(f"--shard {text!r}: expected I/N, shard I of N counting from 0 "
                             f"(0/4, 1/4, 2/4, 3/4), e.g. --shard $SLURM_ARRAY_TASK_ID/4 with "
                             f"#SBATCH --array=0-3, or --shard $JOB_COMPLETION_INDEX/4")
        shard = cls(int(match[1]), int(match[2]), key)
        problems = shard.problems()
        if problems:
            raise UsageError(problems[0])
        return shard

    def problems(self) -> list[str]:
        if self.count < 1:
            return [f"--shard {self}: N, the number of shards, must be 1 or more"]
        if not 0 <= self.index < self.count:
            return [f"--shard {self}: shards count from 0, so I is one of 0..{self.count - 1}; "
                    f"with an array numbered from 1 (#SBATCH --array=1-{self.count}) give "
                    f"--shard $((SLURM_ARRAY_TASK_ID - 1))/{self.count}"]
        if self.key is not None and not self.key.strip():
            return ["--shard-key: empty; give a name (e.g. $SLURM_ARRAY_JOB_ID) or leave it out"]
        return []

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


def check(options: "RunOptions") -> list[UsageError]:
    """Before the model loads: the shard asked for, and a place to keep its part."""
    shard = options.shard
    if shard is None:
        return []
    found = [UsageError(p) for p in shard.problems()]
    if not options.write:
        found.append(UsageError("--shard: a shard keeps its part in the output folder; "
                                "run it with write=True"))
    return found


def select(requests: Sequence["Request"], examples: Sequence["Example"],
           shard: Shard) -> tuple[list["Request"], list["Example"]]:
    """This shard's requests and their examples, in the task's order."""
    from harness.engine.shards import positions
    keep = positions(requests, shard.index, shard.count)
    return [requests[p] for p in keep], [examples[p] for p in keep]


def folder(output: Path, model_spec: str, task: str, key: str) -> Path:
    return store.task_dir(output, model_spec, task) / SHARDS / key


def file_name(index: int, count: int) -> str:
    return f"shard-{index}-of-{count}.json"


def derived_key(out: "_Generated", options: "RunOptions") -> str:
    """The shards' folder: ``--shard-key``, or the run key less what hosts may see
    differently (``HOST_FIELDS``: the merge names such a difference instead of waiting
    forever), and N."""
    from harness.record.key import HOST_FIELDS
    shard = options.shard
    if shard.key is not None:
        return store.slug(shard.key)
    text = f"{out.key.digest(without=HOST_FIELDS)}/{shard.count}"
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def partial_record(out: "_Generated", plan: "Planned", task_ref: str, options: "RunOptions",
                   run_id: str) -> ShardRecord:
    from harness.record.environment import describe_environment
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
            allow_outside_paths=options.allow_outside_paths),
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


def finish(outputs: Sequence["_Generated"], plans: Sequence["Planned"], task_names: Sequence[str],
           options: "RunOptions", settings: Any, run_id: str,
           stats_cache: Any = None) -> list["RunRecord"]:
    """Write this shard's part of every task, then merge each task whose N parts are all in;
    returns the records merged here (none while other shards are still running)."""
    from harness.merge import merge_when_complete
    from harness.merge_checks import Part
    written = []
    for name, out, plan in zip(task_names, outputs, plans):
        record = partial_record(out, plan, task_ref(name), options, run_id)
        path = folder(options.output, record.model.spec, record.task.name, record.key) \
            / file_name(record.index, record.count)
        store.atomic_write(path, (record.model_dump_json() + "\n").encode())
        written.append((Part(path, record), plan))
    faults.before_shard_merge()
    merged, failed = [], []
    for part, plan in written:  # one task's odd shards do not keep the others from merging
        try:
            outcome = merge_when_complete(part, plan, options.output, settings, stats_cache)
        except HarnessError as err:
            failed.append(err)
            continue
        _say(outcome.note)
        if outcome.record is not None:
            merged.append(outcome.record)
    raise_all(failed, "the shards of these tasks could not be merged", DataError)
    return merged


def _say(line: str) -> None:
    print(f"harness: {line}", file=sys.stderr, flush=True)
