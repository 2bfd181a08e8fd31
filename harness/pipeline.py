"""The pipeline: task → examples → requests → engine → generations → metrics → run record."""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Mapping, Sequence

from harness import data, store
from harness.environment import describe_environment
from harness.errors import UsageError
from harness.models.base import Model
from harness.registry import models
from harness.task import Task, get_task
from harness.types import Example, Generation


@dataclass(frozen=True)
class RunOptions:
    """What one `harness run` asks for, besides the model and the tasks."""

    limit: int | None = None
    metrics: tuple[str, ...] = ()  # subset (or extension) of each task's metrics
    gen_kwargs: Mapping[str, Any] = field(default_factory=dict)
    seed: int = 12345  # sacrebleu's default, so bootstrap CIs match its --confidence
    data: Path | None = None  # a local JSONL replacing the task's source
    output: Path = Path("results")
    n_bootstrap: int = 1000
    write: bool = True


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


def evaluate(model_spec: str, task_names: Sequence[str], options: RunOptions = RunOptions(),
             model_args: Mapping[str, Any] | None = None, engine_settings: Any = None,
             model: Model | None = None) -> list[store.RunRecord]:
    """Run one model over tasks; returns (and by default writes) one run record per task."""
    from harness.engine import EngineSettings
    tasks = [get_task(name) for name in task_names]  # fail on a bad name before loading a model
    settings = engine_settings or EngineSettings()
    started = time.perf_counter()
    model = model or load_model(model_spec, model_args)
    load_s = time.perf_counter() - started
    records = []
    try:
        for task in tasks:
            records.append(_run_task(model, model_spec, task, options, settings, load_s))
            load_s = 0.0
    finally:
        model.close()
    return records


def _run_task(model: Model, model_spec: str, task: Task, options: RunOptions, settings: Any,
              load_s: float) -> store.RunRecord:
    from harness.engine import generate
    t0 = time.perf_counter()
    examples = task.load_examples(options.data, options.limit)
    model.check_examples(examples, task.name, limited=options.limit is not None)
    config = task.generate_config(options.gen_kwargs, seed=options.seed)
    requests = task.requests(examples, model.input_kind, config)
    t1 = time.perf_counter()
    generations, accounting = generate(model, requests, settings, desc=task.name)
    t2 = time.perf_counter()
    predictions = [task.postprocess(g.text) for g in generations]
    fingerprint = data.fingerprint(examples)
    results, stats = score_predictions(task, examples, predictions, fingerprint, options)
    t3 = time.perf_counter()
    folder = store.run_dir(options.output, model_spec, task.name)
    record = store.RunRecord(
        task={**task.describe(), "data_fingerprint": fingerprint, "n_examples": len(examples),
              "limit": options.limit, "data_override": str(options.data) if options.data else None},
        model={"spec": model_spec, "kind": model_spec.partition(":")[0],
               "locator": model.locator, "args": dict(model.args),
               "fingerprint": model.fingerprint()},
        generation=config.to_dict(), seed=options.seed,
        scores={task.name: {r.metric: r.to_dict() for r in results}},
        timings={"load_s": load_s, "prepare_s": t1 - t0, "generation_s": t2 - t1,
                 "scoring_s": t3 - t2, **accounting},
        environment=describe_environment(),
        created=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        files={"folder": str(folder), "samples": "samples.jsonl",
               "stats": {r.metric: f"stats/{store.slug(r.metric)}.npy" for r in results}})
    if options.write:
        store.write_run(folder, record, sample_rows(examples, generations, predictions, results),
                        stats)
    return record


def score_predictions(task: Task, examples: Sequence[Example], predictions: Sequence[str],
                      fingerprint: str, options: RunOptions) -> tuple[list, dict]:
    from harness.metrics.base import Corpus
    from harness.metrics.scoring import build_metric, score
    corpus = Corpus(predictions=list(predictions), references=[list(e.references) for e in examples],
                    ids=[e.id for e in examples])
    results, stats = [], {}
    for spec in metric_specs(task, options.metrics):
        metric = build_metric(spec)
        result, matrix = score(metric, corpus, data_fingerprint=fingerprint,
                               n_bootstrap=options.n_bootstrap, seed=options.seed)
        results.append(result)
        stats[result.metric] = matrix
    return results, stats


def metric_specs(task: Task, subset: Sequence[str]) -> list:
    """The task's metric specs, or the named subset (keeping the task's options for them)."""
    if not subset:
        return task.metric_specs()
    by_name = {(s if isinstance(s, str) else s["name"]): s for s in task.metric_specs()}
    return [by_name.get(name, name) for name in subset]


def sample_rows(examples: Sequence[Example], generations: Sequence[Generation],
                predictions: Sequence[str], results: Sequence[Any]) -> list[dict]:
    rows = []
    for i, (ex, gen, pred) in enumerate(zip(examples, generations, predictions)):
        per_example = {r.metric: r.per_example[i] for r in results if r.per_example is not None}
        rows.append({"id": ex.id, "input": ex.source if ex.source is not None else ex.image,
                     "prediction": pred, "raw_output": gen.text if gen.text != pred else None,
                     "references": list(ex.references), "scores": per_example,
                     "finish_reason": gen.finish_reason, "generated_tokens": gen.num_tokens,
                     "truncated": gen.truncated, "cached": gen.cached})
    return rows
