"""The task file schema: the one place that says which keys a task definition has.

``TaskSpec`` validates a whole YAML task (every level forbids unknown keys); ``TaskSettings``
is its part that Python tasks declare as class attributes. ``schema.json`` beside this file is
generated from ``TaskSpec``: ``python -m harness.task --write-schema``.
"""
from __future__ import annotations

import dataclasses
import re
import string
import typing
from pathlib import Path
from typing import Annotated, Any, Literal, Optional, Union

from pydantic import (AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field,
                      ValidationError, create_model, model_validator)

from harness.errors import HarnessError, did_you_mean
from harness.metrics.scoring import build_metric
from harness.task.postprocess import POSTPROCESS
from harness.types import GenerateConfig

FAMILIES = ("translation", "summarization", "captioning")
SCHEMA_FILE = Path(__file__).with_name("schema.json")
Family = Literal[FAMILIES]  # type: ignore[valid-type]
Step = Literal[tuple(POSTPROCESS)]  # type: ignore[valid-type]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _one_or_many(value: Any) -> Any:
    # `stop: "\n"` and `references: target` mean a list of one
    return [value] if isinstance(value, str) else value


def _listable(tp: Any) -> Any:
    return Annotated[tp, BeforeValidator(_one_or_many, json_schema_input_type=Union[str, tp])]


class FallbackSpec(_Strict):
    """Another hub copy of the same examples, read when the source cannot be loaded (its
    repository, revision or conversion branch gone); the columns must match ``fields``."""

    dataset: str = Field(description="a Hugging Face datasets id")
    config: Optional[str] = Field(None, description="the copy's configuration")
    split: Optional[str] = Field(None, description="the copy's name for the scored split "
                                                   "(default: the source's)")
    revision: Optional[str] = Field(None, description="a commit of the copy")


class SourceSpec(_Strict):
    """Where the examples come from: a Hugging Face dataset or a local file."""

    dataset: Optional[str] = Field(None, description="a Hugging Face datasets id")
    config: Optional[str] = Field(None, description="the dataset's configuration")
    split: str = Field("test", description="the split scored; with `path`, unused")
    revision: Optional[str] = Field(None, description="a dataset commit, branch or tag")
    filter: Optional[dict[str, Any]] = Field(None, description="keep rows whose columns equal these")
    path: Optional[str] = Field(None, description="a JSONL/TSV/CSV file, relative to the task file")
    fallback: Optional[FallbackSpec] = Field(None, description="a hub copy read when `dataset` "
                                                               "cannot be loaded")

    @model_validator(mode="after")
    def _one_origin(self) -> "SourceSpec":
        if (self.dataset is None) == (self.path is None):
            raise ValueError("'source' needs exactly one of 'dataset' (a Hugging Face datasets id) "
                             "or 'path' (a local file)")
        if self.fallback is not None and self.dataset is None:
            raise ValueError("'source.fallback' backs up a hub 'dataset'; a local 'path' has none")
        return self


class FieldsSpec(_Strict):
    """Dotted paths into a row (``translation.en``); an unset field is not read."""

    id: Optional[str] = Field(None, description="the example id; unset: the row index")
    source: Optional[str] = Field(None, description="the source text")
    image: Optional[str] = Field(None, description="an image: path, URL or datasets Image")
    references: _listable(tuple[str, ...]) = Field(("references",), min_length=1,
                                                    description="one or more reference fields")


def check_template(text: str) -> str:
    """A prompt template names row fields as plain ``{name}``s (``{{`` for a brace): no
    positions, attributes, indexes, conversions or format specs, which would fail, or expand,
    at render time on every example."""
    try:
        parts = list(string.Formatter().parse(text))
    except ValueError as err:
        raise ValueError(f"template {text[:60]!r}: {err} (write {{{{ and }}}} for literal braces)") from None
    for _, name, spec, conversion in parts:
        if name is None:
            continue
        if not name.isidentifier() or spec or conversion:
            field = "{" + name + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "") + "}"
            raise ValueError(f"template field {field[:60]!r}: fields are plain names such as "
                             f"{{source}} or {{id}} (write {{{{ and }}}} for literal braces)")
    return text


Template = Annotated[str, AfterValidator(check_template)]


class FewshotSpec(_Strict):
    k: int = Field(0, ge=0, description="shots prepended to each prompt (0: zero-shot)")
    split: str = Field("validation", description="a split of the dataset, or a local file")
    seed: int = Field(1234, description="one draw of shots for the whole run")
    example_template: Template = "{source}\n{reference}"
    separator: str = "\n\n"


def _auto_is_true(value: Any) -> Any:
    return True if value == "auto" else value


class PromptSpec(_Strict):
    """How a model is asked, by the kind of input it reads."""

    template: Template = Field("{source}", description="decoder-only models; {source}, {id}, row fields")
    source_prefix: Optional[str] = Field("", description="prepended to the source (encoder-decoders)")
    image_prompt: Optional[str] = Field(None, description="text a vision model continues from")
    chat: Annotated[bool, BeforeValidator(_auto_is_true,
                                          json_schema_input_type=Union[bool, Literal["auto"]])] = \
        Field(True, description="use the tokenizer's chat template when there is one ('auto': yes)")
    fewshot: FewshotSpec = FewshotSpec()


