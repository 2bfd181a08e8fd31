"""The contract of adapters that run a network in this process: the engine feeds them
length-sorted batches under a token budget (``Driver.BATCHES``).

They implement ``encode`` (token lengths, before any weights are loaded), ``prepare`` (CPU
work for one batch: padding, image decoding; the engine runs it in a background thread one
batch ahead) and ``generate_batch``, which returns the generations with the seconds spent
inside the network (``BatchResult``). The cost the budget bounds is

    cost = rows × num_beams × (longest input + max_new_tokens)
"""
from __future__ import annotations

from abc import abstractmethod
from dataclasses import dataclass
from typing import Any, Protocol, Sequence, runtime_checkable

from harness.types import GenerateConfig, Generation, Request

CPU_TOKEN_BUDGET = 8192  # tokens per batch on CPU; see bench/generation.py for the sweep


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


@dataclass(frozen=True)
class BatchResult:
    """What ``generate_batch`` made, and what it measured."""

    generations: list[Generation]  # one per request of the batch, in its order
    # seconds inside the network (its generate call, synchronized), not preparing or decoding
    # text; None: not timed, and the engine counts the whole call as model time
    model_s: float | None = None


@runtime_checkable
class BatchedModel(Protocol):
    """``Driver.BATCHES``: a model the engine feeds length-sorted batches; see the module
    docstring. Subclass it next to ``Model`` (``class HFModel(Model, BatchedModel)``) for the
    defaults below."""

    @abstractmethod
    def encode(self, requests: Sequence[Request]) -> list[Encoded]:
        """Each request's input length (and the adapter's payload), before any weights load."""

    def group_key(self, request: Request) -> str:
        """Requests batched together must share this."""
        return request.config.key()

    def prepare(self, batch: Batch) -> Any:
        """CPU-side inputs for one batch; runs in a background thread. Raise ExampleError
        for an example that cannot be prepared: the engine drops it and retries the rest."""
        return None

    @abstractmethod
    def generate_batch(self, batch: Batch, prepared: Any) -> BatchResult:
        """One Generation per request of ``batch``, in its order, and the network's seconds."""

    def free_memory(self) -> None:
        """Release what a batch that ran out of memory left on the accelerator."""

    def token_budget(self) -> int:
        """Starting token budget for ``batch_size="auto"``."""
        return CPU_TOKEN_BUDGET
