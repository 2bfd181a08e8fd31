"""The generation engine: requests in, generations out, in the requests' order.

    generations, accounting = generate(model, requests, EngineSettings(), desc="wmt21")

Every model goes through the cache (unless it sets ``cacheable = False`` or the settings
turn the cache off), keyed by the model's fingerprint and output settings and by each
request's content; only missing generations are computed, each committed as soon as it is
made. Runs sharing a cache at the same time claim requests before generating them
(``claims``), so each is made once and a run that died leaves its part to the others; on a
folder several nodes share, each writer keeps its own file instead (``cache_mode``). The
driver protocol the model implements (``driver_of``) says how it is fed: token-budget
batches (``batches``), the whole list at once (``stream``) or concurrent single requests
with retries (``concurrent``). An example the model cannot answer stops the run naming it,
or, with ``on_error="skip"``, is recorded as a per-example error and retried by the next run.

The engine reads what the model measured (``BatchResult.model_s``, ``load_timer``) and
keeps what out-of-memory back-off taught it about each model (``learned_limits``) itself,
for the model's later tasks: it writes nothing on the model.

Greedy outputs do not depend on the batch size on CPU in float32 (tested). On GPUs, kernels
chosen per batch shape and reduced precision can flip near-tied tokens, so outputs may
differ slightly between batch sizes.
"""
from __future__ import annotations

import time
import weakref
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Sequence

from harness.engine import cache_mode, faults
from harness.engine.accounting import Accounting, account, reset_peak_memory
from harness.engine.batches import MAX_ROWS, BatchStats, Limits, Planner, run_batches
from harness.engine.cache import GenerationCache, SharedCache
from harness.engine.claims import Claims, stale_after_s
from harness.engine.concurrent import run_concurrent
from harness.engine.ledger import Ledger
from harness.engine.progress import Progress
from harness.engine.stream import run_stream
from harness.errors import HarnessError, UsageError
from harness.models.base import (ConcurrentModel, Driver, ErrorAction, ExampleError, Model,
                                 StreamModel)
from harness.models.batched import BatchedModel
from harness.paths import cache_root
from harness.types import Generation, Request

__all__ = ["EngineSettings", "Accounting", "generate", "driver_of", "learned_limits"]
ON_ERROR = ("fail", "skip")
PROTOCOLS = {Driver.BATCHES: BatchedModel, Driver.STREAM: StreamModel,
             Driver.CONCURRENT: ConcurrentModel}
# What out-of-memory back-off settled on per model object, for its later tasks. Keyed by id,
# not by the object (an adapter may be unhashable); the entry goes when the model does
_learned: dict[int, Limits] = {}


@dataclass(frozen=True)
class EngineSettings:
    """How to run generation; from --batch-size, --max-batch-tokens, --no-cache, --cache-dir,
    --cache-mode, --on-error."""

    batch_size: int | str = "auto"  # "auto": token-budget batches with OOM back-off; int: fixed count
    max_batch_tokens: int | None = None  # override of the token budget (see models.batched.batch_cost)
    use_cache: bool = True
    cache_dir: Path = field(default_factory=cache_root)
    progress: bool = True
    on_error: str = "fail"  # "fail": stop at an example the model cannot answer; "skip": record it
    # another run's claim on a request is void once its heartbeat is this old (engine/claims.py)
    claim_stale_s: float = field(default_factory=stale_after_s)
    # "local": one SQLite file with claims; "shared": a file per writer, for a folder several
    # nodes share; "auto": shared on a network filesystem or a multi-node job (engine/cache_mode.py)
    cache_mode: str = field(default_factory=cache_mode.default_mode)

    def __post_init__(self):
        if self.on_error not in ON_ERROR:
            raise UsageError(f"--on-error must be one of {', '.join(ON_ERROR)}, not {self.on_error!r}")
        if self.cache_mode not in cache_mode.MODES:
            raise UsageError(f"--cache-mode (or ${cache_mode.ENV}) must be one of "
                             f"{', '.join(cache_mode.MODES)}, not {self.cache_mode!r}")

    def rows_and_budget(self, model: BatchedModel,
                        learned: Limits | None = None) -> tuple[int, int | None]:
        """(max rows per batch, token budget or None) for this model, given what
        out-of-memory back-off ``learned`` in its earlier tasks."""
        size = self.batch_size
        if isinstance(size, str) and size.strip().isdigit():
            size = int(size)
        learned_budget = learned.token_budget if learned else None
        budgets = [b for b in (self.max_batch_tokens, learned_budget) if b]
        if size == "auto":  # the budget is what out-of-memory taught; rows follow from it
            return MAX_ROWS, min(budgets) if budgets else model.token_budget()
        if isinstance(size, int) and size >= 1:  # a fixed count: the rows it was cut to
            rows = min(size, learned.rows) if learned else size
            return rows, min(budgets) if budgets else None
        raise UsageError(f"--batch-size must be 'auto' or a positive integer, not {size!r}")


