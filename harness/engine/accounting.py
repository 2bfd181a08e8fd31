"""How one engine call made its generations: counts, time, throughput, memory."""
from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import Any

from harness.engine.batches import BatchStats


@dataclass(frozen=True)
class BatchSummary:
    count: int
    batch_size: int | str  # --batch-size: "auto" or the fixed count asked for
    mean_rows: float
    max_rows: int
    oom_retries: int
    token_budget_start: int | None
    token_budget_end: int | None  # what out-of-memory back-off left, kept for later tasks


@dataclass(frozen=True)
class Accounting:
    n_requests: int
    n_cached: int  # answered from the cache
    n_generated: int  # made by the model in this call
    n_errors: int  # examples the model could not answer (--on-error skip)
    n_truncated: int
    retries: int  # transient errors retried (concurrent adapters)
    generated_tokens: int
    load_s: float  # weights or tokenizer the adapter loaded lazily during this call
    generate_s: float  # the call's wall time, less load_s
    model_s: float | None  # inside the network (batched adapters)
    overhead_s: float | None  # generate_s - model_s
    peak_memory_bytes: int
    peak_memory_kind: str  # "cuda max allocated" or "process peak RSS"
    cache: str | None  # the cache file, or the folder of per-writer logs, when used
    padding_efficiency: float | None = None  # real / processed tokens (batched adapters)
    batches: BatchSummary | None = None
    runtime: dict[str, Any] = field(default_factory=dict)  # the adapter's describe()
    world_size: int = 1  # processes that generated these, each its share (run/ranks.py)

    @property
    def examples_per_s(self) -> float:
        return self.n_generated / self.generate_s if self.n_generated else 0.0

    @property
    def generated_tokens_per_s(self) -> float:
        return self.generated_tokens / self.generate_s if self.n_generated else 0.0


def account(*, n_requests: int, n_cached: int, n_generated: int, n_errors: int,
            n_truncated: int, retries: int, generated_tokens: int, stats: BatchStats | None,
            batch_size: int | str, load_s: float, total_s: float, cache: str | None,
            runtime: dict[str, Any]) -> Accounting:
    generate_s = max(total_s - load_s, 1e-9)
    peak, peak_kind = _peak_memory()
    batched: dict[str, Any] = {}
    if stats is not None:
        batched = dict(
            padding_efficiency=stats.real_tokens / max(stats.processed_tokens, 1),
            model_s=stats.model_seconds,
            overhead_s=max(generate_s - stats.model_seconds, 0.0),
            batches=BatchSummary(stats.batches, batch_size, stats.requests / max(stats.batches, 1),
                                 stats.max_rows, stats.oom_retries, stats.budgets[0] or None,
                                 stats.budgets[1] or None))
    return Accounting(
        n_requests=n_requests, n_cached=n_cached, n_generated=n_generated, n_errors=n_errors,
        n_truncated=n_truncated, retries=retries, generated_tokens=generated_tokens,
        load_s=load_s, generate_s=generate_s, model_s=batched.pop("model_s", None),
        overhead_s=batched.pop("overhead_s", None), peak_memory_bytes=peak,
        peak_memory_kind=peak_kind, cache=cache, runtime=runtime, **batched)


def reset_peak_memory() -> None:
    torch = sys.modules.get("torch")
    if torch is not None and torch.cuda.is_available():
        torch.cuda.reset_peak_memory_stats()


def _peak_memory() -> tuple[int, str]:
    torch = sys.modules.get("torch")
    if torch is not None and torch.cuda.is_available() and torch.cuda.is_initialized():
        return torch.cuda.max_memory_allocated(), "cuda max allocated"
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024, "process peak RSS"
