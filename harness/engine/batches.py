"""Length-sorted, token-budget batches with out-of-memory back-off (``Driver.BATCHES``).

Requests are grouped (same generation config), sorted by input length, longest first (so
an out-of-memory error shows up on the first batch, not the last), and cut into batches
whose cost (``models.batched.batch_cost``) stays under a token budget. When the adapter
calls an error ``SHRINK``, the failing batch goes back to the queue, the budget drops to
half its cost and the engine keeps it for the model's later tasks (``Limits``); no example
is lost or generated twice. An error the adapter pins on one example (``SKIP``) drops that
example and puts the rest of its batch back.
"""
from __future__ import annotations

import time
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Callable, Sequence

from harness.engine import faults
from harness.errors import HarnessError
from harness.models.base import ErrorAction, ExampleError
from harness.models.batched import Batch, BatchedModel, BatchResult, Encoded, batch_cost
from harness.types import Generation, Request

MAX_ROWS = 256  # beyond this, batches only delay commits and progress


@dataclass
class BatchStats:
    batches: int = 0
    requests: int = 0
    oom_retries: int = 0
    max_rows: int = 0
    real_tokens: int = 0  # input + generated tokens of each row
    processed_tokens: int = 0  # the same with padding, as the network computed them
    model_seconds: float = 0.0  # inside the network, as generate_batch measured it
    budgets: tuple[int, int] = (0, 0)  # token budget at the start and the end

    def merged(self, later: BatchStats | None) -> BatchStats:
        """These and a later round's (keys taken over from a run that died)."""
        if later is None:
            return self
        return BatchStats(
            self.batches + later.batches, self.requests + later.requests,
            self.oom_retries + later.oom_retries, max(self.max_rows, later.max_rows),
            self.real_tokens + later.real_tokens, self.processed_tokens + later.processed_tokens,
            self.model_seconds + later.model_seconds, (self.budgets[0], later.budgets[1]))

    def add(self, batch: Batch, generations: Sequence[Generation]) -> None:
        beams = max(1, batch.config.num_beams)
        generated = [g.num_tokens for g in generations]
        self.batches += 1
        self.requests += len(generations)
        self.max_rows = max(self.max_rows, len(generations))
        self.real_tokens += beams * (sum(e.length for e in batch.encoded) + sum(generated))
        self.processed_tokens += batch.rows * (batch.max_length + max(generated, default=0))


@dataclass(frozen=True)
class Limits:
    """What out-of-memory back-off settled on for one model: its later tasks start there."""

    token_budget: int | None  # None: a fixed --batch-size without --max-batch-tokens
    rows: int


