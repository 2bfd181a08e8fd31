"""Score and record: the step a run and a merge both end with.

A task's generations (``Generated``, made in one process, over torchrun's ranks, or put
together from a job array's shards) are post-processed, scored by every metric the run asks
for, and written as one run folder (``record/store.py``): the record, a row per example and
each metric's statistics. A task whose scoring or writing fails gets a record with status
``failed`` (never taken for a result), and the error is re-raised.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Iterator, Mapping, Sequence

from harness import data
from harness.engine.progress import Step
from harness.errors import DataError, UsageError
from harness.metrics.base import Corpus, Metric
from harness.metrics.scoring import build_metric, estimate_s, score
from harness.metrics.stats_cache import StatsCache
from harness.record import (MAX_LISTED_ERRORS, Environment, ExampleError, ModelInfo, RunRecord,
                            Score, TaskInfo, Timings, store)
from harness.record.accounting import Generated as EngineReport
from harness.record.environment import describe_environment
from harness.record.key import RunKey
from harness.run.options import Postprocess, RunOptions
from harness.run.plan import metric_specs
from harness.task import Task
from harness.types import Example, GenerateConfig, Generation, MetricResult


@dataclass(frozen=True)
class Generated:
    """One task's generations, kept until the model is closed and scoring starts."""

    task: Task
    info: TaskInfo
    examples: list[Example]
    config: GenerateConfig
    generations: list[Generation]
    post: Postprocess
    model: ModelInfo
    key: RunKey | None  # None: merged from shards written before keys were stored
    made: EngineReport
    load_s: float
    prepare_s: float
    created: datetime
    record_fields: Mapping[str, Any] = field(default_factory=dict)  # set over _record's (a merge)


def score_and_record(out: Generated, options: RunOptions, run_id: str,
                      stats_cache: StatsCache | None = None, progress: bool = False) -> RunRecord:
    """Score ``out`` and write its run folder; ``progress``: a line per metric on stderr."""
    started = time.perf_counter()
    predictions: list[str] | None = None
    try:
        predictions = [out.post.apply(g.text) if g.error is None else "" for g in out.generations]
        whole = all(g.error is None for g in out.generations)
        # a range, not a million ints, when every example has an output (the usual run)
        scored = range(len(out.generations)) if whole else \
            [i for i, g in enumerate(out.generations) if g.error is None]
        if not scored:
            first = out.generations[0] if out.generations else None
            raise DataError(f"task {out.task.name!r}: no example to score; every one failed"
                            + (f", e.g. {first.example_id!r}: {first.error}" if first else ""))
        examples = out.examples if whole else [out.examples[i] for i in scored]
        # the signatures name the data actually scored, so a partial run never matches a whole one
        fingerprint = out.info.data_fingerprint if whole else data.fingerprint(examples)
        texts = predictions if whole else [predictions[i] for i in scored]
        scoring = score_predictions(out.task, examples, texts, fingerprint, options, stats_cache,
                                    progress)
        scores = {r.metric: score_entry(spec, r) for spec, r, _ in scoring}
        record = build_record(out, options, run_id, scores, len(scored), time.perf_counter() - started)
        stats = {r.metric: matrix for _, r, matrix in scoring}
        if options.write:
            store.write_run(options.output, record,
                            sample_rows(out, predictions, scored, [r for _, r, _ in scoring]), stats)
        else:
            record._stats = stats
        return record
    except Exception as err:
        if options.write:
            write_failed_record(out, options, run_id, predictions, err, time.perf_counter() - started)
        raise


def write_failed_record(out: Generated, options: RunOptions, run_id: str,
                  predictions: list[str] | None, err: Exception, score_s: float) -> None:
    failed = build_record(out, options, run_id, {}, 0, score_s, error=err)
    try:
        store.write_run(options.output, failed, sample_rows(out, predictions, [], []), {})
    except OSError:
        pass  # the error being raised is what the user needs; this record was a courtesy


