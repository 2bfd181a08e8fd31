"""The engine's accounting, in the record's vocabulary: the one place that maps
``harness.engine.Accounting`` onto the record's sections."""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Mapping

from harness.engine.accounting import Accounting
from harness.record.run import Batches, EngineCounts, Throughput


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


def from_engine(accounting: Accounting) -> Generated:
    # a baseline or a predictions file reports no tokens: its rates would only measure Python
    measured = accounting.generated_tokens > 0
    throughput = Throughput(
        examples_per_s=accounting.examples_per_s if measured and accounting.n_generated else None,
        generated_tokens_per_s=accounting.generated_tokens_per_s if measured else None,
        generated_tokens=accounting.generated_tokens,
        padding_efficiency=accounting.padding_efficiency,
        peak_memory_bytes=accounting.peak_memory_bytes,
        peak_memory_kind=accounting.peak_memory_kind)
    batches = accounting.batches
    engine = EngineCounts(
        n_requests=accounting.n_requests, n_cached=accounting.n_cached,
        n_generated=accounting.n_generated, n_errors=accounting.n_errors,
        n_truncated=accounting.n_truncated, retries=accounting.retries,
        batches=Batches(**asdict(batches)) if batches else None, cache=accounting.cache,
        world_size=accounting.world_size)
    return Generated(load_s=accounting.load_s, generate_s=accounting.generate_s,
                     model_s=accounting.model_s, overhead_s=accounting.overhead_s,
                     throughput=throughput, engine=engine, runtime=dict(accounting.runtime))
