"""What a run asks for, checked before any model loads: the tasks, their data and requests,
generation settings, metrics and their options, post-processing, the output and cache
folders, and where the model is. A typo costs seconds, not an hour of accelerator time.
"""
from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path
from typing import Any, Mapping, Sequence

from harness.engine import EngineSettings
from harness.errors import DataError, HarnessError, UsageError, did_you_mean, raise_all
from harness.metrics.scoring import build_metric
from harness.models.base import Model
from harness.record import store
from harness.record.key import RunKey, metric_entries
from harness.registry import models
from harness.run.options import Planned, Postprocess, RunOptions
from harness.task import POSTPROCESS, GenericTask, Task, get_task
from harness.types import Example, InputKind


def run_key(model_spec: str, model: Model, plan: Planned, data_fingerprint: str,
            options: RunOptions) -> RunKey:
    """The key of the run ``plan`` makes with ``model`` (``harness.record.key``): known
    before generation, so ``sweep`` can tell a finished run from one to make."""
    return RunKey(model=model_spec, model_args=dict(model.args), weights=model.fingerprint(),
                  output_settings=_plain(model.output_settings()), task=plan.task.name,
                  task_version=plan.task.version, data=data_fingerprint, limit=options.limit,
                  generation=json.loads(plan.config.key()), postprocess=list(plan.post.steps),
                  metrics=metric_entries(metric_specs(plan.task, options.metrics)),
                  seed=options.seed, n_bootstrap=options.n_bootstrap)


def _plain(settings: Mapping[str, Any]) -> dict[str, Any]:
    """JSON's view of an adapter's settings (tuples as lists), as the record reads it back."""
    return json.loads(json.dumps(dict(settings), default=str))


def parse_model_spec(spec: str) -> tuple[str, str]:
    """``hf-seq2seq:t5-small`` → ("hf-seq2seq", "t5-small"); ``lead-3`` → ("lead-3", "")."""
    kind, _, locator = spec.partition(":")
    models.get(kind)  # unknown kinds fail here with "did you mean"
    return kind, locator


def load_model(spec: str, model_args: Mapping[str, Any] | None = None) -> Model:
    kind, locator = parse_model_spec(spec)
    cls = models.get(kind)
    if not locator and cls.needs_locator:
        raise UsageError(f"model {spec!r}: give a location, e.g. {kind}:<hub id or path>")
    return cls(locator, **dict(model_args or {}))


def check_model(spec: str, model_args: Mapping[str, Any] | None = None) -> list[HarnessError]:
    """What can be known about a model without loading it: its --model-args (and the input
    they ask for), and where it is (a folder that exists, a hub id — offline, one in the
    local hub cache —, a predictions file), so a run that could not load its model says so
    together with its data problems."""
    kind, locator = parse_model_spec(spec)
    cls, found = models.get(kind), []
    try:
        options = cls.parse_args(dict(model_args or {}))
        cls.input_kind_for(options)
        revision = getattr(options, "revision", None)
    except HarnessError as err:
        found.append(err)
        revision = None
    if not locator and cls.needs_locator:
        found.append(UsageError(f"model {spec!r}: give a location, e.g. {kind}:<hub id or path>"))
    elif locator:
        found += cls.location_problems(spec, locator, revision)
    return found


def model_input_kind(spec: str, model_args: Mapping[str, Any] | None = None) -> InputKind:
    """What the model's requests carry, from its class and its --model-args, before it loads
    (``Model.input_kind_for``, which the instance's ``input_kind`` comes from too). Args that
    do not parse give the class's default, so planning still reports every other problem
    alongside theirs (``check_model``)."""
    cls = models.get(parse_model_spec(spec)[0])
    try:
        return cls.input_kind_for(cls.parse_args(dict(model_args or {})))
    except HarnessError:
        return cls.input_kind


