"""The pipeline: task → examples → requests → engine → generations → metrics → run record.

``evaluate`` generates every task first, closes the model, then scores each task and writes
its record: metrics (Java for the PTB tokenizer and METEOR, ROUGE's worker processes) never
run while the model still holds its accelerator, and generations are small enough to keep.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

from harness import data, store
from harness.environment import describe_environment
from harness.errors import DataError, HarnessError, UsageError, did_you_mean
from harness.models.base import Model
from harness.record import (MAX_LISTED_ERRORS, Environment, ExampleError, ModelInfo, RunRecord,
                            Score, TaskInfo, Timings)
from harness.record.accounting import Generated as EngineReport
from harness.record.accounting import from_engine
from harness.registry import models
from harness.task import POSTPROCESS, Task, get_task
from harness.types import Example, GenerateConfig, Generation, InputKind, MetricResult, Request


@dataclass(frozen=True)
class RunOptions:
    """What one `harness run` asks for, besides the model and the tasks."""

    limit: int | None = None
    # subset (or extension) of each task's metrics: names, or {name, option: value}
    metrics: tuple[str | Mapping[str, Any], ...] = ()
    gen_kwargs: Mapping[str, Any] = field(default_factory=dict)
    seed: int = 12345  # sacrebleu's default, so bootstrap CIs match its --confidence
    data: Path | None = None  # a local JSONL replacing the task's source
    output: Path = Path("results")
    n_bootstrap: int = 1000
    write: bool = True
    # "task" (the task's steps), "none", or "strip,first_line"; None: "none" for a file of
    # predictions (final output, scored as written), "task" for models that generate
    postprocess: str | None = None
    # images and a task file's data outside the data file's (task file's) folder
    allow_outside_paths: bool = False


@dataclass(frozen=True)
class Postprocess:
    """The steps applied to outputs before scoring, as recorded, and the function doing it."""

    steps: tuple[str, ...]
    apply: Callable[[str], str]


@dataclass(frozen=True)
class _Planned:
    """One task as checked before the model loads: its examples, config and steps."""

    task: Task
    examples: list[Example]
    config: GenerateConfig
    post: Postprocess
    input_kind: InputKind  # the model class's, which the requests were built for
    requests: list[Request]
    prepare_s: float


@dataclass(frozen=True)
class _Generated:
    """One task's generations, kept until the model is closed and scoring starts."""

    task: Task
    info: TaskInfo
    examples: list[Example]
    config: GenerateConfig
    generations: list[Generation]
    post: Postprocess
    model: ModelInfo
    made: EngineReport
    load_s: float
    prepare_s: float
    created: datetime


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


# the kinds whose locator is a folder or a hub id; the others name a file or a served model
WEIGHTS_KINDS = ("hf-causal", "hf-seq2seq", "hf-vision2seq", "hf-vlm", "vllm")


def check_model(spec: str, model_args: Mapping[str, Any] | None = None) -> list[HarnessError]:
    """What can be known about a model without loading it: its --model-args, and where it
    is (a folder that exists, a hub id — offline, one in the local hub cache —, a predictions
    file), so a run that could not load its model says so together with its data problems."""
    kind, locator = parse_model_spec(spec)
    cls, found = models.get(kind), []
    from harness.options import parse_options
    try:
        revision = parse_options(cls.Options, dict(model_args or {}),
                                 f"model {kind!r} --model-args").__dict__.get("revision")
    except HarnessError as err:
        found.append(err)
        revision = None
    if not locator and cls.needs_locator:
        found.append(UsageError(f"model {spec!r}: give a location, e.g. {kind}:<hub id or path>"))
    elif kind == "predictions" and not Path(locator).is_file():
        found.append(DataError(f"model {spec!r}: {locator}: no such file; give the JSONL file "
                               f"of {{id, prediction}} to score"))
    elif kind in WEIGHTS_KINDS:
        found += _weights_problem(spec, locator, revision)
    return found


