"""The plain records that carry data from a task to a report.

task ─► Example ─► Request ─► Generation ─► MetricResult ─► RunRecord (record/)

Frozen dataclasses in memory; the run record, which is also a file format, is pydantic
(``harness.record``); files are read and written in store.py and data.py.
"""
from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass, field, fields, replace
from enum import Enum
from typing import TYPE_CHECKING, Any, Iterator, Mapping

from harness.errors import UsageError, did_you_mean

if TYPE_CHECKING:
    from harness.metrics.bootstrap import ConfidenceInterval
    from harness.signature import Signature


UNREADABLE = "unreadable:"  # an image digest naming a file that could not be read


class InputKind(str, Enum):
    """What a model reads from an example; decides how its requests are built."""

    PROMPT = "prompt"  # a rendered prompt template (decoder-only models)
    SOURCE = "source"  # the source text, with any task prefix (encoder-decoders, baselines)
    IMAGE = "image"  # the image, with an optional text prefix
    NONE = "none"  # nothing: a file of existing predictions is matched by example id


class _NoExtra(Mapping[str, Any]):
    """What an example without other fields keeps: one shared empty mapping, not a dict
    apiece (64 bytes each); read-only, and pickled or copied as itself."""

    def __getitem__(self, key: str) -> Any:
        raise KeyError(key)

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0

    def __repr__(self) -> str:
        return "{}"

    def __hash__(self) -> int:
        return 0

    def __reduce__(self) -> str:
        return "NO_EXTRA"


NO_EXTRA: Mapping[str, Any] = _NoExtra()


@dataclass(frozen=True, slots=True)
class Example:
    """One evaluation item: a text and/or image input and its references.

    Both inputs may be absent: scoring a file of existing predictions needs only the id and
    the references; building a request for a model that reads a missing input is the error.
    Slotted, as are ``Request`` and ``Generation``: a run holds one of each per example, and
    an instance's ``__dict__`` would double its size (a million examples: ~350 MB).
    """

    id: str
    references: tuple[str, ...]
    source: str | None = None
    image: str | None = None  # where to read it: an absolute path or a URL; never hashed
    extra: Mapping[str, Any] = NO_EXTRA  # other fields of the row, kept
    origin: str = ""  # "file.jsonl:17" or "dataset:split[17]", for error messages
    image_name: str | None = None  # the image as the data names it: relative path or URL
    _digest: str | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def image_digest(self) -> str | None:
        """The image's content: ``sha256:<hex>`` of its bytes, or a URL as written (it
        cannot be read offline). Read on first use and kept, so a run hashes each file once."""
        if self.image is None:
            return None
        if self._digest is None:
            object.__setattr__(self, "_digest", Example.digest_image(self.image, self.image_name))
        return self._digest

    @staticmethod
    def digest_image(location: str, name: str | None = None) -> str:
        """A file that cannot be read counts by its name in the data (the same on every
        machine): scoring existing predictions needs no pictures, and a model that reads it
        reports that example (``--on-error``) instead of the whole task stopping here."""
        if "://" in location:
            return location
        digest = hashlib.sha256()
        try:
            with open(location, "rb") as f:
                for chunk in iter(lambda: f.read(1 << 20), b""):
                    digest.update(chunk)
        except OSError:
            return f"{UNREADABLE}{name or os.path.basename(location)}"
        return f"sha256:{digest.hexdigest()}"

    @property
    def image_unreadable(self) -> bool:
        return self.image_digest is not None and self.image_digest.startswith(UNREADABLE)

    def content(self) -> dict:
        """What identifies this example's data, for fingerprints: contents, never paths."""
        return {"id": self.id, "source": self.source, "image": self.image_digest,
                "references": list(self.references)}