def plan_run(task_names: Sequence[str], options: RunOptions, input_kind: InputKind,
             settings: EngineSettings, model_problems: Sequence[HarnessError] = ()
             ) -> list[Planned]:
    """Everything that can be checked before a model loads, for every task at once: the
    tasks, their data, generation settings, metrics and post-processing, and the output and
    cache folders. A typo costs seconds, not an hour of accelerator time; all problems found
    are reported together, with ``model_problems`` (``check_model``); one alone keeps its
    own error type."""
    found: list[HarnessError] = list(model_problems)
    plans: list[Planned] = []
    limit = options.limit
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 1):
        found.append(UsageError(f"--limit must be a positive integer, got {limit!r}"))
        limit = None
    found += check_shard(options)
    tasks = bind_generic(get_tasks(task_names, found), options, found)
    for task in tasks:
        t0 = time.perf_counter()
        checks: dict[str, Any] = {}
        for name, check in (
                ("post", lambda: postprocessing(task, options.postprocess, input_kind)),
                ("config", lambda: task.generate_config(options.gen_kwargs, seed=options.seed)),
                ("metrics", lambda: check_metrics(task, options.metrics)),
                ("examples", lambda: task.load_examples(options.data, limit,
                                                        options.allow_outside_paths))):
            try:
                checks[name] = check()
            except HarnessError as err:
                found.append(err)
        examples = checks.get("examples")
        if examples is not None and "config" in checks:
            try:  # an example without the input the model reads; the few-shot pool
                checks["requests"] = task.requests(examples, input_kind, checks["config"])
                if input_kind == InputKind.IMAGE and settings.on_error == "fail":
                    check_images(examples)
            except HarnessError as err:
                found.append(err)
        if len(checks) == 5:
            plans.append(Planned(task, examples, checks["config"], checks["post"],
                                  input_kind, checks["requests"], time.perf_counter() - t0))
    found += check_folders(options.output if options.write else None,
                           settings.cache_dir if settings.use_cache else None)
    raise_all(found, "nothing was run; fix these first", UsageError)
    return plans


def check_shard(options: RunOptions) -> list[UsageError]:
    """Before the model loads: the shard asked for, and a place to keep its part."""
    shard = options.shard
    if shard is None:
        return []
    found = [UsageError(p) for p in shard.problems()]
    if not options.write:
        found.append(UsageError("--shard: a shard keeps its part in the output folder; "
                                "run it with write=True"))
    return found


def check_metrics(task: Task, subset: Sequence[str]) -> list:
    """Each metric the run scores builds (names known, options valid), once per name."""
    specs, seen = metric_specs(task, subset), set()
    for spec in specs:
        metric = build_metric(spec)
        metric.check_installed()
        if metric.name in seen:  # one score per name: the record and stats/ are keyed by it
            raise UsageError(f"task {task.name!r}: metric {metric.name!r} is asked for twice; "
                             f"keep one (scores are keyed by metric name)")
        seen.add(metric.name)
    return specs


def check_folders(output: Path | None, cache: Path | None) -> list[UsageError]:
    """The output and cache folders are folders that take a file (tried, then undone: a run
    that stops later leaves no empty folder behind)."""
    problems = []
    for option, folder in (("--output", output), ("--cache-dir", cache)):
        if folder is None:
            continue
        if folder.exists() and not folder.is_dir():
            problems.append(UsageError(f"{option} {folder}: is a file, not a folder; give a folder"))
            continue
        missing = [f for f in (folder, *folder.parents) if not f.exists()]
        try:
            folder.mkdir(parents=True, exist_ok=True)
            tempfile.TemporaryFile(dir=folder).close()
        except OSError as err:
            problems.append(UsageError(f"{option} {folder}: cannot write there "
                                       f"({err.strerror or err}); give a writable folder"))
        for made in missing:  # deepest first
            try:
                made.rmdir()
            except OSError:
                break
    return problems