def _weights_problem(spec: str, locator: str, revision: str | None) -> list[HarnessError]:
    import os
    import re
    path = Path(locator).expanduser()
    if path.exists():
        return [] if path.is_dir() else [UsageError(
            f"model {spec!r}: {locator} is a file; give the folder written by save_pretrained "
            f"(config.json, weights, tokenizer)")]
    if locator.startswith((".", "/", "~")) or not re.match(r"^[\w.-]+(/[\w.-]+)?$", locator):
        return [UsageError(f"model {spec!r}: no folder {locator}, and not a hub id (org/name); "
                           f"give an existing folder or a hub id")]
    from huggingface_hub import constants, try_to_load_from_cache
    # read at call time too: the library reads the variables once, at its import
    offline = constants.HF_HUB_OFFLINE or any(os.environ.get(v, "").lower() in (
        "1", "true", "yes", "on") for v in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"))
    if not offline or isinstance(try_to_load_from_cache(locator, "config.json", revision=revision), str):
        return []  # online, the hub is asked when the model loads
    at = f" (revision {revision})" if revision else ""
    return [UsageError(f"model {spec!r}: offline (HF_HUB_OFFLINE), and {locator}{at} is not in "
                       f"the local hub cache ({constants.HF_HUB_CACHE}); download it once "
                       f"online (`hf download {locator}`), or give a local folder")]


def evaluate(model_spec: str, task_names: Sequence[str], options: RunOptions = RunOptions(),
             model_args: Mapping[str, Any] | None = None, engine_settings: Any = None,
             model: Model | None = None) -> list[RunRecord]:
    """Run one model over tasks; returns (and by default writes) one run record per task.

    The tasks of one call share a run id. A task whose scoring or recording raises gets a
    record with status ``failed`` (never taken for a result), and the error is re-raised.
    """
    from harness.engine import EngineSettings
    settings = engine_settings or EngineSettings()
    cls = type(model) if model is not None else models.get(parse_model_spec(model_spec)[0])
    problems = check_model(model_spec, model_args) if model is None else []
    plans = plan_run(task_names, options, cls.input_kind, settings, problems)
    run_id = store.new_run_id()
    started = time.perf_counter()
    model = model or load_model(model_spec, model_args)
    load_s = time.perf_counter() - started
    try:
        outputs = []
        for plan in plans:
            outputs.append(_generate(model, model_spec, plan, options, settings, load_s))
            load_s = 0.0
    finally:
        model.close()
    from harness.metrics.stats_cache import StatsCache
    stats_cache = StatsCache(settings.cache_dir / "metric-stats") if settings.use_cache else None
    return [_score_and_record(out, options, run_id, stats_cache) for out in outputs]


def plan_run(task_names: Sequence[str], options: RunOptions, input_kind: InputKind,
             settings: Any, model_problems: Sequence[HarnessError] = ()) -> list[_Planned]:
    """Everything that can be checked before a model loads, for every task at once: the
    tasks, their data, generation settings, metrics and post-processing, and the output and
    cache folders. A typo costs seconds, not an hour of accelerator time; all problems found
    are reported together, with ``model_problems`` (``check_model``); one alone keeps its
    own error type."""
    found: list[HarnessError] = list(model_problems)
    plans: list[_Planned] = []
    limit = options.limit
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 1):
        found.append(UsageError(f"--limit must be a positive integer, got {limit!r}"))
        limit = None
    tasks = _get_tasks(task_names, found)
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
                    _check_images(examples)
            except HarnessError as err:
                found.append(err)
        if len(checks) == 5:
            plans.append(_Planned(task, examples, checks["config"], checks["post"],
                                  input_kind, checks["requests"], time.perf_counter() - t0))
    found += check_folders(options.output if options.write else None,
                           settings.cache_dir if settings.use_cache else None)
    if len(found) == 1:
        raise found[0]
    if found:
        raise UsageError("nothing was run; fix these first:\n" +
                         "\n".join(f"  {err}".replace("\n", "\n  ") for err in found))
    return plans


def check_metrics(task: Task, subset: Sequence[str]) -> list:
    """Each metric the run scores builds (names known, options valid), once per name."""
    from harness.metrics.scoring import build_metric
    specs, seen = metric_specs(task, subset), set()
    for spec in specs:
        metric = build_metric(spec)
        if metric.name in seen:  # one score per name: the record and stats/ are keyed by it
            raise UsageError(f"task {task.name!r}: metric {metric.name!r} is asked for twice; "
                             f"keep one (scores are keyed by metric name)")
        seen.add(metric.name)
    return specs


