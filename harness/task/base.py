"""What the pipeline asks of a task (``TaskProtocol``), and ``Task``, the base of Python tasks.

A Python task subclasses ``Task``, sets its settings as class attributes, implements
``examples()`` and registers the class itself: in-tree with ``@tasks.register("name")``,
from another package with an entry point in the group ``harness.tasks``.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any, ClassVar, Mapping, Protocol, Sequence

from harness import data
from harness.errors import DataError, UsageError
from harness.task.postprocess import POSTPROCESS
from harness.types import Example, GenerateConfig, InputKind, Request

MetricSpec = Any  # a metric name, or a mapping of "name" and the metric's options


class TaskProtocol(Protocol):
    """The whole surface the pipeline and the CLI use."""

    name: str
    version: int
    family: str
    postprocess_steps: Sequence[str]

    def load_examples(self, override: Path | None = None, limit: int | None = None,
                      allow_outside: bool = False) -> list[Example]: ...
    def generate_config(self, overrides: Mapping[str, Any] = {}, seed: int = 0) -> GenerateConfig: ...
    def requests(self, examples: Sequence[Example], input_kind: InputKind,
                 config: GenerateConfig) -> list[Request]: ...
    def postprocess(self, text: str) -> str: ...
    def metric_specs(self) -> list[MetricSpec]: ...
    def describe(self) -> dict: ...


class Task(ABC):
    """Base of tasks written in Python; every setting has a default but ``family``,
    ``metrics`` and ``examples()``. Created with no arguments."""

    name: ClassVar[str] = ""  # empty: the name it is registered under
    version: ClassVar[int] = 1
    family: ClassVar[str] = ""  # translation | summarization | captioning
    description: ClassVar[str] = ""
    metrics: ClassVar[tuple[MetricSpec, ...]] = ()
    generation: ClassVar[Mapping[str, Any]] = {}  # GenerateConfig fields this task changes
    postprocess_steps: ClassVar[tuple[str, ...]] = ("strip",)
    template: ClassVar[str] = "{source}"  # the prompt of decoder-only models
    source_prefix: ClassVar[str] = ""  # before the source, for encoder-decoders
    image_prompt: ClassVar[str | None] = None  # text a vision model continues from
    chat: ClassVar[bool] = True  # through the tokenizer's chat template, where it has one

    @abstractmethod
    def examples(self) -> list[Example]:
        """The task's examples in canonical order (``--limit N`` keeps the first N)."""

    def data_source(self) -> str:
        return f"python:{type(self).__module__}:{type(self).__qualname__}"

    def location(self) -> str:
        """Where the task is defined, for error messages."""
        return f"task {self.name!r} ({type(self).__module__}:{type(self).__qualname__})"

    def load_examples(self, override: Path | None = None, limit: int | None = None,
                      allow_outside: bool = False) -> list[Example]:
        """``override`` is a local file in the documented schema replacing ``examples()``;
        its images must lie in its folder or below unless ``allow_outside``."""
        if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 1):
            raise UsageError(f"limit must be a positive integer, got {limit!r}")
        examples = data.load_file(Path(override), allow_outside=allow_outside) \
            if override is not None else self.examples()
        return examples[:limit] if limit is not None else examples

    def generate_config(self, overrides: Mapping[str, Any] = {}, seed: int = 0) -> GenerateConfig:
        """The task's decoding defaults, then ``overrides`` (``--gen-kwargs``), checked whole:
        a setting no model could run stops here, before a model loads."""
        config = GenerateConfig(seed=seed).updated(self.generation, self.location())
        config = config.updated(overrides, "--gen-kwargs")
        return config.checked(f"{self.location()} with --gen-kwargs" if overrides else self.location())

    def metric_specs(self) -> list[MetricSpec]:
        return list(self.metrics)

    def postprocess(self, text: str) -> str:
        for step in self.postprocess_steps:
            text = POSTPROCESS[step](text)
        return text

    def describe(self) -> dict:
        names = [m if isinstance(m, str) else m["name"] for m in self.metric_specs()]
        return {"name": self.name, "version": self.version, "family": self.family,
                "source": self.data_source(), "metrics": names, "description": self.description}

    # -- requests ---------------------------------------------------------------------------
    def requests(self, examples: Sequence[Example], input_kind: InputKind,
                 config: GenerateConfig) -> list[Request]:
        kind = InputKind(input_kind)
        shots = self.fewshot_prefix() if kind == InputKind.PROMPT else ""
        out = []
        for ex in examples:
            image = kind == InputKind.IMAGE
            # the digest, not the path, keys the generation: moved data hits, edited data misses
            out.append(Request(example_id=ex.id, prompt=self.model_input(ex, kind, shots),
                               config=config, image=ex.image if image else None,
                               image_digest=ex.image_digest if image else None, chat=self.chat))
        return out

    def model_input(self, ex: Example, kind: InputKind, shots: str = "") -> str | None:
        """The text a model reading ``kind`` gets for ``ex`` (a vision model: its prefix)."""
        if kind == InputKind.NONE:
            return None
        if kind == InputKind.IMAGE:
            if ex.image is None:
                raise missing_input(ex, "image", "a vision model reads it")
            return self.image_prompt
        if kind == InputKind.SOURCE:
            if ex.source is None:
                raise missing_input(ex, "source", "this model reads the source text")
            return (self.source_prefix or "") + ex.source
        return shots + self.render(self.template, ex)

    def fewshot_prefix(self) -> str:
        """Shots put before every prompt; none unless a subclass says so."""
        return ""

    def render(self, template: str, ex: Example, reference: str | None = None) -> str:
        values = {**ex.extra, "id": ex.id, "reference": reference if reference is not None else ""}
        if ex.source is not None:
            values["source"] = ex.source
        try:
            return template.format_map(values)
        except KeyError as err:
            if err.args[0] == "source":
                raise missing_input(ex, "source", "the prompt template uses {source}") from None
            raise DataError(f"{self.location()}: prompt template uses {{{err.args[0]}}}, which example "
                            f"{ex.id!r} ({ex.origin}) does not have") from None
        except (ValueError, IndexError, AttributeError) as err:  # a Python task's own template
            raise DataError(f"{self.location()}: prompt template {template[:60]!r} cannot be "
                            f"filled: {err}; fields are plain names such as {{source}}") from None


def missing_input(ex: Example, field: str, why: str) -> DataError:
    return DataError(
        f"{ex.origin}: example {ex.id!r} has no {field!r}, and {why}. If you meant to score "
        f"existing outputs against these references, run with --model predictions:FILE "
        f"(a JSONL of {{\"id\", \"prediction\"}})")
