"""The model adapter contract: what every backend implements and what the engine may ask.

Every adapter is a ``Model`` (its identity: options, locator, fingerprint, output settings,
errors) and implements exactly one driver protocol, which says how the engine feeds it the
whole list of requests (the engine owns order, batching, caching and resume):

- ``BatchedModel`` (``Driver.BATCHES``, in ``models/batched.py``): the engine cuts
  length-sorted, token-budget batches and calls ``generate_batch`` (in-process networks).
- ``StreamModel`` (``Driver.STREAM``): the engine hands over every pending request at once
  and commits the generations as ``generate`` yields them (a file of predictions,
  baselines, engines that schedule a whole list themselves, like vLLM).
- ``ConcurrentModel`` (``Driver.CONCURRENT``): the engine calls ``generate_one`` from up to
  ``concurrency`` threads and retries what ``classify_error`` calls transient (HTTP endpoints).

The engine finds the driver from the one method an adapter has (``engine.driver_of``).
Adapters report what they measure as values the engine reads (``BatchResult.model_s``,
``load_timer``) and write nothing on the engine, nor the engine on them. Adapters classify
their own errors (``classify_error``): the engine only knows the actions.
"""
from __future__ import annotations

import threading
import time
from abc import abstractmethod
from contextlib import contextmanager
from dataclasses import dataclass
from enum import Enum
from typing import Any, ClassVar, Iterator, Mapping, Protocol, Sequence, runtime_checkable

from harness.errors import HarnessError
from harness.options import parse_options
from harness.types import Example, Generation, InputKind, Request

__all__ = ["Model", "StreamModel", "ConcurrentModel", "Driver", "LoadTimer", "ErrorAction",
           "ErrorDecision", "ExampleError", "InputKind"]


class Driver(str, Enum):
    BATCHES = "batches"
    STREAM = "stream"
    CONCURRENT = "concurrent"

    @property
    def method(self) -> str:
        """The method an adapter driven this way implements, and no adapter driven otherwise."""
        return {"batches": "generate_batch", "stream": "generate",
                "concurrent": "generate_one"}[self.value]


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


class LoadTimer:
    """Seconds an adapter spends loading what it loads on first use (weights, a tokenizer, an
    HTTP client): the engine reports them as ``load_s``, apart from generation, whichever
    method (``encode``, ``generate_batch``, ``fingerprint``...) happened to load first.

        with self.load_timer.timed():
            self._network = self.load_network()
    """

    def __init__(self) -> None:
        self._seconds = 0.0
        self._lock = threading.Lock()  # concurrent adapters load from their request threads

    @contextmanager
    def timed(self) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            with self._lock:
                self._seconds += time.perf_counter() - started

    def take(self) -> float:
        """The seconds spent loading since the last ``take`` (the engine's, once per call)."""
        with self._lock:
            seconds, self._seconds = self._seconds, 0.0
        return seconds


@dataclass(frozen=True)
class NoOptions:
    """A model without --model-args."""


class Model:
    """Base of every model adapter: its identity and errors. An adapter also implements one
    driver protocol (``StreamModel``, ``ConcurrentModel`` or ``models.batched.BatchedModel``);
    register it with ``@models.register("kind")``."""

    description: ClassVar[str] = ""
    # what Request.prompt/image hold under the default --model-args; an instance holds
    # input_kind_for(its options), which planning asks for before any weights load
    input_kind: InputKind = InputKind.PROMPT
    Options: ClassVar[type] = NoOptions  # --model-args, declared with harness.options.option
    # False where storing outputs gains nothing (a predictions file, a baseline): the engine
    # then skips its generation cache and keys duplicates by example, not by content
    cacheable: ClassVar[bool] = True
    needs_locator: ClassVar[bool] = True  # False for baselines: `--model lead-3`

    def __init__(self, locator: str, **args: Any):
        self.options = self.parse_args(args)
        # the kind planning built the requests for: both come from input_kind_for
        self.input_kind = type(self).input_kind_for(self.options)
        self.locator = locator
        self.args = args  # as given, for the run record
        self.load_timer = LoadTimer()  # loads on first use, wherever they happen

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

    def classify_error(self, exc: BaseException) -> ErrorDecision:
        """What the engine should do about an exception raised while generating."""
        if isinstance(exc, ExampleError):
            return ErrorDecision(ErrorAction.SKIP)
        if isinstance(exc, MemoryError):
            return ErrorDecision(ErrorAction.SHRINK)
        return ErrorDecision(ErrorAction.FAIL)

    def close(self) -> None:
        """Free accelerator memory; called once generation is over."""


@runtime_checkable
class StreamModel(Protocol):
    """``Driver.STREAM``: the whole pending list at once. Subclass it next to ``Model``
    (``class Lead3(Model, StreamModel)``), or just implement ``generate``."""

    @abstractmethod
    def generate(self, requests: Sequence[Request]) -> Iterator[Generation]:
        """One Generation per request, in any order, yielded as each is made."""


@runtime_checkable
class ConcurrentModel(Protocol):
    """``Driver.CONCURRENT``: one request per call, from up to ``concurrency`` threads; the
    engine retries what ``classify_error`` calls ``RETRY`` up to ``max_retries`` times."""

    concurrency: int = 1  # requests in flight at once
    max_retries: int = 0  # tries after the first for a transient error

    @abstractmethod
    def generate_one(self, request: Request) -> Generation:
        """One request; called from several threads at once."""