def driver_of(model: Model) -> Driver:
    """The one driver ``model`` implements, checked against its protocol; a HarnessError
    naming the adapter when it implements none, several, or one only in part."""
    cls = type(model)
    kind = getattr(cls, "registered_name", cls.__name__)
    name = f"{kind!r} ({cls.__module__}.{cls.__qualname__})"
    found = [d for d in Driver if callable(getattr(model, d.method, None))]
    if len(found) != 1:
        has = " and ".join(d.method for d in found) or "no driver method"
        ways = ", ".join(f"{d.method} ({PROTOCOLS[d].__module__}.{PROTOCOLS[d].__name__})"
                         for d in Driver)
        raise HarnessError(f"model adapter {name} implements {has}; an adapter implements "
                           f"exactly one of: {ways}")
    driver = found[0]
    protocol = PROTOCOLS[driver]
    if not isinstance(model, protocol):
        members = {**protocol.__annotations__, **vars(protocol)}
        missing = [m for m in members if not m.startswith("_") and not hasattr(model, m)]
        raise HarnessError(f"model adapter {name} implements {driver.method} but lacks "
                           f"{', '.join(missing)} of {protocol.__name__}; subclass "
                           f"{protocol.__name__} for its defaults")
    return driver


def learned_limits(model: Model) -> Limits | None:
    """The token budget and rows out-of-memory back-off settled on in the model's earlier
    tasks, which its next task starts from; None before any back-off."""
    return _learned.get(id(model))


def _remember(model: Model, limits: Limits) -> None:
    if id(model) not in _learned:
        weakref.finalize(model, _learned.pop, id(model), None)
    _learned[id(model)] = limits


def cache_identity(model: Model) -> dict[str, Any]:
    """What the cache's model key hashes: the weights and every output-changing setting."""
    return {**model.fingerprint(), "output_settings": dict(model.output_settings())}


def generate(model: Model, requests: Sequence[Request], settings: EngineSettings,
             desc: str = "") -> tuple[list[Generation], Accounting]:
    """Generations in the order of ``requests``, and the accounting of how they were made."""
    started = time.perf_counter()
    driver = driver_of(model)
    model.load_timer.take()  # loads before this call are not its own (the pipeline times them)
    use_cache = settings.use_cache and model.cacheable
    cache = _open_cache(settings, cache_identity(model)) if use_cache else None
    claims = None
    try:
        if isinstance(cache, GenerationCache):  # per-writer files leave the split to the shards
            claims = Claims(cache, settings.claim_stale_s)
        ledger = Ledger(requests, cache, by_content=model.cacheable, claims=claims)
        progress = Progress(len(requests), ledger.n_done, desc, settings.progress)
        try:
            reset_peak_memory()
            stats, retries = _rounds(model, driver, ledger, settings, progress)
        finally:
            progress.close()
    finally:
        if claims is not None:
            claims.close()
        if cache is not None:
            cache.close()
    results = ledger.finished()
    made = [ledger.results[p] for p in ledger.made]
    return results, account(
        n_requests=len(ledger.requests), n_cached=ledger.n_cached,
        n_generated=len(made), n_errors=ledger.n_errors,
        n_truncated=sum(1 for g in results if g.truncated), retries=retries,
        generated_tokens=sum(g.num_tokens for g in made), stats=stats,
        batch_size=settings.batch_size, load_s=model.load_timer.take(),
        total_s=time.perf_counter() - started, runtime=model.describe(),
        cache=str(cache.path) if cache is not None else None)


