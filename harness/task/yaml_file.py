"""Reading a task file: YAML with the line of every key kept, then the schema in ``spec``.

The document is composed to nodes first, so each error names the line the offending key or
item starts on (``tasks/x.yaml:14``), never a guess from searching the text.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from harness.errors import UsageError
from harness.task.spec import Loc, TaskSpec, problems


def read_task_file(path: Path) -> TaskSpec:
    """The validated spec of a task file; every problem is a UsageError naming file:line."""
    document, lines = read_yaml(path)
    if not isinstance(document, dict):
        raise UsageError(f"{path}:1: a task file is a mapping with at least the keys name, family, "
                         f"source and metrics; got {type(document).__name__}")
    try:
        return TaskSpec.model_validate(document)
    except ValidationError as err:
        found = sorted((line_of(loc, lines), message) for loc, message in problems(err))
        raise UsageError("\n".join(f"{path}:{line}: {message}" for line, message in found)) from None


def _utf8(raw: bytes, path: Path) -> str:
    """The file's text; a task file is UTF-8 (a byte-order mark is skipped)."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = raw.count(b"\n", 0, err.start) + 1
        raise UsageError(f"{path}:{line}: not UTF-8 (byte 0x{raw[err.start]:02x}); save the task "
                         f"file as UTF-8") from None


def line_of(loc: Loc, lines: dict[Loc, int]) -> int:
    """The line of the deepest part of ``loc`` written in the file (a missing key: its parent)."""
    for end in range(len(loc), 0, -1):
        if loc[:end] in lines:
            return lines[loc[:end]]
    return 1


def read_yaml(path: Path) -> tuple[Any, dict[Loc, int]]:
    """The document and, for each key path (``("prompt", "template")``, ``("metrics", 2)``),
    the 1-based line it starts on. Duplicate keys are refused: YAML keeps the last silently."""
    try:
        raw = path.read_bytes()
    except OSError as err:
        raise UsageError(f"{path}: cannot read the task file: {err.strerror}") from None
    text = _utf8(raw, path)
    try:
        loader = yaml.SafeLoader(text)
    except yaml.reader.ReaderError as err:
        _reader_error(err, text, path)
    try:
        node = loader.get_single_node()
        if node is None:
            raise UsageError(f"{path}:1: the task file is empty")
        lines: dict[Loc, int] = {}
        _collect(node, (), lines, path, set(), _Budget())
        return loader.construct_document(node), lines
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        line = mark.line + 1 if mark is not None else 1
        raise UsageError(f"{path}:{line}: invalid YAML: {err.problem or err}") from None
    except yaml.reader.ReaderError as err:
        _reader_error(err, text, path)
    finally:
        loader.dispose()


def _reader_error(err: yaml.reader.ReaderError, text: str, path: Path) -> None:
    """A character YAML does not allow (a NUL, a control character), by line."""
    line = text.count("\n", 0, err.position) + 1
    raise UsageError(f"{path}:{line}: invalid YAML: character {chr(err.character)!r} is not "
                     f"allowed in a task file") from None


class _Budget:
    """What a task file may expand to once its aliases are followed: a billion-laughs file
    (a few lines of nested aliases) would otherwise become gigabytes in memory and in run.json.
    Shipped task files use under 200 nodes and 5 KB of text."""

    MAX_NODES = 10_000
    MAX_CHARS = 1_000_000

    def __init__(self) -> None:
        self.nodes = self.chars = 0

    def spend(self, node: yaml.Node, path: Path, line: int) -> None:
        """``line``: the top-level key being walked (an alias's own place is not kept)."""
        self.nodes += 1
        if isinstance(node, yaml.ScalarNode):
            self.chars += len(node.value)
        if self.nodes > self.MAX_NODES or self.chars > self.MAX_CHARS:
            raise UsageError(f"{path}:{line}: the task file expands to more "
                             f"than {self.MAX_NODES:,} values or {self.MAX_CHARS:,} characters "
                             f"(YAML aliases repeated inside aliases?); a task file is refused "
                             f"beyond that")


def _collect(node: yaml.Node, at: Loc, lines: dict[Loc, int], path: Path, open_: set,
             budget: _Budget) -> None:
    if id(node) in open_:  # an alias of an enclosing node: already walked
        return
    budget.spend(node, path, lines.get(at[:1], node.start_mark.line + 1))
    open_.add(id(node))
    if isinstance(node, yaml.MappingNode):
        first: dict[str, int] = {}
        for key_node, value_node in node.value:
            key, line = str(key_node.value), key_node.start_mark.line + 1
            if key in first and key != "<<":
                raise UsageError(f"{path}:{line}: duplicate key {key!r} (first at line "
                                 f"{first[key]}); YAML would keep only the last one, so remove one")
            first[key] = line
            lines[at + (key,)] = line
            _collect(value_node, at + (key,), lines, path, open_, budget)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            lines[at + (index,)] = item.start_mark.line + 1
            _collect(item, at + (index,), lines, path, open_, budget)
    open_.discard(id(node))
