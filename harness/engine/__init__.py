"""The generation engine: requests in, generations out, in the requests' order.

    generations, accounting = generate(model, requests, EngineSettings(), desc="wmt21")

Every model goes through the cache (unless it sets ``cacheable = False`` or the settings
turn the cache off); only missing generations are computed, each committed as soon as its
batch finishes. ``BatchedModel`` adapters get length-sorted token-budget batches with
out-of-memory back-off (see ``batching``); other models are simply iterated.

Greedy outputs do not depend on the batch size on CPU in float32 (tested). On GPUs, kernels
chosen per batch shape and reduced precision can flip near-tied tokens, so outputs may
differ slightly between batch sizes.
"""
from __future__ import annotations

import os
import sys
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Sequence

from harness.engine import faults
from harness.engine.batching import MAX_ROWS, BatchedModel, Planner, run_batches
from harness.engine.cache import GenerationCache
from harness.engine.progress import Progress
from harness.errors import HarnessError, UsageError
from harness.models.base import Model
from harness.types import Generation, Request

__all__ = ["EngineSettings", "generate", "BatchedModel"]


def _default_cache_dir() -> Path:
    return Path(os.environ.get("HARNESS_CACHE", "~/.cache/harness")).expanduser()


@dataclass(frozen=True)
class EngineSettings:
    """How to run generation; from --batch-size, --max-batch-tokens, --no-cache, --cache-dir."""

    batch_size: int | str = "auto"  # "auto": token-budget batches with OOM back-off; int: fixed count
    max_batch_tokens: int | None = None  # override of the token budget (see batching.batch_cost)
    use_cache: bool = True
    cache_dir: Path = field(default_factory=_default_cache_dir)
    progress: bool = True

    def rows_and_budget(self, model: BatchedModel) -> tuple[int, int | None]:
        """(max rows per batch, token budget or None) for this model."""
        size = self.batch_size
        if isinstance(size, str) and size.strip().isdigit():
            size = int(size)
        budgets = [b for b in (self.max_batch_tokens, model.safe_token_budget) if b]
        if size == "auto":  # the budget is what out-of-memory taught; rows follow from it
            return MAX_ROWS, min(budgets) if budgets else model.token_budget()
        if isinstance(size, int) and size >= 1:  # a fixed count: the rows it was cut to
            return min(size, model.safe_rows or size), min(budgets) if budgets else None
        raise UsageError(f"--batch-size must be 'auto' or a positive integer, not {size!r}")


def generate(model: Model, requests: Sequence[Request], settings: EngineSettings,
             desc: str = "") -> tuple[list[Generation], dict[str, Any]]:
    """Generations in the order of ``requests``, and the accounting of how they were made."""
    started = time.perf_counter()
    load_before = getattr(model, "load_seconds", 0.0)
    use_cache = settings.use_cache and getattr(model, "cacheable", True)
    cache = GenerationCache(settings.cache_dir, model.fingerprint()) if use_cache else None
    try:
        run = _Run(model, requests, cache)
        progress = Progress(len(requests), run.n_done, desc, settings.progress)
        try:
            _reset_peak_memory()
            if isinstance(model, BatchedModel):
                stats = _generate_batched(model, run, settings, progress)
            else:
                stats = _generate_plain(model, run, progress)
        finally:
            progress.close()
    finally:
        if cache is not None:
            cache.close()
    results = run.finished()
    load_seconds = getattr(model, "load_seconds", 0.0) - load_before
    total = time.perf_counter() - started
    return results, _accounting(model, run, stats, settings, load_seconds, total)


class _Run:
    """The requests of one call: what is done, what is pending, duplicates folded."""

    def __init__(self, model: Model, requests: Sequence[Request], cache: GenerationCache | None):
        self.requests = list(requests)
        self.cache = cache
        self.results: list[Generation | None] = [None] * len(self.requests)
        # identical requests to a model are generated once; a model whose output depends on
        # the example itself (a predictions file, a baseline) is not content-addressed
        by_content = getattr(model, "cacheable", True)
        self.keys = [r.key() if by_content else f"{r.example_id}\0{r.key()}"
                     for r in self.requests]
        self.copies: dict[str, list[int]] = defaultdict(list)  # request key -> positions
        for position, key in enumerate(self.keys):
            self.copies[key].append(position)
        cached = cache.get_many(self.copies) if cache is not None else {}
        for key, generation in cached.items():
            self._fill(key, generation)
        self.n_cached = sum(r is not None for r in self.results)
        self.pending = [positions[0] for key, positions in self.copies.items() if key not in cached]

    @property
    def n_done(self) -> int:
        return sum(r is not None for r in self.results)

    def _fill(self, key: str, generation: Generation) -> int:
        for position in self.copies[key]:
            example_id = self.requests[position].example_id
            self.results[position] = replace(generation, example_id=example_id)
        return len(self.copies[key])

    def commit(self, positions: Sequence[int], generations: Sequence[Generation]) -> int:
        """Store finished generations (one transaction); returns how many results they fill."""
        keyed = [(self.keys[p], g) for p, g in zip(positions, generations)]
        if self.cache is not None:
            self.cache.put_many(keyed)
        return sum(self._fill(key, g) for key, g in keyed)

    def finished(self) -> list[Generation]:
        missing = [self.requests[i].example_id for i, r in enumerate(self.results) if r is None]
        if missing:
            raise HarnessError(f"no generation for {len(missing)} example(s), first "
                               f"{missing[0]!r}; the model skipped them")
        return self.results  # type: ignore[return-value]