def _open_cache(settings: EngineSettings,
                identity: dict[str, Any]) -> GenerationCache | SharedCache:
    choice = cache_mode.choose(settings.cache_mode, settings.cache_dir)
    cache_mode.notice(choice, settings.cache_dir)
    if choice.mode == "shared":
        return SharedCache(settings.cache_dir, identity)
    return GenerationCache(settings.cache_dir, identity)


def _rounds(model: Model, driver: Driver, ledger: Ledger, settings: EngineSettings,
            progress: Progress) -> tuple[BatchStats | None, int]:
    """Generate what is pending, then wait for what other runs claimed; generate again
    whatever a run that died left behind."""
    stats, retries = None, 0
    while ledger.pending:
        more, more_retries = _drive(model, driver, ledger, settings, progress)
        stats = more if stats is None else stats.merged(more)
        retries += more_retries
        ledger.pending = ledger.await_others(lambda filled: progress.update(filled, 0))
    return stats, retries


def _drive(model: Model, driver: Driver, ledger: Ledger, settings: EngineSettings,
           progress: Progress) -> tuple[BatchStats | None, int]:
    def on_failure(position: int, error: BaseException) -> None:
        decision = model.classify_error(error)
        if decision.action not in (ErrorAction.SKIP, ErrorAction.RETRY):
            raise error
        if settings.on_error == "fail":
            example = ledger.requests[position].example_id
            raise HarnessError(f"{_reason(error, example)}; earlier generations are cached: fix "
                               f"it and rerun, or rerun with --on-error skip to score the rest "
                               f"and record it as failed") from error
        progress.update(ledger.fail(position, _reason(error, ledger.requests[position].example_id)), 0)

    if driver is Driver.BATCHES:  # claims batch by batch, as each is planned
        return _generate_batched(model, ledger, settings, progress, on_failure), 0
    if driver is Driver.CONCURRENT:  # claims requests as it sends them
        return None, run_concurrent(model, ledger, progress.update, on_failure)
    # the adapter takes the whole list at once: claim it all, so a second run waits
    ledger.pending = ledger.take(ledger.pending)
    if not ledger.pending:
        return None, 0
    run_stream(model, ledger, progress.update)
    failed = next((g for g in ledger.results if g is not None and g.error), None)
    if failed is not None and settings.on_error == "fail":
        on_failure(ledger.results.index(failed), ExampleError(failed.example_id, failed.error))
    return None, 0


def _reason(error: BaseException, example_id: str) -> str:
    text = str(error) or type(error).__name__
    return text if example_id in text else f"example {example_id!r}: {text}"


def _generate_batched(model: BatchedModel, ledger: Ledger, settings: EngineSettings,
                      progress: Progress, on_failure) -> BatchStats:
    pending = [ledger.requests[p] for p in ledger.pending]
    encoded = model.encode(pending)
    rows, budget = settings.rows_and_budget(model, learned_limits(model))
    planner = Planner(list(zip(ledger.pending, pending, encoded)), model.group_key, budget, rows,
                      claim=ledger.take if ledger.claims is not None else None)

    def on_batch(positions, batch, generations):
        generations = [replace(g, truncated=g.truncated or e.truncated)
                       for g, e in zip(generations, batch.encoded)]
        filled = ledger.commit(positions, generations)
        progress.update(filled, sum(g.num_tokens for g in generations))
        faults.after_commit(len(generations))

    try:
        stats = run_batches(model, planner, on_batch, on_failure)
    finally:  # kept even when the run stops, as a later task may still fit
        if planner.backed_off is not None:
            _remember(model, planner.backed_off)
    stats.budgets = (budget or 0, planner.budget or 0)
    return stats
