"""The engine's accounting, in the record's vocabulary.

``harness.engine.generate`` returns a dict; this module is the one place that knows its
keys, so the engine can return a typed object later without the record schema changing.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from harness.record.run import Batches, EngineCounts, Throughput

ENGINE_KEYS = frozenset({
    "n_requests", "n_cached", "n_generated", "n_truncated", "examples_per_s",
    "generated_tokens_per_s", "generated_tokens", "seconds", "peak_memory_bytes",
    "peak_memory_kind", "cache", "padding_efficiency", "batches"})


@dataclass(frozen=True)
class Generated:
    """How one task's generations were made, as the record stores it."""

    load_s: float  # weights or tokenizer loaded lazily during generation
    generate_s: float
    model_s: float | None
    overhead_s: float | None
    throughput: Throughput
    engine: EngineCounts
    runtime: Mapping[str, Any]


def from_engine(accounting: Mapping[str, Any]) -> Generated:
    """Map ``engine.generate``'s accounting dict onto the record's sections."""
    seconds = accounting.get("seconds", {})
    tokens = int(accounting.get("generated_tokens", 0))
    generated = int(accounting.get("n_generated", 0))
    # a baseline or a predictions file reports no tokens: its rates would only measure Python
    measured = tokens > 0
    throughput = Throughput(
        examples_per_s=accounting.get("examples_per_s") if measured and generated else None,
        generated_tokens_per_s=accounting.get("generated_tokens_per_s") if measured else None,
        generated_tokens=tokens, padding_efficiency=accounting.get("padding_efficiency"),
        peak_memory_bytes=accounting.get("peak_memory_bytes"),
        peak_memory_kind=accounting.get("peak_memory_kind"))
    batches = accounting.get("batches")
    engine = EngineCounts(
        n_requests=accounting.get("n_requests", 0), n_cached=accounting.get("n_cached", 0),
        n_generated=generated, n_truncated=accounting.get("n_truncated", 0),
        batches=Batches(**batches) if batches else None, cache=accounting.get("cache"))
    # the rest is what the adapter's describe() merged in (device, dtype, threads, ...): it
    # describes the model, so the record keeps it under model.runtime
    runtime = {k: v for k, v in accounting.items() if k not in ENGINE_KEYS}
    return Generated(load_s=float(seconds.get("load", 0.0)),
                     generate_s=float(seconds.get("generation", 0.0)),
                     model_s=seconds.get("model"), overhead_s=seconds.get("overhead"),
                     throughput=throughput, engine=engine, runtime=runtime)
