"""The engine's accounting, in the record's vocabulary: the one place that maps
``harness.engine.Accounting`` onto the record's sections."""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Mapping, Sequence

from harness.engine.accounting import Accounting
from harness.record.run import Batches, EngineCounts, Throughput, Timings


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


def combine(parts: Sequence[tuple[Timings, Throughput, EngineCounts]],
            runtime: Mapping[str, Any]) -> Generated:
    """Several workers' reports on one task (shards of a job array) as one: counts, tokens
    and seconds add up (the work done, not the wall time), rates follow from the sums, peak
    memory is the highest, and batch sizes are averaged over batches."""
    generate_s = sum(t.generate_s for t, _, _ in parts)
    counts = {f: sum(getattr(e, f) for _, _, e in parts)
              for f in ("n_requests", "n_cached", "n_generated", "n_errors", "n_truncated", "retries")}
    tokens = sum(p.generated_tokens for _, p, _ in parts)
    rated = [p for _, p, _ in parts if p.generated_tokens_per_s is not None]
    padded = [p for _, p, _ in parts if p.padding_efficiency is not None]
    peaks = [p for _, p, _ in parts if p.peak_memory_bytes is not None]
    weight = sum(p.generated_tokens for p in padded)
    throughput = Throughput(
        examples_per_s=counts["n_generated"] / generate_s
        if generate_s and any(p.examples_per_s is not None for _, p, _ in parts) else None,
        generated_tokens_per_s=tokens / generate_s if rated and generate_s else None,
        generated_tokens=tokens,
        padding_efficiency=(sum(p.padding_efficiency * p.generated_tokens for p in padded) / weight
                            if weight else padded[0].padding_efficiency) if padded else None,
        peak_memory_bytes=max(p.peak_memory_bytes for p in peaks) if peaks else None,
        peak_memory_kind=peaks[0].peak_memory_kind if peaks else None)
    model_s = [t.model_s for t, _, _ in parts if t.model_s is not None]
    overhead_s = [t.overhead_s for t, _, _ in parts if t.overhead_s is not None]
    engine = EngineCounts(**counts, cache=parts[0][2].cache,
                          batches=_combine_batches([e.batches for _, _, e in parts if e.batches]))
    return Generated(load_s=0.0, generate_s=generate_s, model_s=sum(model_s) if model_s else None,
                     overhead_s=sum(overhead_s) if overhead_s else None, throughput=throughput,
                     engine=engine, runtime=dict(runtime))


def _combine_batches(batches: Sequence[Batches]) -> Batches | None:
    if not batches:
        return None
    count = sum(b.count for b in batches)
    return Batches(count=count, batch_size=batches[0].batch_size,
                   mean_rows=sum(b.mean_rows * b.count for b in batches) / count if count else 0.0,
                   max_rows=max(b.max_rows for b in batches),
                   oom_retries=sum(b.oom_retries for b in batches),
                   token_budget_start=batches[0].token_budget_start,
                   token_budget_end=min((b.token_budget_end for b in batches if b.token_budget_end),
                                        default=None))
