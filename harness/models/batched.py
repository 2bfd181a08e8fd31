"""The contract of adapters that run a network in this process: the engine feeds them
length-sorted batches under a token budget (``Driver.BATCHES``).

They implement ``encode`` (token lengths, before any weights are loaded), ``prepare`` (CPU
work for one batch: padding, image decoding; the engine runs it in a background thread one
batch ahead) and ``generate_batch``. The cost the budget bounds is

    cost = rows × num_beams × (longest input + max_new_tokens)
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Sequence

from harness.models.base import Driver, Model
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


class BatchedModel(Model):
    """A model the engine feeds length-sorted batches; see the module docstring."""

    driver = Driver.BATCHES
    padding_side: ClassVar[str] = "left"  # "left" for decoder-only, "right" for encoder-decoders

    def __init__(self, locator: str, **args: Any):
        super().__init__(locator, **args)
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
        """CPU-side inputs for one batch; runs in a background thread. Raise ExampleError
        for an example that cannot be prepared: the engine drops it and retries the rest."""
        return None

    def generate_batch(self, batch: Batch, prepared: Any) -> list[Generation]:
        """One Generation per request of ``batch``, in its order."""
        raise NotImplementedError

    def free_memory(self) -> None:
        """Release what a batch that ran out of memory left on the accelerator."""

    def token_budget(self) -> int:
        """Starting token budget for ``batch_size="auto"``."""
        return CPU_TOKEN_BUDGET
