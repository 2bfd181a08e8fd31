"""The model adapter contract.

An adapter receives the whole list of requests so the engine can sort, batch and cache;
adapters that run a neural network subclass ``engine.batching.BatchedModel`` instead and
implement only encoding and one batch's generation.
"""
from __future__ import annotations

from typing import Any, ClassVar, Iterator, Sequence

from harness.types import Example, Generation, InputKind, Request


class Model:
    """Base of every model adapter; register with ``@models.register("kind")``."""

    description: ClassVar[str] = ""
    input_kind: ClassVar[InputKind] = InputKind.PROMPT  # what Request.prompt/image hold
    args_help: ClassVar[dict[str, str]] = {}  # --model-args keys -> meaning
    # False where storing outputs gains nothing (a predictions file, a baseline): the engine
    # then skips its generation cache
    cacheable: ClassVar[bool] = True
    needs_locator: ClassVar[bool] = True  # False for baselines: `--model lead-3`

    def __init__(self, locator: str, **args: Any):
        from harness.errors import check_keys
        check_keys(args, self.args_help, f"model {type(self).__name__}: --model-args key")
        self.locator = locator
        self.args = args

    def fingerprint(self) -> dict[str, str]:
        """Identifies the weights: locator, resolved revision, content hash where known."""
        return {"locator": self.locator}

    def check_examples(self, examples: Sequence[Example], task: str, limited: bool) -> None:
        """Refuse examples this model cannot answer (e.g. ids missing from a predictions
        file) before any generation; ``limited`` is true when --limit cut the task short."""

    def generate(self, requests: Sequence[Request]) -> Iterator[Generation]:
        """Yield one Generation per request, in any order."""
        raise NotImplementedError

    def close(self) -> None:
        """Free accelerator memory; called once the run is over."""