class Planner:
    """Cuts (index, request, encoded) items into batches under a token budget."""

    def __init__(self, items: Sequence[tuple[int, Request, Encoded]], group_key: Callable,
                 budget: int | None, max_rows: int,
                 claim: Callable[[list[int]], list[int]] | None = None):
        groups: dict[str, list] = {}
        for item in items:
            groups.setdefault(group_key(item[1]), []).append(item)
        ordered = []
        for group in groups.values():
            ordered += sorted(group, key=lambda item: -item[2].length)
        self._queue = deque(ordered)
        self._group_key = group_key
        self.budget = budget
        self.max_rows = max_rows
        self.claim = claim  # which of a batch's indices this run may generate (Ledger.take)
        self.backed_off: Limits | None = None  # set by out-of-memory back-off

    def next_batch(self) -> tuple[list[int], Batch] | None:
        """The next batch, less what other runs sharing the cache claimed first."""
        while self._queue:
            indices, batch = self._cut()
            if self.claim is None:
                return indices, batch
            kept = set(self.claim(indices))
            if len(kept) == len(indices):
                return indices, batch
            if kept:  # runs with the same settings cut the same batches, so this is rare
                keep = [i for i, index in enumerate(indices) if index in kept]
                return [indices[i] for i in keep], Batch([batch.requests[i] for i in keep],
                                                         [batch.encoded[i] for i in keep])
        return None

    def _cut(self) -> tuple[list[int], Batch]:
        taken = [self._queue.popleft()]
        key, config = self._group_key(taken[0][1]), taken[0][1].config
        longest = taken[0][2].length
        while self._queue and len(taken) < self.max_rows:
            item = self._queue[0]
            if self._group_key(item[1]) != key:
                break
            cost = batch_cost(len(taken) + 1, max(longest, item[2].length), config)
            if self.budget is not None and cost > self.budget:
                break
            longest = max(longest, item[2].length)
            taken.append(self._queue.popleft())
        return [i for i, _, _ in taken], Batch([r for _, r, _ in taken], [e for _, _, e in taken])

    def requeue(self, indices: list[int], batch: Batch) -> None:
        self._queue.extendleft(reversed(list(zip(indices, batch.requests, batch.encoded))))

    def shrink_after_oom(self, batch: Batch) -> None:
        if len(batch.requests) == 1:
            request, config = batch.requests[0], batch.config
            raise HarnessError(
                f"example {request.example_id!r}: out of memory even in a batch of one "
                f"({batch.max_length} input tokens + {config.max_new_tokens} new tokens × "
                f"{max(1, config.num_beams)} beams); lower max_new_tokens or num_beams, cut inputs "
                f"with --model-args max_length=N where the model kind has it (`harness models`), "
                f"or spread the model with device_map=auto")
        if self.budget is not None:
            self.budget = max(1, min(self.budget, batch.cost()) // 2)
        self.max_rows = max(1, min(self.max_rows, len(batch.requests)) // 2)
        self.backed_off = Limits(self.budget, self.max_rows)


OnBatch = Callable[[list[int], Batch, list[Generation]], None]
OnFailure = Callable[[int, ExampleError], None]


def run_batches(model: BatchedModel, planner: Planner, on_batch: OnBatch,
                on_failure: OnFailure) -> BatchStats:
    """Generate every planned batch, preparing the next one while the current one runs."""
    stats = BatchStats()
    with ThreadPoolExecutor(1, thread_name_prefix="harness-prepare") as pool:
        def submit(planned):
            return None if planned is None else (planned, pool.submit(model.prepare, planned[1]))

        current = submit(planner.next_batch())
        while current is not None:
            (indices, batch), future = current
            upcoming = submit(planner.next_batch())
            try:
                generations, failure = _generate_one(model, batch, future, stats), None
            except Exception as exc:
                generations, failure = None, exc
            if failure is None:
                stats.add(batch, generations)
                on_batch(indices, batch, generations)
                current = upcoming
                continue
            # outside the except block: the traceback's frames no longer pin the batch's tensors
            action = model.classify_error(failure).action
            if upcoming is not None:  # planned before the failure: plan it again
                planner.requeue(*upcoming[0])
            if action is ErrorAction.SHRINK:
                model.free_memory()
                stats.oom_retries += 1
                planner.requeue(indices, batch)
                planner.shrink_after_oom(batch)
            elif action is ErrorAction.SKIP and _requeue_others(planner, indices, batch, failure):
                on_failure(indices[_position_of(batch, failure)], failure)
            else:
                raise failure
            current = submit(planner.next_batch())
    return stats


def _position_of(batch: Batch, error: BaseException) -> int:
    ids = [r.example_id for r in batch.requests]
    if isinstance(error, ExampleError) and error.example_id in ids:
        return ids.index(error.example_id)
    return -1


def _requeue_others(planner: Planner, indices: list[int], batch: Batch,
                    error: BaseException) -> bool:
    """Put back every request but the failing one; False when the error names none of them."""
    failed = _position_of(batch, error)
    if failed < 0:
        return False
    keep = [i for i in range(len(indices)) if i != failed]
    if keep:
        planner.requeue([indices[i] for i in keep],
                        Batch([batch.requests[i] for i in keep], [batch.encoded[i] for i in keep]))
    return True


def _generate_one(model: BatchedModel, batch: Batch, future: Future,
                  stats: BatchStats) -> list[Generation]:
    prepared = future.result()  # an ExampleError from image decoding surfaces here
    faults.check_batch(batch.rows, batch.cost())
    started = time.perf_counter()
    result = model.generate_batch(batch, prepared)
    wall_s = time.perf_counter() - started
    where = f"{type(model).__name__}.generate_batch"
    if not isinstance(result, BatchResult):
        raise HarnessError(f"{where} returned a {type(result).__name__}; return "
                           f"BatchResult(generations, model_s) (harness.models.batched)")
    if len(result.generations) != len(batch.requests):
        raise HarnessError(f"{where} returned {len(result.generations)} "
                           f"generations for {len(batch.requests)} requests")
    # adapters that do not time their network themselves count as all model time
    stats.model_seconds += wall_s if result.model_s is None else result.model_s
    return list(result.generations)
