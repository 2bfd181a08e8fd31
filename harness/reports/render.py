"""One table, many outputs: terminal text, GitHub Markdown, CSV, LaTeX (booktabs), JSON.

Reports build a header and rows of already formatted cells; what differs between formats
is escaping and rules, which live here once.
"""
from __future__ import annotations

import csv
import io
import json
import math
from typing import Any, Sequence

FORMATS = ("text", "md", "csv", "latex", "json")

_LATEX_SPECIALS = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#",
                   "_": r"\_", "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}",
                   "^": r"\textasciicircum{}", "↓": r"$\downarrow$", "±": r"$\pm$",
                   "Δ": r"$\Delta$", "†": r"\dag{}", "≤": r"$\leq$", "−": "-", "τ": r"$\tau$", "ρ": r"$\rho$"}


def text_table(header: Sequence[str], rows: Sequence[Sequence[str]], right: set[int] = frozenset()) -> str:
    widths = [max(len(str(h)), *(len(str(r[i])) for r in rows)) if rows else len(str(h))
              for i, h in enumerate(header)]

    def line(cells: Sequence[Any]) -> str:
        return "  ".join(str(c).rjust(w) if i in right else str(c).ljust(w)
                         for i, (c, w) in enumerate(zip(cells, widths))).rstrip()
    return "\n".join([line(header), line(["-" * w for w in widths]), *map(line, rows)])


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[str]], right: set[int] = frozenset()) -> str:
    def cell(text: Any) -> str:
        # a bare | ends a GitHub table cell; signatures are full of them
        return str(text).replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")
    align = ["---:" if i in right else "---" for i in range(len(header))]
    lines = ["| " + " | ".join(map(cell, header)) + " |", "| " + " | ".join(align) + " |"]
    lines += ["| " + " | ".join(map(cell, r)) + " |" for r in rows]
    return "\n".join(lines)


def latex_escape(text: Any) -> str:
    return "".join(_LATEX_SPECIALS.get(ch, ch) for ch in str(text))


def latex_table(header: Sequence[str], rows: Sequence[Sequence[str]], right: set[int] = frozenset(),
                caption: str | None = None) -> str:
    """A ``table`` with booktabs rules (``\\usepackage{booktabs}``)."""
    spec = "".join("r" if i in right else "l" for i in range(len(header)))
    body = [" & ".join(map(latex_escape, r)) + r" \\" for r in rows]
    out = [r"\begin{table}[t]", r"\centering", rf"\begin{{tabular}}{{{spec}}}", r"\toprule",
           " & ".join(map(latex_escape, header)) + r" \\", r"\midrule", *body, r"\bottomrule",
           r"\end{tabular}"]
    if caption:
        out.append(rf"\caption{{{latex_escape(caption)}}}")
    return "\n".join(out + [r"\end{table}"])


def csv_table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buf.getvalue().rstrip("\n")


def render(fmt: str, header: Sequence[str], rows: Sequence[Sequence[Any]], right: set[int] = frozenset(),
           notes: Sequence[str] = (), caption: str | None = None) -> str:
    """The table with its notes (test, correction, signatures) in the format's own comment form."""
    if fmt == "csv":
        return csv_table(header, rows)
    if fmt == "md":
        table = markdown_table(header, rows, right)
        return table + ("\n\n" + "\n".join(map(_markdown_note, notes)) if notes else "")
    if fmt == "latex":
        table = latex_table(header, rows, right, caption)
        return table + ("\n" + "\n".join(f"% {n}" for n in notes) if notes else "")
    return text_table(header, rows, right) + ("\n\n" + "\n".join(notes) if notes else "")


def _markdown_note(note: str) -> str:
    # indented notes are signatures or paths: code spans keep their | and _ as written
    if note.startswith("  "):
        return f"  - `{note.strip()}`"
    return "- " + note.replace("*", "\\*").replace("_", "\\_")


def dump_json(obj: Any) -> str:
    """Strict JSON: a number that is not one (no interval without a bootstrap, a score of an
    empty selection) is null, never the NaN that JSON readers refuse."""
    return json.dumps(_finite(obj), indent=2, ensure_ascii=False, allow_nan=False, default=_plain)


def _finite(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    if isinstance(value, float) or type(value).__module__ == "numpy" and hasattr(value, "item"):
        number = value.item() if hasattr(value, "item") else value
        if isinstance(number, float) and not math.isfinite(number):
            return None
        return number
    return value


def _plain(value: Any) -> Any:
    import numpy as np
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, tuple):
        return list(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")