@dataclass(frozen=True)
class GenerateConfig:
    """Decoding settings; part of every generation's cache key."""

    max_new_tokens: int = 64
    min_new_tokens: int = 0
    num_beams: int = 1
    do_sample: bool = False
    temperature: float = 1.0
    top_p: float = 1.0
    top_k: int = 0
    repetition_penalty: float = 1.0
    stop: tuple[str, ...] = ()
    seed: int = 0

    def updated(self, overrides: Mapping[str, Any], what: str = "generation") -> "GenerateConfig":
        """These settings replaced; values may be text as written on the command line
        (``num_beams=4``, ``do_sample=true``, ``stop=["a,b","\\n"]``). Types are checked
        here, ranges by ``checked`` once every override is in."""
        known = {f.name: f for f in fields(self)}
        clean, problems = {}, []
        for key, value in overrides.items():
            if key not in known:
                problems.append(f"unknown generation setting {key!r}{did_you_mean(key, known)}; "
                                f"known: {', '.join(known)}")
                continue
            try:
                clean[key] = _SETTING_TYPES[key](value)
            except (TypeError, ValueError) as err:
                problems.append(f"{key}={value!r}: {err}")
        if problems:
            raise UsageError("\n".join(f"{what}: {p}" for p in problems))
        return replace(self, **clean)

    def problems(self) -> list[str]:
        """What no model could run (transformers would refuse it after the model loaded)."""
        out = []
        if self.max_new_tokens < 1:
            out.append(f"max_new_tokens={self.max_new_tokens}: must be at least 1")
        if not 0 <= self.min_new_tokens <= max(self.max_new_tokens, 0):
            out.append(f"min_new_tokens={self.min_new_tokens}: must be between 0 and "
                       f"max_new_tokens ({self.max_new_tokens})")
        if self.num_beams < 1:
            out.append(f"num_beams={self.num_beams}: must be at least 1")
        if self.temperature < 0 or (self.do_sample and self.temperature == 0):
            out.append(f"temperature={self.temperature}: must be greater than 0 when sampling "
                       f"(for greedy decoding, set do_sample=false)")
        if not 0 < self.top_p <= 1:
            out.append(f"top_p={self.top_p}: must be greater than 0 and at most 1")
        if self.top_k < 0:
            out.append(f"top_k={self.top_k}: must be 0 (no limit) or more")
        if self.repetition_penalty <= 0:
            out.append(f"repetition_penalty={self.repetition_penalty}: must be greater than 0 "
                       f"(1 is no penalty)")
        if any(not s for s in self.stop):
            out.append("stop: an empty stop string would cut every output to nothing")
        return out

    def checked(self, what: str = "generation") -> "GenerateConfig":
        """This config, or a UsageError listing every setting out of range."""
        found = self.problems()
        if found:
            raise UsageError("\n".join(f"{what}: {p}" for p in found))
        return self

    def to_dict(self) -> dict:
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in asdict(self).items()}

    def key(self) -> str:
        """The config's part of a request key. The seed only matters when sampling: greedy and
        beam search ignore it, so changing ``--seed`` for the bootstrap regenerates nothing."""
        settings = self.to_dict()
        if not self.do_sample:
            del settings["seed"]
        return json.dumps(settings, sort_keys=True)


MAX_INT_SETTING = 2**31 - 1  # what the backends' int32/int64 tensors and loops take


def _int_setting(value: Any) -> int:
    if isinstance(value, bool) or isinstance(value, float) and not value.is_integer():
        raise ValueError("not an integer")
    if isinstance(value, str):
        try:
            value = int(value.strip())
        except ValueError:
            raise ValueError("not an integer") from None
    if not isinstance(value, (int, float)):
        raise ValueError(f"not an integer ({type(value).__name__})")
    if abs(value) > MAX_INT_SETTING:
        raise ValueError(f"too large (at most {MAX_INT_SETTING})")
    return int(value)