def check_folders(output: Path | None, cache: Path | None) -> list[UsageError]:
    """The output and cache folders are folders that take a file (tried, then undone: a run
    that stops later leaves no empty folder behind)."""
    import tempfile
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


def _get_tasks(task_names: Sequence[str], found: list[HarnessError] | None = None) -> list[Task]:
    """The tasks named; with ``found``, problems are added to it instead of raised."""
    tasks, seen = [], {}
    for name in task_names:
        try:
            task = get_task(name)
            key = store.slug(task.name)
            if key in seen:  # their runs would share one folder
                raise UsageError(f"--tasks: {name!r} and {seen[key]!r} are both task "
                                 f"{task.name!r}; list it once")
        except HarnessError as err:
            if found is None:
                raise
            found.append(err)
            continue
        seen[key] = name
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


def _generate(model: Model, model_spec: str, plan: _Planned, options: RunOptions, settings: Any,
              load_s: float) -> _Generated:
    from harness.engine import generate
    created = datetime.now(timezone.utc)
    t0 = time.perf_counter()
    task, examples, config, post = plan.task, plan.examples, plan.config, plan.post
    model.check_examples(examples, task.name, limited=options.limit is not None)
    requests = plan.requests if model.input_kind == plan.input_kind \
        else task.requests(examples, model.input_kind, config)
    info = TaskInfo(**task.describe(), data_fingerprint=data.fingerprint(examples),
                    n_examples=len(examples), limit=options.limit,
                    data_override=str(options.data) if options.data else None)
    prepare_s = plan.prepare_s + time.perf_counter() - t0
    generations, accounting = generate(model, requests, settings, desc=task.name)
    made = from_engine(accounting)
    model_info = ModelInfo(spec=model_spec, kind=model_spec.partition(":")[0],
                           locator=model.locator, args=dict(model.args),
                           fingerprint=model.fingerprint(), runtime=dict(made.runtime))
    return _Generated(task, info, examples, config, generations, post, model_info, made,
                      load_s + made.load_s, prepare_s, created)


def _check_images(examples: Sequence[Example]) -> None:
    """Before the model loads: under --on-error fail a missing image would stop the run later."""
    unreadable = [ex for ex in examples if ex.image_unreadable]
    if unreadable:
        ex = unreadable[0]
        raise DataError(f"{ex.origin}: example {ex.id!r}: cannot read image {ex.image} "
                        f"({len(unreadable)} of {len(examples)} images cannot be read); relative "
                        f"paths are resolved against the data file's folder; fix them, or rerun "
                        f"with --on-error skip to score the rest and record these as failed")


def _score_and_record(out: _Generated, options: RunOptions, run_id: str,
                      stats_cache: Any = None) -> RunRecord:
    started = time.perf_counter()
    predictions: list[str] | None = None
    try:
        predictions = [out.post.apply(g.text) if g.error is None else "" for g in out.generations]
        scored = [i for i, g in enumerate(out.generations) if g.error is None]
        if not scored:
            first = out.generations[0] if out.generations else None
            raise DataError(f"task {out.task.name!r}: no example to score; every one failed"
                            + (f", e.g. {first.example_id!r}: {first.error}" if first else ""))
        examples = [out.examples[i] for i in scored]
        # the signatures name the data actually scored, so a partial run never matches a whole one
        fingerprint = out.info.data_fingerprint if len(scored) == len(out.examples) \
            else data.fingerprint(examples)
        scoring = score_predictions(out.task, examples, [predictions[i] for i in scored],
                                    fingerprint, options, stats_cache)
        scores = {r.metric: _score_entry(spec, r) for spec, r, _ in scoring}
        record = _record(out, options, run_id, scores, len(scored), time.perf_counter() - started)
        stats = {r.metric: matrix for _, r, matrix in scoring}
        if options.write:
            store.write_run(options.output, record,
                            sample_rows(out, predictions, scored, [r for _, r, _ in scoring]), stats)
        else:
            record._stats = stats
        return record
    except Exception as err:
        if options.write:
            _write_failed(out, options, run_id, predictions, err, time.perf_counter() - started)
        raise


