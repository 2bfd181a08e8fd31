"""The named clean-up steps a task applies to raw outputs before scoring (``postprocess:``)."""
from __future__ import annotations

import re
from typing import Callable


def _sentences_to_lines(text: str) -> str:
    # rougeLsum scores sentence by sentence; outputs on one line would collapse it to rougeL
    return "\n".join(s for s in re.split(r"(?<=[.!?])\s+", text.strip()) if s)


POSTPROCESS: dict[str, Callable[[str], str]] = {
    "strip": str.strip,
    "first_line": lambda t: t.strip().split("\n", 1)[0] if t.strip() else "",
    "lowercase": str.lower,
    "collapse_whitespace": lambda t: " ".join(t.split()),
    "sentences_to_lines": _sentences_to_lines,
}
