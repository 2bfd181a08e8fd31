"""The model adapter contract: what every backend implements and what the engine may ask.

An adapter receives the whole list of requests (the engine owns order, batching, caching
and resume) and says how it wants to be driven:

- ``Driver.BATCHES``: the engine cuts length-sorted, token-budget batches and calls
  ``generate_batch`` (``BatchedModel`` in ``models/batched.py``: in-process networks).
- ``Driver.STREAM``: the engine hands over every pending request at once and commits the
  generations as ``generate`` yields them (a file of predictions, baselines, engines that
  schedule a whole list themselves, like vLLM).
- ``Driver.CONCURRENT``: the engine calls ``generate_one`` from up to ``concurrency``
  threads and retries what ``classify_error`` calls transient (HTTP endpoints).

Adapters classify their own errors (``classify_error``): the engine only knows the actions.
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any, ClassVar, Iterator, Mapping, Sequence

from harness.errors import HarnessError
from harness.types import Example, Generation, InputKind, Request
from harness.options import parse_options

__all__ = ["Model", "Driver", "ErrorAction", "ErrorDecision", "ExampleError", "InputKind"]


class Driver(str, Enum):
    BATCHES = "batches"
    STREAM = "stream"
    CONCURRENT = "concurrent"


class ErrorAction(str, Enum):
    RETRY = "retry"  # transient (rate limit, dropped connection): try the same request again
    SHRINK = "shrink"  # out of memory: split the batch and lower the token budget
    SKIP = "skip"  # this example cannot be answered; the others can
    FAIL = "fail"  # nothing more can be done in this run


@dataclass(frozen=True)
class ErrorDecision:
    action: ErrorAction
    retry_after_s: float | None = None  # a server's Retry-After, when it sent one


class ExampleError(HarnessError):
    """One example cannot be answered (an unreadable image, a refused prompt); the run goes on
    without it under ``--on-error skip`` and stops naming it under ``--on-error fail``."""

    def __init__(self, example_id: str, message: str):
        super().__init__(f"example {example_id!r}: {message}")
        self.example_id = example_id
        self.reason = message


@dataclass(frozen=True)
class NoOptions:
    """A model without --model-args."""


class Model:
    """Base of every model adapter; register with ``@models.register("kind")``."""

    description: ClassVar[str] = ""
    # what Request.prompt/image hold under the default --model-args; an instance holds
    # input_kind_for(its options), which planning asks for before any weights load
    input_kind: InputKind = InputKind.PROMPT
    driver: ClassVar[Driver] = Driver.STREAM
    Options: ClassVar[type] = NoOptions  # --model-args, declared with harness.options.option
    # False where storing outputs gains nothing (a predictions file, a baseline): the engine
    # then skips its generation cache and keys duplicates by example, not by content
    cacheable: ClassVar[bool] = True
    needs_locator: ClassVar[bool] = True  # False for baselines: `--model lead-3`
    concurrency: int = 1  # Driver.CONCURRENT: requests in flight at once
    max_retries: int = 0  # Driver.CONCURRENT: tries after the first for a transient error

    def __init__(self, locator: str, **args: Any):
        self.options = self.parse_args(args)
        # the kind planning built the requests for: both come from input_kind_for
        self.input_kind = type(self).input_kind_for(self.options)
        self.locator = locator
        self.args = args  # as given, for the run record
        self.load_seconds = 0.0  # weights/tokenizer loading, wherever it happens lazily

    @classmethod
    def parse_args(cls, args: Mapping[str, Any]) -> Any:
        """--model-args as this model's ``Options``; a UsageError names a wrong one and the
        known ones."""
        kind = getattr(cls, "registered_name", cls.__name__)
        return parse_options(cls.Options, args, f"model {kind!r} --model-args")

    @classmethod
    def input_kind_for(cls, options: Any) -> InputKind:
        """What this model's requests carry under ``options`` (parsed ``Options``), decided
        from the class and the options alone, before any weights load: planning builds the
        requests for it and the instance's ``input_kind`` is this same value. Override it
        where an option chooses the input (openai-chat's input=image); raise a UsageError for
        options asking for an input the model cannot read."""
        return cls.input_kind

    @classmethod
    def location_problems(cls, spec: str, locator: str, revision: str | None) -> list[HarnessError]:
        """What is wrong with where the model is (a missing folder or file), found without
        loading it, so a run reports it together with its data problems."""
        return []

    def fingerprint(self) -> dict[str, str]:
        """Identifies the weights: locator, resolved revision, content hash where known."""
        return {"locator": self.locator}

    def output_settings(self) -> Mapping[str, Any]:
        """Every setting besides the weights and the request that can change an output
        (truncation, precision, templates, the adapter's own code version); the engine keys
        the generation cache on it, so a change here regenerates instead of serving stale text."""
        return {"adapter": getattr(type(self), "registered_name", type(self).__name__)}

    @property
    def system_name(self) -> str | None:
        """What reports call this system instead of its spec (``harness score --name``);
        None: the spec."""
        return None

    def describe(self) -> dict[str, Any]:
        """Where and how the model ran (device, dtype, threads...), for the run record."""
        return {}

    def check_examples(self, examples: Sequence[Example], task: str, limited: bool) -> None:
        """Refuse examples this model cannot answer (e.g. ids missing from a predictions
        file) before any generation; ``limited`` is true when --limit cut the task short."""

    def generate(self, requests: Sequence[Request]) -> Iterator[Generation]:
        """Driver.STREAM: yield one Generation per request, in any order."""
        raise NotImplementedError

    def generate_one(self, request: Request) -> Generation:
        """Driver.CONCURRENT: one request; called from several threads at once."""
        raise NotImplementedError

    def classify_error(self, exc: BaseException) -> ErrorDecision:
        """What the engine should do about an exception raised while generating."""
        if isinstance(exc, ExampleError):
            return ErrorDecision(ErrorAction.SKIP)
        if isinstance(exc, MemoryError):
            return ErrorDecision(ErrorAction.SHRINK)
        return ErrorDecision(ErrorAction.FAIL)

    def close(self) -> None:
        """Free accelerator memory; called once generation is over."""