def build_record(out: Generated, options: RunOptions, run_id: str, scores: dict[str, Score],
            n_scored: int, score_s: float, error: Exception | None = None) -> RunRecord:
    failures = [ExampleError(id=g.example_id, error=g.error)
                for g in out.generations if g.error is not None]
    made = out.made
    timings = Timings(load_s=out.load_s, prepare_s=out.prepare_s, generate_s=made.generate_s,
                      model_s=made.model_s, overhead_s=made.overhead_s, score_s=score_s,
                      total_s=out.load_s + out.prepare_s + made.generate_s + score_s)
    record = RunRecord(
        run_id=run_id, status="failed" if error else "partial" if failures else "complete",
        created=out.created, task=out.info, model=out.model, generation=out.config,
        seed=options.seed, postprocess=list(out.post.steps), key=out.key, n_scored=n_scored,
        n_errors=len(failures), errors=failures[:MAX_LISTED_ERRORS],
        error=f"{type(error).__name__}: {error}" if error else None, scores=scores,
        timings=timings, throughput=made.throughput, engine=made.engine,
        environment=Environment.model_validate(describe_environment()))
    return record.model_copy(update=dict(out.record_fields)) if out.record_fields else record


def score_entry(spec: str | Mapping[str, Any], result: MetricResult) -> Score:
    written = result.to_dict()  # signature text; the CI's bootstrap settings in its details
    return Score(spec={"name": spec} if isinstance(spec, str) else dict(spec),
                 score=result.score, signature=written["signature"], ci95=written["ci95"],
                 higher_is_better=result.higher_is_better, details=written.get("details", {}),
                 stats=store.stats_path(result.metric))


def score_predictions(task: Task, examples: Sequence[Example], predictions: Sequence[str],
                      fingerprint: str, options: RunOptions,
                      stats_cache: StatsCache | None = None,
                      progress: bool = False) -> list[tuple[Any, MetricResult, Any]]:
    """(spec, result, statistics matrix) per metric the run asks for; ``progress``: a line
    per metric on stderr, with its size, its time, and an estimate where it may be slow."""
    sources, images = [e.source for e in examples], [e.image for e in examples]
    # the examples' own tuples of references: a list apiece would be ~80 MB a million
    corpus = Corpus(predictions=list(predictions), references=[e.references for e in examples],
                    ids=[e.id for e in examples],
                    sources=sources if all(s is not None for s in sources) else None,
                    images=images if all(i is not None for i in images) else None)
    out, seen = [], set()
    for spec in metric_specs(task, options.metrics):
        metric = build_metric(spec)
        if metric.name in seen:  # one score per name: the record and stats/ are keyed by it
            raise UsageError(f"task {task.name!r}: metric {metric.name!r} is asked for twice; "
                             f"keep one (scores are keyed by metric name)")
        seen.add(metric.name)
        with scoring_step(task.name, metric, corpus, stats_cache, progress):
            result, matrix = score(metric, corpus, data_fingerprint=fingerprint,
                                   n_bootstrap=options.n_bootstrap, seed=options.seed,
                                   stats_cache=stats_cache)
        out.append((spec, result, matrix))
    return out


def scoring_step(task: str, metric: Metric, corpus: Corpus, stats_cache: StatsCache | None,
                 enabled: bool) -> Step:
    """``scoring wmt21: ter (2 refs, 3,004 examples), about 6 min ... 5 min``."""
    if not enabled:
        return Step("", False)
    counts = sorted({len(refs) for refs in corpus.references})
    refs = f"{counts[0]}" if len(counts) == 1 else f"{counts[0]}-{counts[-1]}"
    noun = "ref" if counts == [1] else "refs"
    return Step(f"scoring {task}: {metric.name} ({refs} {noun}, {len(corpus):,} examples)", True,
                estimate_s(metric, corpus, stats_cache))


def sample_rows(out: Generated, predictions: Sequence[str] | None, scored: Sequence[int],
                results: Sequence[MetricResult]) -> Iterator[dict]:
    """One row per example asked for, made as it is written (a million rows held at once
    would be gigabytes); failed examples have ``error`` and no scores. ``scored`` ascends."""
    scores = [(r.metric, r.per_example) for r in results if r.per_example is not None]
    k = 0  # the position of example i among the scored ones, when it is one
    for i, (ex, gen) in enumerate(zip(out.examples, out.generations)):
        pred = predictions[i] if predictions is not None else gen.text
        per_example = {}
        if k < len(scored) and scored[k] == i:
            per_example = {name: values[k] for name, values in scores}
            k += 1
        yield {"id": ex.id, "input": ex.source if ex.source is not None else ex.image,
               "prediction": pred, "raw_output": gen.text if gen.text != pred else None,
               "references": list(ex.references), "scores": per_example,
               "finish_reason": gen.finish_reason, "generated_tokens": gen.num_tokens,
               "truncated": gen.truncated, "cached": gen.cached, "error": gen.error}