def bind_generic(tasks: Sequence[Task], options: RunOptions, found: list[HarnessError]) -> list[Task]:
    """Each generic task (``translation``...) bound to --data under its name; --task-name and
    --language-pair are refused for the others, whose name and metrics are their own."""
    out, bound = [], {}
    for task in tasks:
        if isinstance(task, GenericTask) and not task.is_bound:
            try:
                generic, task = task.name, task.bind(options.task_name, options.data,
                                                     options.language_pair)
                if task.name in bound:  # their runs would share one folder
                    raise UsageError(f"--tasks: {bound[task.name]!r} and {generic!r} would both "
                                     f"be task {task.name!r} on this --data; list one")
                bound[task.name] = generic
            except HarnessError as err:
                found.append(err)
                continue
        elif not isinstance(task, GenericTask) and (options.task_name is not None
                                                    or options.language_pair is not None):
            given = "--task-name" if options.task_name is not None else "--language-pair"
            found.append(UsageError(f"{given}: only for the generic tasks (translation, "
                                    f"summarization, captioning) scored on --data; task "
                                    f"{task.name!r} has its own name and metrics"))
        out.append(task)
    return out


def get_tasks(task_names: Sequence[str | Task], found: list[HarnessError] | None = None) -> list[Task]:
    """The tasks named (or given as objects: ``harness score``'s bound generic task); with
    ``found``, problems are added to it instead of raised."""
    tasks, seen = [], {}
    for name in task_names:
        given = name if isinstance(name, str) else name.name
        try:
            task = name if isinstance(name, Task) else get_task(name)
            key = store.slug(task.name)
            if key in seen:  # their runs would share one folder
                raise UsageError(f"--tasks: {given!r} and {seen[key]!r} are both task "
                                 f"{task.name!r}; list it once")
        except HarnessError as err:
            if found is None:
                raise
            found.append(err)
            continue
        seen[key] = given
        tasks.append(task)
    return tasks


def postprocessing(task: Task, choice: str | None, input_kind: InputKind) -> Postprocess:
    """What --postprocess asks for; by default a predictions file is scored as written.

    Re-splitting sentences that a system already wrote one per line moved REALSumm's
    presumm_out_abs rougeLsum from 39.4906 (rouge-score on the file) to 39.4721.
    """
    if choice is None:
        choice = "none" if input_kind == InputKind.NONE else "task"
    if choice == "task":
        return Postprocess(tuple(task.postprocess_steps), task.postprocess)
    steps = () if choice == "none" else tuple(s.strip() for s in choice.split(",") if s.strip())
    if choice != "none" and not steps:
        raise UsageError(f"--postprocess: no step in {choice!r}; give 'task', 'none' or a comma "
                         f"list of: {', '.join(POSTPROCESS)}")
    for step in steps:
        if step not in POSTPROCESS:
            raise UsageError(f"--postprocess: unknown step {step!r}{did_you_mean(step, POSTPROCESS)}"
                             f"; give 'task', 'none' or a comma list of: {', '.join(POSTPROCESS)}")

    def apply(text: str) -> str:
        for step in steps:
            text = POSTPROCESS[step](text)
        return text
    return Postprocess(steps, apply)


def check_images(examples: Sequence[Example]) -> None:
    """Before the model loads: under --on-error fail a missing image would stop the run later."""
    unreadable = [ex for ex in examples if ex.image_unreadable]
    if unreadable:
        ex = unreadable[0]
        raise DataError(f"{ex.origin}: example {ex.id!r}: cannot read image {ex.image} "
                        f"({len(unreadable)} of {len(examples)} images cannot be read); relative "
                        f"paths are resolved against the data file's folder; fix them, or rerun "
                        f"with --on-error skip to score the rest and record these as failed")


def metric_specs(task: Task, subset: Sequence[str | Mapping[str, Any]]) -> list:
    """The task's metric specs, or the subset asked for: a name keeps the task's options for
    that metric; a spec with options (``--metrics bleu:tokenize=zh``) adds to them, its own
    winning, so the run's score records what was scored."""
    if not subset:
        return task.metric_specs()
    by_name = {(s if isinstance(s, str) else s["name"]): s for s in task.metric_specs()}
    specs = []
    for item in subset:
        if isinstance(item, str):
            specs.append(by_name.get(item, item))
            continue
        base = by_name.get(item["name"], item["name"])
        specs.append({**({"name": base} if isinstance(base, str) else base), **item})
    return specs
