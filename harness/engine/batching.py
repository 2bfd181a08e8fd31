"""Length-sorted, token-budget batching with out-of-memory back-off.

Adapters that run a network subclass ``BatchedModel`` and implement ``encode`` (token
lengths, before any weights are loaded), ``prepare`` (CPU work for one batch: padding,
image decoding; runs in a background thread one batch ahead) and ``generate_batch``.
The engine owns ordering: requests are grouped (same generation config), sorted by input
length, longest first (so an out-of-memory error shows up on the first batch, not the last),
and cut into batches whose cost stays under a token budget:

    cost = rows × num_beams × (longest input + max_new_tokens)

On out-of-memory the failing batch goes back to the queue, the budget drops to half its
cost and is kept on the model for later tasks; no example is lost or generated twice.
"""
from __future__ import annotations

import time
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Callable, ClassVar, Iterator, Sequence

from harness.engine import faults
from harness.errors import HarnessError
from harness.models.base import Model
from harness.types import GenerateConfig, Generation, Request

CPU_TOKEN_BUDGET = 8192  # tokens per batch on CPU; see bench/generation.py for the sweep
MAX_ROWS = 256  # beyond this, batches only delay commits and progress


@dataclass
class Encoded:
    """One request as the model will read it."""

    length: int  # input tokens after truncation (image tokens for images)
    truncated: bool = False
    payload: Any = None  # adapter-private: token ids, image path, ...


@dataclass
class Batch:
    requests: list[Request]
    encoded: list[Encoded]

    @property
    def config(self) -> GenerateConfig:
        return self.requests[0].config

    @property
    def rows(self) -> int:
        return len(self.requests) * max(1, self.config.num_beams)

    @property
    def max_length(self) -> int:
        return max(e.length for e in self.encoded)

    def cost(self) -> int:
        return batch_cost(len(self.requests), self.max_length, self.config)


def batch_cost(n_requests: int, max_length: int, config: GenerateConfig) -> int:
    return n_requests * max(1, config.num_beams) * (max_length + config.max_new_tokens)


class BatchedModel(Model):
    """A model the engine feeds length-sorted batches; see the module docstring."""

    padding_side: ClassVar[str] = "left"  # "left" for decoder-only, "right" for encoder-decoders

    def __init__(self, locator: str, **args: Any):
        super().__init__(locator, **args)
        self.load_seconds = 0.0  # time spent loading weights/tokenizer (set when it happens)
        self.model_seconds = 0.0  # time spent inside the network's generate, summed
        # learned from out-of-memory back-off, kept for the model's later tasks
        self.safe_token_budget: int | None = None
        self.safe_rows: int | None = None

    def encode(self, requests: Sequence[Request]) -> list[Encoded]:
        raise NotImplementedError

    def group_key(self, request: Request) -> str:
        """Requests batched together must share this."""
        return request.config.key()

    def prepare(self, batch: Batch) -> Any:
        """CPU-side inputs for one batch; runs in a background thread."""
        return None

    def generate_batch(self, batch: Batch, prepared: Any) -> list[Generation]:
        """One Generation per request of ``batch``, in its order."""
        raise NotImplementedError

    def token_budget(self) -> int:
        """Starting token budget for ``batch_size="auto"``."""
        return CPU_TOKEN_BUDGET

    def describe(self) -> dict[str, Any]:
        """Device, dtype, threads...: recorded with the run's accounting."""
        return {}

    def generate(self, requests: Sequence[Request]) -> Iterator[Generation]:
        from harness.engine import EngineSettings, generate
        yield from generate(self, requests, EngineSettings(use_cache=False, progress=False))[0]


@dataclass
class BatchStats:
    batches: int = 0
    requests: int = 0
    oom_retries: int = 0
    max_rows: int = 0
    real_tokens: int = 0  # input + generated tokens of each row
    processed_tokens: int = 0  # the same with padding, as the network computed them
    generated_tokens: int = 0
    model_seconds: float = 0.0
    budgets: tuple[int, int] = (0, 0)  # token budget at the start and the end

    def add(self, batch: Batch, generations: Sequence[Generation]) -> None:
        beams = max(1, batch.config.num_beams)
        generated = [g.num_tokens for g in generations]
        self.batches += 1
        self.requests += len(generations)
        self.max_rows = max(self.max_rows, len(generations))
        self.generated_tokens += sum(generated)
        self.real_tokens += beams * (sum(e.length for e in batch.encoded) + sum(generated))
        self.processed_tokens += batch.rows * (batch.max_length + max(generated, default=0))


class Planner:
    """Cuts (index, request, encoded) items into batches under a token budget."""

    def __init__(self, items: Sequence[tuple[int, Request, Encoded]], group_key: Callable,
                 budget: int | None, max_rows: int):
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

    def next_batch(self) -> tuple[list[int], Batch] | None:
        if not self._queue:
            return None
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
                f"with --model-args max_length=N, or spread the model with device_map=auto")
        if self.budget is not None:
            self.budget = max(1, min(self.budget, batch.cost()) // 2)
        self.max_rows = max(1, min(self.max_rows, len(batch.requests)) // 2)


def is_out_of_memory(exc: BaseException) -> bool:
    import torch
    if isinstance(exc, torch.OutOfMemoryError):
        return True
    return isinstance(exc, RuntimeError) and "out of memory" in str(exc).lower()


def free_accelerator_memory(collect: bool = True) -> None:
    """Return cached GPU blocks to the driver; ``collect`` first frees objects held in cycles."""
    import gc

    import torch
    if collect:
        gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()


def run_batches(model: BatchedModel, planner: Planner,
                on_batch: Callable[[list[int], Batch, list[Generation]], None]) -> BatchStats:
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
                generations = _generate_one(model, batch, future, stats)
            except Exception as exc:
                if not is_out_of_memory(exc):
                    raise
                generations = None
            if generations is None:
                # outside the except block: the traceback's frames no longer pin the batch's tensors
                free_accelerator_memory()
                stats.oom_retries += 1
                if upcoming is not None:  # planned under the old budget: plan it again
                    planner.requeue(*upcoming[0])
                planner.requeue(indices, batch)
                planner.shrink_after_oom(batch)
                model.safe_token_budget, model.safe_rows = planner.budget, planner.max_rows
                current = submit(planner.next_batch())
                continue
            stats.add(batch, generations)
            on_batch(indices, batch, generations)
            current = upcoming
    return stats


def _generate_one(model: BatchedModel, batch: Batch, future: Future,
                  stats: BatchStats) -> list[Generation]:
    prepared = future.result()  # a DataError from image decoding surfaces here
    faults.check_batch(batch.rows, batch.cost())
    before, started = model.model_seconds, time.perf_counter()
    generations = model.generate_batch(batch, prepared)
    # adapters that do not time their network themselves count as all model time
    spent = model.model_seconds - before
    stats.model_seconds += spent if spent > 0 else time.perf_counter() - started
    if len(generations) != len(batch.requests):
        raise HarnessError(f"{type(model).__name__}.generate_batch returned {len(generations)} "
                           f"generations for {len(batch.requests)} requests")
    return generations
