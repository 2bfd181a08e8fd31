"""The reference baselines papers report next to real systems."""
from __future__ import annotations

import re
from typing import Iterator, Sequence

from harness.models.base import Model, StreamModel
from harness.registry import models
from harness.types import Generation, InputKind, Request

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"'(\[]?[A-Z0-9])|\n+")


class _Baseline(Model, StreamModel):
    input_kind = InputKind.SOURCE
    cacheable = False
    needs_locator = False

    def __init__(self, locator: str = "", **args):
        super().__init__(locator or self.registered_name, **args)

    def output(self, source: str) -> str:
        raise NotImplementedError

    def generate(self, requests: Sequence[Request]) -> Iterator[Generation]:
        for req in requests:
            yield Generation(example_id=req.example_id, text=self.output(req.prompt or ""))


def split_sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_END.split(text.strip()) if s.strip()]


@models.register("lead-3")
class Lead3(_Baseline):
    """First three sentences of the source, one per line (the CNN/DailyMail baseline)."""

    description = "summarization baseline: the source's first 3 sentences"

    def output(self, source: str) -> str:
        return "\n".join(split_sentences(source)[:3])


@models.register("copy-source")
class CopySource(_Baseline):
    """The source text unchanged: the floor any translation system must beat."""

    description = "translation baseline: the source text itself"

    def output(self, source: str) -> str:
        return source