def _generation_model() -> type[BaseModel]:
    """GenerateConfig's own fields, each optional: a task sets only the defaults it changes."""
    hints = typing.get_type_hints(GenerateConfig)
    fields: dict[str, Any] = {}
    for f in dataclasses.fields(GenerateConfig):
        tp = hints[f.name]
        tp = _listable(tp) if typing.get_origin(tp) is tuple else tp
        fields[f.name] = (Optional[tp], Field(None, description=f"default: {f.default!r}"))
    return create_model("GenerationSpec", __config__=ConfigDict(extra="forbid", frozen=True),
                        __doc__="Decoding defaults (harness.types.GenerateConfig's fields).",
                        **fields)


GenerationSpec = _generation_model()


def _runnable(spec: BaseModel) -> BaseModel:
    """Ranges as well as types (``num_beams: 0`` is an int no model can run)."""
    found = GenerateConfig().updated(spec.model_dump(exclude_none=True)).problems()
    if found:
        raise ValueError("generation: " + "; ".join(found))
    return spec


class MetricEntry(BaseModel):
    """A registered metric and its options (checked by the metric itself)."""

    model_config = ConfigDict(extra="allow", frozen=True)
    name: str

    def spec(self) -> str | dict[str, Any]:
        """The form ``metrics.scoring.build_metric`` takes."""
        return {"name": self.name, **self.model_extra} if self.model_extra else self.name


def _name_only(value: Any) -> Any:
    return {"name": value} if isinstance(value, str) else value


def _builds(entry: MetricEntry) -> MetricEntry:
    try:
        build_metric(entry.spec())  # so an unknown name or a bad option fails at load time
    except (HarnessError, TypeError) as err:
        raise ValueError(str(err)) from None
    return entry


Metric = Annotated[MetricEntry, BeforeValidator(_name_only, json_schema_input_type=Union[str, MetricEntry]),
                   AfterValidator(_builds)]


class TaskSettings(_Strict):
    """What every task declares, whether written in YAML or in Python."""

    name: str = Field(min_length=1, description="the registered name; a shipped file's stem")
    version: int = Field(1, ge=1, description="bump when a change alters scores")
    family: Family
    description: str = ""
    generation: Annotated[GenerationSpec, AfterValidator(_runnable)] = GenerationSpec()  # type: ignore[valid-type]
    postprocess: tuple[Step, ...] = Field(("strip",), description="applied in order; [] for none")
    metrics: tuple[Metric, ...] = Field(min_length=1, description="names, or {name, options...}")

    def metric_specs(self) -> list[str | dict[str, Any]]:
        return [m.spec() for m in self.metrics]

    def generation_overrides(self) -> dict[str, Any]:
        return self.generation.model_dump(exclude_none=True)


class TaskSpec(TaskSettings):
    """A whole task file."""

    source: SourceSpec
    fields: FieldsSpec = FieldsSpec(id="id", source="source", image="image")
    prompt: PromptSpec = PromptSpec()


def json_schema() -> dict:
    schema = TaskSpec.model_json_schema()
    return {"$schema": "https://json-schema.org/draft/2020-12/schema",
            **schema, "title": "harness task file"}


# -- errors -----------------------------------------------------------------------------------
Loc = tuple[Union[str, int], ...]


def problems(err: ValidationError) -> list[tuple[Loc, str]]:
    """(where in the document, what is wrong and what would be right), one per problem."""
    out = [(tuple(p["loc"]), _message(p, tuple(p["loc"]))) for p in err.errors()]
    return list(dict.fromkeys(out))


def _message(problem: dict, loc: Loc) -> str:
    kind, dotted = problem["type"], ".".join(map(str, loc))
    if kind == "extra_forbidden":
        known = list(_model_at(TaskSpec, loc[:-1]).model_fields)
        return (f"unknown key {dotted!r}{did_you_mean(str(loc[-1]), known)}; "
                f"known here: {', '.join(known)}")
    if kind == "missing":
        return f"missing required key {dotted!r}"
    if kind == "literal_error":
        expected = problem["ctx"]["expected"]
        choices = re.findall(r"'([^']*)'", expected)
        return (f"{dotted}: {problem['input']!r} is not one of {expected}"
                f"{did_you_mean(str(problem['input']), choices)}")
    text = problem["msg"].removeprefix("Value error, ")
    if kind == "value_error":  # our own validators' messages name what they check
        return text
    return f"{dotted}: {text} (got {problem['input']!r})"


def _model_at(model: type[BaseModel], loc: Loc) -> type[BaseModel]:
    """The model class that validates the mapping at ``loc`` (for the keys it knows)."""
    for part in loc:
        if isinstance(part, int) or part not in model.model_fields:
            continue
        found = _first_model(model.model_fields[part].annotation)
        if found is None:
            break
        model = found
    return model


def _first_model(tp: Any) -> type[BaseModel] | None:
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return tp
    for arg in typing.get_args(tp):
        found = _first_model(arg)
        if found is not None:
            return found
    return None

