"""What the command line writes as text, read into values: ``K=V,...`` settings and metric
specs with options."""
from __future__ import annotations

import re
from typing import Any

from harness.errors import UsageError


def parse_kv(text: str | None, what: str) -> dict[str, Any]:
    """``dtype=bfloat16,num_beams=4`` → {"dtype": "bfloat16", "num_beams": "4"}: values as
    written; each receiver coerces its own settings (declared options, ``GenerateConfig``), so
    ``chat_template=off`` stays the word. A comma inside ``[...]`` or double quotes does not
    split, so a list is written as JSON: ``stop=["a,b","\\n"]``. A value that looks like a
    YAML tag (``!!python/...``) is refused: nothing here is YAML."""
    out: dict[str, Any] = {}
    for item in _split_items(text or "", what):
        key, sep, value = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise UsageError(f"{what}: expected key=value, got {item!r}")
        if key in out:
            raise UsageError(f"{what}: {key!r} is given twice")
        if YAML_TAG.match(value):
            raise UsageError(f"{what}: {key}={value!r}: YAML tags are not read; give a plain value "
                             f"(a stop string that starts with '!' is written as JSON: "
                             f"stop='\"!...\"')")
        out[key] = value
    return out


def parse_metrics(text: str | None) -> tuple[str | dict[str, str], ...]:
    """``bleu:tokenize=zh:lowercase=yes,chrf`` → ({"name": "bleu", "tokenize": "zh",
    "lowercase": "yes"}, "chrf"). Commas separate metrics; each option follows its metric's
    name after a colon, so no shell quoting is needed (a value holds neither ',' nor ':').
    Values stay text: the metric's declared options coerce them, as for a task file's
    ``{name: bleu, tokenize: zh}``, so the errors are the same."""
    specs: list[str | dict[str, str]] = []
    for item in (text or "").split(","):
        name, *options = [part.strip() for part in item.split(":")]
        if not name:
            if item.strip():
                raise UsageError(f"--metrics: {item.strip()!r} has no metric name; write "
                                 f"name:option=value, e.g. bleu:tokenize=zh")
            continue
        spec = {"name": name}
        for option in options:
            key, sep, value = (s.strip() for s in option.partition("="))
            if not sep or not key:
                raise UsageError(f"--metrics: {item.strip()!r}: expected option=value after "
                                 f"'{name}:', got {option!r}; e.g. bleu:tokenize=zh:lowercase=yes "
                                 f"(`harness metrics` lists each metric's options)")
            if key in spec:
                raise UsageError(f"--metrics: {item.strip()!r}: {key!r} is given twice")
            spec[key] = value
        specs.append(spec if options else name)
    return tuple(specs)


YAML_TAG = re.compile(r"\s*!!?[A-Za-z_<]")


def _split_items(text: str, what: str) -> list[str]:
    """Split on commas outside brackets and double quotes (JSON lists and strings)."""
    items, current, depth, quoted, escaped = [], [], 0, False, False
    for char in text:
        if quoted:
            quoted = escaped or char != '"'
            escaped = not escaped and char == "\\"
        elif char == '"':
            quoted = True
        elif char == "[":
            depth += 1
        elif char == "]":
            depth = max(depth - 1, 0)
        elif char == "," and depth == 0:
            items.append("".join(current))
            current = []
            continue
        current.append(char)
    if quoted or depth:
        raise UsageError(f"{what}: unclosed {'quote' if quoted else 'bracket'} in {text!r}")
    items.append("".join(current))
    return [item for item in items if item.strip()]
