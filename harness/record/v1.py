"""Reading schema-1 records (``<output>/<model>/<task>/run.json``, before run ids).

Schema 1 nested scores under the task name, mixed the model's runtime description into
``timings`` and timed loading twice under two names; this converts one into the schema-2
shape. What schema 1 did not store stays unknown: metric options (``Score.spec`` is None).
"""
from __future__ import annotations

from datetime import datetime
from typing import Any, Mapping

from harness.engine.accounting import Accounting, BatchSummary
from harness.record.accounting import from_engine

V1_TIMING_KEYS = ("load_s", "prepare_s", "generation_s", "scoring_s")
V1_ENGINE_KEYS = frozenset({
    "n_requests", "n_cached", "n_generated", "n_truncated", "examples_per_s",
    "generated_tokens_per_s", "generated_tokens", "seconds", "peak_memory_bytes",
    "peak_memory_kind", "cache", "padding_efficiency", "batches", *V1_TIMING_KEYS})


def _accounting(timings: Mapping[str, Any]) -> Accounting:
    """Schema 1's engine accounting, kept in ``timings`` next to the adapter's runtime."""
    seconds = timings.get("seconds", {})
    batches = timings.get("batches")
    return Accounting(
        n_requests=timings.get("n_requests", 0), n_cached=timings.get("n_cached", 0),
        n_generated=timings.get("n_generated", 0), n_errors=0,
        n_truncated=timings.get("n_truncated", 0), retries=0,
        generated_tokens=timings.get("generated_tokens", 0), load_s=seconds.get("load", 0.0),
        generate_s=seconds.get("generation", 0.0), model_s=seconds.get("model"),
        overhead_s=seconds.get("overhead"), peak_memory_bytes=timings.get("peak_memory_bytes", 0),
        peak_memory_kind=timings.get("peak_memory_kind", ""), cache=timings.get("cache"),
        padding_efficiency=timings.get("padding_efficiency"),
        batches=BatchSummary(**batches) if batches else None,
        runtime={k: v for k, v in timings.items() if k not in V1_ENGINE_KEYS})


def upgrade(raw: Mapping[str, Any]) -> dict:
    """A schema-1 run.json (as a dict) in the schema-2 shape."""
    task = dict(raw["task"])
    timings = dict(raw.get("timings", {}))
    engine_part = from_engine(_accounting(timings))
    seconds = timings.get("seconds", {})
    load_s = timings.get("load_s", 0.0) + engine_part.load_s
    generate_s = seconds.get("generation", timings.get("generation_s", 0.0) - engine_part.load_s)
    score_s = timings.get("scoring_s", 0.0)
    stats = dict(raw.get("files", {}).get("stats", {}))
    scores = {metric: {"spec": None, "score": entry["score"], "signature": entry["signature"],
                       "ci95": entry.get("ci95"),
                       "higher_is_better": entry.get("higher_is_better", True),
                       "details": entry.get("details", {}), "stats": stats.get(metric)}
              for metric, entry in raw["scores"].get(task["name"], {}).items()}
    created = datetime.fromisoformat(raw["created"])
    return {
        "schema_version": 2, "run_id": f"{created.strftime('%Y%m%dT%H%M%SZ')}-v1",
        "status": "complete", "created": raw["created"], "task": task,
        "model": {**raw["model"], "runtime": dict(engine_part.runtime)},
        "generation": raw["generation"], "seed": raw["seed"],
        "postprocess": None, "n_scored": task["n_examples"], "scores": scores,
        "timings": {"load_s": load_s, "prepare_s": timings.get("prepare_s", 0.0),
                    "generate_s": generate_s, "model_s": engine_part.model_s,
                    "overhead_s": engine_part.overhead_s, "score_s": score_s,
                    "total_s": load_s + timings.get("prepare_s", 0.0) + generate_s + score_s},
        "throughput": engine_part.throughput.model_dump(),
        "engine": engine_part.engine.model_dump(),
        "environment": raw["environment"],
        "files": {"samples": raw.get("files", {}).get("samples", "samples.jsonl")},
    }