def _float_setting(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ValueError("not a number")
    try:
        number = float(value)
    except ValueError:
        raise ValueError("not a number") from None
    if number != number or number in (float("inf"), float("-inf")):
        raise ValueError("not a finite number")
    return number


_TRUE, _FALSE = ("true", "yes", "on", "1"), ("false", "no", "off", "0")


def _bool_setting(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    word = value.strip().lower() if isinstance(value, str) else value if value in (0, 1) else None
    if isinstance(word, int):
        return bool(word)
    if word in _TRUE or word in _FALSE:
        return word in _TRUE
    raise ValueError(f"not a boolean (one of {'/'.join(_TRUE + _FALSE)})")


def _stop_setting(value: Any) -> tuple[str, ...]:
    """One string, a list of strings, or the text of a JSON list or string (``["a,b", "\\n"]``,
    ``"a,b"``): the command line's way to write commas and escapes."""
    if isinstance(value, str) and (value.lstrip().startswith("[") or
                                   len(value) > 1 and value[0] == value[-1] == '"'):
        try:
            value = json.loads(value)
        except ValueError as err:
            raise ValueError(f"not a JSON list or string ({err}); write e.g. "
                             f"stop='[\"a,b\", \"\\\\n\"]'") from None
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, (list, tuple)) or not all(isinstance(i, str) for i in items):
        raise ValueError("not a string or a list of strings")
    return tuple(items)


_SETTING_TYPES = {"max_new_tokens": _int_setting, "min_new_tokens": _int_setting,
                  "num_beams": _int_setting, "do_sample": _bool_setting,
                  "temperature": _float_setting, "top_p": _float_setting, "top_k": _int_setting,
                  "repetition_penalty": _float_setting, "stop": _stop_setting, "seed": _int_setting}


@dataclass(frozen=True, slots=True)
class Request:
    """What a model is asked: one example's prompt (or image) under one config."""

    example_id: str
    prompt: str | None  # the text the model reads (source or rendered prompt template)
    config: GenerateConfig
    image: str | None = None  # where the model reads the image from; not part of the key
    chat: bool = False  # render through the tokenizer's chat template, if the model has one
    image_digest: str | None = None  # Example.image_digest; computed from ``image`` if unset

    def key(self) -> str:
        """Content key: same prompt, image bytes and config → same generation, wherever the
        files are."""
        image = self.image_digest
        if image is None and self.image is not None:
            image = Example.digest_image(self.image)
        blob = json.dumps([self.prompt, image, self.chat, self.config.key()])
        return hashlib.sha256(blob.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Generation:
    """A model's output for one request."""

    example_id: str
    text: str
    num_tokens: int = 0  # generated tokens (0 when unknown, e.g. a predictions file)
    finish_reason: str = ""  # "eos" | "length" | "stop" | "" (unknown)
    prompt_tokens: int = 0
    truncated: bool = False  # the input was cut to fit the model's max length
    cached: bool = False
    error: str | None = None  # why this example has no output (text is then ""); never cached


@dataclass(frozen=True)
class MetricResult:
    """One corpus score with everything needed to compare it."""

    metric: str
    score: float  # 0-100 scale (CIDEr: 0-1000, as papers print x100)
    signature: Signature  # includes the data fingerprint
    higher_is_better: bool = True
    ci: ConfidenceInterval | None = None  # 95% bootstrap interval
    per_example: tuple[float, ...] | None = None  # same order as the examples scored
    details: Mapping[str, Any] = field(default_factory=dict)

    @property
    def ci_signature(self) -> Signature | None:
        """The interval's signature: the score's, plus the bootstrap's ``bs`` and ``seed``."""
        return None if self.ci is None else self.signature.with_bootstrap(self.ci.resamples, self.ci.seed)

    def to_dict(self) -> dict:
        out = {"score": self.score, "signature": self.signature.format(),
               "higher_is_better": self.higher_is_better,
               "ci95": [self.ci.lo, self.ci.hi] if self.ci else None}
        details = dict(self.details)
        if self.ci is not None:
            details["bootstrap"] = {**self.ci.to_dict(), "signature": self.ci_signature.format()}
        if details:
            out["details"] = details
        return out