def _generate_batched(model: BatchedModel, run: _Run, settings: EngineSettings,
                      progress: Progress):
    pending = [run.requests[p] for p in run.pending]
    if not pending:
        return None
    encoded = model.encode(pending)
    rows, budget = settings.rows_and_budget(model)
    planner = Planner(list(zip(run.pending, pending, encoded)), model.group_key, budget, rows)

    def on_batch(positions, batch, generations):
        generations = [replace(g, truncated=g.truncated or e.truncated)
                       for g, e in zip(generations, batch.encoded)]
        filled = run.commit(positions, generations)
        progress.update(filled, sum(g.num_tokens for g in generations))
        faults.after_commit()

    stats = run_batches(model, planner, on_batch)
    stats.budgets = (budget or 0, planner.budget or 0)
    return stats


def _generate_plain(model: Model, run: _Run, progress: Progress, every_s: float = 2.0):
    """Iterate a model that batches nothing itself; commit every few seconds."""
    pending = [run.requests[p] for p in run.pending]
    if not pending:
        return None
    by_id: dict[str, deque[int]] = defaultdict(deque)
    for position, request in zip(run.pending, pending):
        by_id[request.example_id].append(position)
    buffer: list[tuple[int, Generation]] = []
    last_commit = time.perf_counter()

    def flush():
        if buffer:
            filled = run.commit([p for p, _ in buffer], [g for _, g in buffer])
            progress.update(filled, sum(g.num_tokens for _, g in buffer))
            buffer.clear()

    for generation in model.generate(pending):
        if not by_id.get(generation.example_id):
            raise HarnessError(f"{type(model).__name__} returned a generation for example "
                               f"{generation.example_id!r}, which was not asked for (or twice)")
        buffer.append((by_id[generation.example_id].popleft(), generation))
        if len(buffer) >= 256 or time.perf_counter() - last_commit > every_s:
            flush()
            last_commit = time.perf_counter()
    flush()
    return None


def _reset_peak_memory() -> None:
    torch = sys.modules.get("torch")
    if torch is not None and torch.cuda.is_available():
        torch.cuda.reset_peak_memory_stats()


def _peak_memory() -> tuple[int, str]:
    torch = sys.modules.get("torch")
    if torch is not None and torch.cuda.is_available() and torch.cuda.is_initialized():
        return torch.cuda.max_memory_allocated(), "cuda max allocated"
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024, "process peak RSS"


def _accounting(model: Model, run: _Run, stats, settings: EngineSettings,
                load_seconds: float, total: float) -> dict[str, Any]:
    generated = [run.results[p] for p in run.pending]
    tokens = sum(g.num_tokens for g in generated if g is not None)
    generation_seconds = max(total - load_seconds, 1e-9)
    peak, peak_kind = _peak_memory()
    out: dict[str, Any] = {
        "n_requests": len(run.requests), "n_cached": run.n_cached,
        "n_generated": len(run.pending),
        "n_truncated": sum(1 for g in run.results if g is not None and g.truncated),
        "examples_per_s": len(run.pending) / generation_seconds if run.pending else 0.0,
        "generated_tokens_per_s": tokens / generation_seconds if run.pending else 0.0,
        "generated_tokens": tokens,
        "seconds": {"load": load_seconds, "generation": generation_seconds, "total": total},
        "peak_memory_bytes": peak, "peak_memory_kind": peak_kind,
        "cache": str(settings.cache_dir / "generations.sqlite") if run.cache else None,
        "padding_efficiency": None,
    }
    if isinstance(model, BatchedModel):
        out.update(model.describe())
    if stats is not None:
        out["padding_efficiency"] = stats.real_tokens / max(stats.processed_tokens, 1)
        out["seconds"]["model"] = stats.model_seconds
        out["seconds"]["overhead"] = max(generation_seconds - stats.model_seconds, 0.0)
        out["batches"] = {"count": stats.batches, "batch_size": settings.batch_size,
                          "mean_rows": stats.requests / max(stats.batches, 1),
                          "max_rows": stats.max_rows, "oom_retries": stats.oom_retries,
                          "token_budget_start": stats.budgets[0] or None,
                          "token_budget_end": stats.budgets[1] or None}
    return out
