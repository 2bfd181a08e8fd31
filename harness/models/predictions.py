"""A file of existing predictions, scored like any model's outputs: a JSONL of
{"id", "prediction"} rows matched by id, plain text, one output a line, matched by position
(line i is the i-th example, as sacrebleu reads a system), or another harness's outputs
(lm-eval samples, lighteval details, inspect_ai logs: ``foreign.py``) matched by id."""
from __future__ import annotations

import hashlib
from array import array
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Sequence

from harness.data import check_id
from harness.data.files import read_rows
from harness.data.text import is_text_file, read_lines
from harness.errors import DataError, HarnessError
from harness.models import foreign
from harness.models.base import Model, StreamModel
from harness.options import option
from harness.registry import models
from harness.types import Example, Generation, InputKind, Request


@dataclass(frozen=True)
class PredictionsOptions:
    field: str = option("prediction", "the JSON field holding the output text")
    name: str = option("", "the system's name in reports (default: the model spec)")
    format: str = option("auto", "the file's format (default: detected from its content)",
                         choices=("auto", "jsonl", "text") + foreign.FORMATS)
    id_field: str = option("id", "lm-eval, lighteval, inspect: the document's field (inspect: "
                           "the sample's metadata field) holding the example id; where absent, "
                           "the tool's own id (lm-eval doc_id, lighteval row, inspect sample id)")
    filter: str = option("", "lm-eval: the filter whose outputs to score (default: the only one)")
    epoch: int = option(1, "inspect: the epoch whose outputs to score")
    check_references: bool = option(True, "lm-eval, lighteval, inspect: refuse a file whose "
                                    "references differ from the task's for the same id")


@models.register("predictions")
class Predictions(Model, StreamModel):
    """A JSONL of {"id", "prediction"} rows whose ids match the task's examples, a plain text
    file with one line per example, in the examples' order, or another harness's outputs whose
    ids match the task's examples."""

    description = ("existing outputs: a JSONL file of {id, prediction}, plain text (a line each), "
                   "or lm-eval samples, lighteval details, inspect_ai logs")
    input_kind = InputKind.NONE
    cacheable = False
    Options = PredictionsOptions

    def __init__(self, locator: str, **args):
        super().__init__(locator, **args)
        self.path = Path(locator)
        self.texts: dict[str, str] = {}
        # the line of each text, in the order of ``texts``: an array, not "file:line" strings
        # (1M of those is 100 MB) nor a second dict (~70 MB)
        self.line_numbers = array("q")
        self.lines: list[str] | None = None  # plain text: matched by position in check_examples
        self.foreign: dict[str, foreign.ForeignOutput] = {}
        self.reported: dict[str, float] = {}  # the other tool's own corpus scores
        self.format = self._format()
        if self.format in foreign.FORMATS:
            self._read_foreign()
        elif self.format == "text":
            self.lines = read_lines(self.path)
        else:
            self._read_jsonl()

    def _format(self) -> str:
        if self.options.format != "auto" or not self.path.is_file():
            return self.options.format
        found = foreign.detect(self.path)
        return found or ("text" if is_text_file(self.path) else "jsonl")

    def _read_jsonl(self) -> None:
        text_field = self.options.field
        for line, row in read_rows(self.path):
            where = f"{self.path}:{line}"
            if text_field not in row or not isinstance(row[text_field], str):
                raise DataError(f"{where}: missing string field {text_field!r}")
            key = check_id(row.get("id"), where, owner="prediction")
            if key in self.texts:
                raise DataError(f"{where}: duplicate id {key!r} (first at {self.path}:{self.line(key)})")
            self.texts[key] = row[text_field]
            self.line_numbers.append(line)

    def _read_foreign(self) -> None:
        selection = foreign.Selection(id_field=self.options.id_field, filter=self.options.filter,
                                      epoch=self.options.epoch)
        for output in foreign.read(self.path, self.format, selection):
            first = self.foreign.get(output.example_id)
            if first is not None:
                raise DataError(f"{output.where}: duplicate id {output.example_id!r} (first at "
                                f"{first.where}); if the documents carry their id in another "
                                f"field, name it with --model-args id_field=NAME")
            self.foreign[output.example_id] = output
            self.texts[output.example_id] = output.text
        self.reported = foreign.reported(self.path, self.format, selection)

    def line(self, key: str) -> int:
        """The line of ``key``'s prediction (for error messages: a scan of the ids)."""
        return self.line_numbers[list(self.texts).index(key)]

    def _where(self, key: str) -> str:
        return self.foreign[key].where if self.foreign else f"{self.path}:{self.line(key)}"

    @classmethod
    def location_problems(cls, spec: str, locator: str, revision: str | None) -> list[HarnessError]:
        if Path(locator).is_file():
            return []
        return [DataError(f"model {spec!r}: {locator}: no such file; give the JSONL file of "
                          f"{{id, prediction}}, the plain text file (one output a line), or the "
                          f"lm-eval, lighteval or inspect_ai output file to score")]

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
            raise DataError(f"{self._where(unknown[0])}: id {unknown[0]!r} is not an example of task "
                            f"{task!r} ({len(unknown)} such ids); check that the file "
                            f"belongs to this task, or pass the matching --data file")
        if self.foreign and self.options.check_references:
            self._check_references(examples, task)

    def _check_references(self, examples: Sequence[Example], task: str) -> None:
        """The other tool's references must be among the task's for the same id: a mismatch
        means the ids name other documents (another order, another data file)."""
        for ex in examples:
            output = self.foreign[ex.id]
            ours = {" ".join(r.split()) for r in ex.references}
            theirs = [r for r in output.references if " ".join(r.split()) not in ours]
            if theirs:
                raise DataError(f"{output.where}: id {ex.id!r}: the {self.format} file's reference "
                                f"{_clip(theirs[0])!r} is not one of task {task!r}'s "
                                f"({_clip(ex.references[0]) if ex.references else 'none'!r}...): "
                                f"the ids name other documents; pass the --data file the other "
                                f"tool read, name the id's field with --model-args id_field=NAME, "
                                f"or score against the task's references anyway with "
                                f"--model-args check_references=false")

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
        self.texts, self.line_numbers, self.lines, self.foreign = {}, array("q"), None, {}
        super().close()

    def describe(self) -> dict[str, Any]:
        return {"format": self.format, **({"reported": self.reported} if self.reported else {})}

    def generate(self, requests: Sequence[Request]) -> Iterator[Generation]:
        for req in requests:
            yield Generation(example_id=req.example_id, text=self.texts[req.example_id],
                             finish_reason="")


def _clip(text: str) -> str:
    return text if len(text) <= 60 else text[:57] + "..."
