"""``harness report``: one self-contained HTML file (no network) from a results folder.

Everything that comes from data or model outputs is untrusted: the page is rendered by
jinja2 with autoescape, samples travel as JSON inside a non-executed ``application/json``
script (jinja's ``tojson`` escapes ``<``, ``>``, ``&`` and ``'``) and are put on the page with
``textContent`` only; a Content-Security-Policy allows only the page's own script, by hash,
so even a slip in escaping would run nothing.
"""
from __future__ import annotations

import base64
import hashlib
from datetime import datetime, timezone
from pathlib import Path
from typing import Sequence

from harness import __version__
from harness.errors import UsageError
from harness.record import RunRecord
from harness.record.store import atomic_write
from harness.reports import runs as R
from harness.reports import agreement as A
from harness.reports.browser import MAX_SAMPLES, capped, per_example_scores, sample_data
from harness.reports.checks import marks
from harness.reports.leaderboard import (Leaderboard, LeaderboardSettings, build_leaderboard,
                                         shown_runs)
from harness.reports.plots import distribution_figure, png_bytes
from harness.reports.segments import MIN_CLEAR, REPORT
from harness.reports.sweep import report_curves

TEMPLATES = Path(__file__).with_name("templates")
MAX_COLUMNS = 6  # score columns one table holds at 1400 px; more: one table per task


def _environment():
    try:
        import jinja2
    except ImportError:
        raise UsageError("the HTML report needs jinja2: pip install 'jinja2>=3.1'") from None
    return jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                              undefined=jinja2.StrictUndefined)


def _script() -> tuple[str, str]:
    script = (TEMPLATES / "report.js").read_text(encoding="utf-8")
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    return script, f"sha256-{digest}"


def _cell(board: Leaderboard, model: str, column) -> dict | None:
    cell = board.cells.get((model, column.key))
    if cell is None:
        return None
    d = board.settings.digits
    lo, hi = cell.rank_range
    # sort key: larger is better, so one click puts the best first in every column
    return {"score": f"{cell.score:.{d}f}", "marks": marks(cell.check, bool(cell.partial)).strip(),
            "sort": cell.score if column.higher_is_better else -cell.score,
            "ci": f"[{cell.ci95[0]:.{d}f}, {cell.ci95[1]:.{d}f}]" if cell.ci95 else "",
            "ranks": str(lo) if lo == hi else f"{lo}-{hi}", "cluster": cell.cluster}


def _tables(board: Leaderboard) -> list[dict]:
    """The leaderboard as tables that fit the page: one table while it has at most MAX_COLUMNS
    columns, else one per task (each column named by its metric) and one of family means."""
    d = board.settings.digits
    family = sorted({name for _, name in board.family_means})
    if len(board.columns) + len(family) <= MAX_COLUMNS:
        groups = [("", "leaderboard-table", board.columns, family)]
    else:
        tasks = list(dict.fromkeys(c.task for c in board.columns))
        groups = [(task, f"leaderboard-{R.safe_name(task)}", [c for c in board.columns if c.task == task], [])
                  for task in tasks]
        if family:
            groups.append(("family means", "leaderboard-means", [], family))
    out = []
    for title, table_id, columns, means in groups:
        heads = [{"label": (c.key[len(c.task) + 1:] if title else c.key) + ("" if c.higher_is_better else " ↓"),
                  "title": f"{c.key}: {c.signature}"} for c in columns]
        heads += [{"label": f"mean {f}", "title": f"mean of {f} over the family's tasks"} for f in means]
        rows = []
        for m in board.models:
            cells = [_cell(board, m, c) for c in columns]
            values = [f"{board.family_means[(m, f)]:.{d}f}" if (m, f) in board.family_means else "" for f in means]
            if any(cells) or any(values):
                rows.append({"model": m, "cells": cells, "means": values})
        if title and columns:  # a task's own table: best first by its own first column
            rows.sort(key=lambda r: (r["cells"][0] is None, -(r["cells"][0] or {"sort": 0})["sort"]))
        out.append({"title": title, "id": table_id, "heads": heads, "rows": rows})
    return out


def _agreement(board: Leaderboard) -> dict | None:
    pairs = A.metric_agreement(board)
    if not pairs:
        return None
    note, *lines = A.agreement_notes(pairs, board.settings.digits)
    return {"header": A.HEADER, "rows": A.agreement_rows(pairs, board.settings.digits), "note": note,
            "lines": [line.strip() for line in lines]}


def _board_context(board: Leaderboard) -> dict:
    return {"tables": _tables(board), "columns": board.columns, "cluster_note": board.cluster_note(),
            "rule_note": board.rule_note(), "warnings": board.warnings, "run_notes": board.run_notes(),
            "power_notes": board.power_notes(), "agreement": _agreement(board)}


def _page(title: str, board: Leaderboard, n_runs: int, **extra) -> str:
    script, digest = _script()
    context = {"title": title, "runs": n_runs, "version": __version__, "script": script, "script_hash": digest,
               "generated": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
               "curves": [], "distributions": [], "data": None, "capped": [], "segments": REPORT,
               "min_clear": MIN_CLEAR, **_board_context(board), **extra}
    return _environment().get_template("report.html.j2").render(**context)


def leaderboard_page(board: Leaderboard) -> str:
    """``leaderboard --format html``: the sortable table alone, as a page."""
    return _page("Leaderboard", board, len({c.run for c in board.cells.values()}))


def distributions(records: Sequence[RunRecord], order: Sequence[str] = ()) -> list[dict]:
    """One box plot per task of its first metric's per-example scores, one box per system."""
    return [{"title": title, "png": base64.b64encode(png_bytes(distribution_figure(title, per_model))).decode()}
            for title, per_model in per_example_scores(records, order).items()]


def write_report(paths: Sequence[str | Path], output: Path, title: str = "harness report",
                 settings: LeaderboardSettings = LeaderboardSettings(), max_samples: int = MAX_SAMPLES) -> Path:
    records, _ = shown_runs(paths, settings)  # the runs the leaderboard shows, and only those
    board = build_leaderboard(paths, settings)
    data = sample_data(records, board.models, max_samples)
    page = _page(title, board, len(records), data=data, capped=capped(data),
                 distributions=distributions(records, board.models), curves=report_curves(records))
    atomic_write(Path(output), page.encode("utf-8"))
    Path(output).chmod(0o644)  # a page to share: the temporary file's private mode would not do
    return Path(output)
