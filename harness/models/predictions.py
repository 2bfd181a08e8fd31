"""A file of existing predictions, scored like any model's outputs: a JSONL of
{"id", "prediction"} rows matched by id, or plain text, one output a line, matched by position
(line i is the i-th example, as sacrebleu reads a system)."""
from __future__ import annotations

import hashlib
from array import array
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Sequence

from harness.data import check_id
from harness.data.files import read_rows
from harness.data.text import is_text_file, read_lines
from harness.errors import DataError, HarnessError
from harness.models.base import Model, StreamModel
from harness.options import option
from harness.registry import models
from harness.types import Example, Generation, InputKind, Request


@dataclass(frozen=True)
class PredictionsOptions:
    field: str = option("prediction", "the JSON field holding the output text")
    name: str = option("", "the system's name in reports (default: the model spec)")


@models.register("predictions")
class Predictions(Model, StreamModel):
    """A JSONL of {"id", "prediction"} rows whose ids match the task's examples, or a plain
    text file with one line per example, in the examples' order."""

    description = "existing outputs: a JSONL file of {id, prediction}, or plain text (a line each)"
    input_kind = InputKind.NONE
    cacheable = False
    Options = PredictionsOptions

    def __init__(self, locator: str, **args):
        super().__init__(locator, **args)
        self.path = Path(locator)
        text_field = self.options.field
        self.texts: dict[str, str] = {}
        # the line of each text, in the order of ``texts``: an array, not "file:line" strings
        # (1M of those is 100 MB) nor a second dict (~70 MB)
        self.line_numbers = array("q")
        # plain text: matched to the examples by position in check_examples
        self.lines: list[str] | None = read_lines(self.path) if is_text_file(self.path) else None
        for line, row in read_rows(self.path) if self.lines is None else ():
            where = f"{self.path}:{line}"
            if text_field not in row or not isinstance(row[text_field], str):
                raise DataError(f"{where}: missing string field {text_field!r}")
            key = check_id(row.get("id"), where, owner="prediction")
            if key in self.texts:
                raise DataError(f"{where}: duplicate id {key!r} (first at {self.path}:{self.line(key)})")
            self.texts[key] = row[text_field]
            self.line_numbers.append(line)

    def line(self, key: str) -> int:
        """The line of ``key``'s prediction (for error messages: a scan of the ids)."""
        return self.line_numbers[list(self.texts).index(key)]

    @classmethod
    def location_problems(cls, spec: str, locator: str, revision: str | None) -> list[HarnessError]:
        if Path(locator).is_file():
            return []
        return [DataError(f"model {spec!r}: {locator}: no such file; give the JSONL file of "
                          f"{{id, prediction}}, or the plain text file (one output a line), to score")]

    def fingerprint(self) -> dict[str, str]:
        digest = hashlib.sha256(self.path.read_bytes()).hexdigest()
        return {"locator": str(self.path), "weights": f"sha256:{digest}"}

    @property
    def system_name(self) -> str | None:
        return self.options.name or None

    def check_examples(self, examples: Sequence[Example], task: str, limited: bool) -> None:
        """Every example needs a prediction and, unless the task was cut short with
        --limit, every prediction an example."""
        if self.lines is not None:
            self._match_lines(examples, task, limited)
        example_ids = [e.id for e in examples]
        wanted = set(example_ids)
        missing = [i for i in example_ids if i not in self.texts]
        unknown = [i for i in self.texts if i not in wanted]
        if missing:
            raise DataError(f"{self.path}: no prediction for {len(missing)} of {len(wanted)} examples "
                            f"of task {task!r}, e.g. id {missing[0]!r}; score a subset with --limit "
                            f"or pass the matching --data file")
        if unknown and not limited:
            raise DataError(f"{self.path}:{self.line(unknown[0])}: id {unknown[0]!r} is not an example of task "
                            f"{task!r} ({len(unknown)} such ids); check that the file "
                            f"belongs to this task, or pass the matching --data file")

    def _match_lines(self, examples: Sequence[Example], task: str, limited: bool) -> None:
        n = len(self.lines or [])
        if n < len(examples) or (n > len(examples) and not limited):
            raise DataError(f"{self.path}: {n} lines, but task {task!r} has {len(examples)} "
                            f"examples; a plain text file holds one output a line, in the "
                            f"examples' order (an empty line is an empty output)")
        self.texts = {ex.id: text for ex, text in zip(examples, self.lines or [])}
        self.line_numbers = array("q", range(1, len(self.texts) + 1))

    def close(self) -> None:
        # the generations hold the texts now; the tables by id (~45 MB per 100k examples) are
        # free for scoring to reuse
        self.texts, self.line_numbers, self.lines = {}, array("q"), None
        super().close()

    def generate(self, requests: Sequence[Request]) -> Iterator[Generation]:
        for req in requests:
            yield Generation(example_id=req.example_id, text=self.texts[req.example_id],
                             finish_reason="")