def _write_failed(out: _Generated, options: RunOptions, run_id: str,
                  predictions: list[str] | None, err: Exception, score_s: float) -> None:
    failed = _record(out, options, run_id, {}, 0, score_s, error=err)
    try:
        store.write_run(options.output, failed, sample_rows(out, predictions, [], []), {})
    except OSError:
        pass  # the error being raised is what the user needs; this record was a courtesy


def _record(out: _Generated, options: RunOptions, run_id: str, scores: dict[str, Score],
            n_scored: int, score_s: float, error: Exception | None = None) -> RunRecord:
    failures = [ExampleError(id=g.example_id, error=g.error)
                for g in out.generations if g.error is not None]
    made = out.made
    timings = Timings(load_s=out.load_s, prepare_s=out.prepare_s, generate_s=made.generate_s,
                      model_s=made.model_s, overhead_s=made.overhead_s, score_s=score_s,
                      total_s=out.load_s + out.prepare_s + made.generate_s + score_s)
    return RunRecord(
        run_id=run_id, status="failed" if error else "partial" if failures else "complete",
        created=out.created, task=out.info, model=out.model, generation=out.config,
        seed=options.seed, postprocess=list(out.post.steps), n_scored=n_scored,
        n_errors=len(failures), errors=failures[:MAX_LISTED_ERRORS],
        error=f"{type(error).__name__}: {error}" if error else None, scores=scores,
        timings=timings, throughput=made.throughput, engine=made.engine,
        environment=Environment.model_validate(describe_environment()))


def _score_entry(spec: Any, result: MetricResult) -> Score:
    written = result.to_dict()  # signature text; the CI's bootstrap settings in its details
    return Score(spec={"name": spec} if isinstance(spec, str) else dict(spec),
                 score=result.score, signature=written["signature"], ci95=written["ci95"],
                 higher_is_better=result.higher_is_better, details=written.get("details", {}),
                 stats=f"stats/{store.slug(result.metric)}.npy")


def score_predictions(task: Task, examples: Sequence[Example], predictions: Sequence[str],
                      fingerprint: str, options: RunOptions,
                      stats_cache: Any = None) -> list[tuple[Any, MetricResult, Any]]:
    """(spec, result, statistics matrix) per metric the run asks for."""
    from harness.metrics.base import Corpus
    from harness.metrics.scoring import build_metric, score
    sources = [e.source for e in examples]
    corpus = Corpus(predictions=list(predictions), references=[list(e.references) for e in examples],
                    ids=[e.id for e in examples],
                    sources=sources if all(s is not None for s in sources) else None)
    out, seen = [], set()
    for spec in metric_specs(task, options.metrics):
        metric = build_metric(spec)
        if metric.name in seen:  # one score per name: the record and stats/ are keyed by it
            raise UsageError(f"task {task.name!r}: metric {metric.name!r} is asked for twice; "
                             f"keep one (scores are keyed by metric name)")
        seen.add(metric.name)
        result, matrix = score(metric, corpus, data_fingerprint=fingerprint,
                               n_bootstrap=options.n_bootstrap, seed=options.seed,
                               stats_cache=stats_cache)
        out.append((spec, result, matrix))
    return out


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


def sample_rows(out: _Generated, predictions: Sequence[str] | None, scored: Sequence[int],
                results: Sequence[MetricResult]) -> list[dict]:
    """One row per example asked for; failed examples have ``error`` and no scores."""
    row_of = {i: k for k, i in enumerate(scored)}
    rows = []
    for i, (ex, gen) in enumerate(zip(out.examples, out.generations)):
        pred = predictions[i] if predictions is not None else gen.text
        k = row_of.get(i)
        per_example = {} if k is None else {
            r.metric: r.per_example[k] for r in results if r.per_example is not None}
        rows.append({"id": ex.id, "input": ex.source if ex.source is not None else ex.image,
                     "prediction": pred, "raw_output": gen.text if gen.text != pred else None,
                     "references": list(ex.references), "scores": per_example,
                     "finish_reason": gen.finish_reason, "generated_tokens": gen.num_tokens,
                     "truncated": gen.truncated, "cached": gen.cached, "error": gen.error})
    return rows
