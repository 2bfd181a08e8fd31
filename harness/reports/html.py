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

import numpy as np

from harness.record import RunRecord
from harness.reports import runs as R
from harness.reports.checks import marks
from harness.reports.leaderboard import Leaderboard, LeaderboardSettings, build_leaderboard, shown_runs
from harness import __version__
from harness.errors import UsageError
from harness.record.store import atomic_write
from harness.reports.plots import distribution_figure, png_bytes
from harness.reports.sweep import report_curves

TEMPLATES = Path(__file__).with_name("templates")
MAX_SAMPLES = 2000  # per run: a browser stays responsive, and the file stays a few MB
MAX_ROWS = 200  # rows the sample browser draws at once


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


def _table(board: Leaderboard) -> dict:
    d = board.settings.digits
    family = sorted({name for _, name in board.family_means})
    rows = []
    for m in board.models:
        cells = []
        for c in board.columns:
            cell = board.cells.get((m, c.key))
            if cell is None:
                cells.append(None)
                continue
            lo, hi = cell.rank_range
            # sort key: larger is better, so one click puts the best first in every column
            cells.append({"score": f"{cell.score:.{d}f}", "marks": marks(cell.check, bool(cell.partial)).strip(),
                          "sort": cell.score if c.higher_is_better else -cell.score,
                          "ci": f"[{cell.ci95[0]:.{d}f}, {cell.ci95[1]:.{d}f}]" if cell.ci95 else "",
                          "ranks": str(lo) if lo == hi else f"{lo}-{hi}", "cluster": cell.cluster})
        means = [f"{board.family_means[(m, f)]:.{d}f}" if (m, f) in board.family_means else "" for f in family]
        rows.append({"model": m, "cells": cells, "means": means})
    return {"columns": board.columns, "rows": rows, "family": family, "cluster_note": board.cluster_note(), "rule_note": board.rule_note(),
            "warnings": board.warnings, "run_notes": board.run_notes()}


def _page(title: str, board: Leaderboard, n_runs: int, **extra) -> str:
    script, digest = _script()
    context = {"title": title, "runs": n_runs, "version": __version__, "script": script, "script_hash": digest,
               "generated": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
               "curves": [], "distributions": [], "data": None, **_table(board), **extra}
    return _environment().get_template("report.html.j2").render(**context)


def leaderboard_page(board: Leaderboard) -> str:
    """``leaderboard --format html``: the sortable table alone, as a page."""
    return _page("Leaderboard", board, len({c.run for c in board.cells.values()}))


def sample_data(records: Sequence[RunRecord]) -> dict:
    """Per task: its examples once, and each model's predictions and per-example scores."""
    tasks: dict[str, dict] = {}
    for record, name in zip(records, R.system_labels(records, unique=True)):
        task = tasks.setdefault(record.task.name, {"metrics": [], "examples": {}, "models": {}})
        task["metrics"] += [m for m in record.scores if m not in task["metrics"]]
        outputs = {}
        for s in R.samples(record)[:MAX_SAMPLES]:
            sid = str(s["id"])
            task["examples"].setdefault(sid, {"input": _text(s.get("input")),
                                              "references": [str(r) for r in s.get("references") or []]})
            outputs[sid] = {"prediction": _text(s.get("prediction")),
                            "scores": {k: v for k, v in (s.get("scores") or {}).items() if _finite(v)}}
        task["models"][name] = {"run": str(record.folder), "outputs": outputs}
    return {"tasks": tasks, "max_rows": MAX_ROWS}


def _text(value) -> str:
    return "" if value is None else str(value)


def _finite(value) -> bool:
    return isinstance(value, (int, float)) and bool(np.isfinite(value))


def distributions(records: Sequence[RunRecord]) -> list[dict]:
    """One box plot per task of its first metric's per-example scores, one box per model."""
    out = []
    by_task: dict[str, dict[str, list[float]]] = {}
    for record, name in zip(records, R.system_labels(records, unique=True)):
        if not record.scores:
            continue
        metric = next(iter(record.scores))
        values = [s["scores"][metric] for s in R.samples(record) if _finite((s.get("scores") or {}).get(metric))]
        if values:
            by_task.setdefault(f"{record.task.name} {metric}", {})[name] = values
    for title, per_model in by_task.items():
        png = png_bytes(distribution_figure(title, per_model))
        out.append({"title": title, "png": base64.b64encode(png).decode()})
    return out


def write_report(paths: Sequence[str | Path], output: Path, title: str = "harness report",
                 settings: LeaderboardSettings = LeaderboardSettings()) -> Path:
    records, _ = shown_runs(paths, settings)  # the runs the leaderboard shows, and only those
    board = build_leaderboard(paths, settings)
    page = _page(title, board, len(records), data=sample_data(records),
                 distributions=distributions(records), curves=report_curves(records))
    atomic_write(Path(output), page.encode("utf-8"))
    Path(output).chmod(0o644)  # a page to share: the temporary file's private mode would not do
    return Path(output)
