"""How a leaderboard prints: terminal, Markdown, CSV, LaTeX, HTML and JSON."""
from __future__ import annotations

from dataclasses import asdict

from harness.reports import agreement as A
from harness.reports.checks import left_out_json, marks
from harness.reports.html import leaderboard_page
from harness.reports.leaderboard import Leaderboard
from harness.reports.render import dump_json, render


def _cell_text(board: Leaderboard, model: str, key: str) -> str:
    cell = board.cells.get((model, key))
    if cell is None:
        return "-"
    d = board.settings.digits
    half = f" ±{(cell.ci95[1] - cell.ci95[0]) / 2:.{d}f}" if cell.ci95 else ""
    lo, hi = cell.rank_range
    ranks = f"{lo}" if lo == hi else f"{lo}-{hi}"
    return f"{cell.score:.{d}f}{half} #{ranks} c{cell.cluster}{marks(cell.check, bool(cell.partial))}"


def _header(board: Leaderboard) -> list[str]:
    family = sorted({name for _, name in board.family_means})
    return ["model"] + [c.key + ("" if c.higher_is_better else " ↓") for c in board.columns] + \
        [f"mean {name}" for name in family]


def table_rows(board: Leaderboard) -> list[list[str]]:
    family = sorted({name for _, name in board.family_means})
    d = board.settings.digits
    return [[m] + [_cell_text(board, m, c.key) for c in board.columns] +
            [f"{board.family_means[(m, f)]:.{d}f}" if (m, f) in board.family_means else "-" for f in family]
            for m in board.models]


def notes(board: Leaderboard) -> list[str]:
    out = ["cell: score ±half the 95% CI, #rank range, cluster (c1 = top); ↓ lower is better",
           board.cluster_note(), board.rule_note(), *board.power_notes(), "signatures:"]
    out += [f"  {c.key}: {c.signature}" for c in board.columns]
    return out + board.run_notes()


def to_json(board: Leaderboard) -> dict:
    columns = [{"key": c.key, "task": c.task, "metric": c.metric, "family": c.family,
                "signature": c.signature, "higher_is_better": c.higher_is_better,
                "separated": sorted(sorted(pair) for pair in board.separated.get(c.key, ())),
                "neighbours": [asdict(n) for n in board.neighbours.get(c.key, ())]}
               for c in board.columns]
    rows = []
    for m in board.models:
        cells = {}
        for c in board.columns:
            cell = board.cells.get((m, c.key))
            if cell is not None:
                cells[c.key] = {"task": c.task, "metric": c.metric, "signature": c.signature,
                                "score": cell.score, "ci95": list(cell.ci95) if cell.ci95 else None,
                                "rank": cell.rank, "rank_range": list(cell.rank_range),
                                "cluster": cell.cluster, "run": cell.run,
                                "check": cell.check.state if cell.check else None,
                                "stored_score": cell.check.stored if cell.check else cell.score,
                                "partial": cell.partial}
        means = {name: v for (model, name), v in board.family_means.items() if model == m}
        rows.append({"model": m, "cells": cells, "family_means": means})
    rule = board.settings.rule.to_json()
    return {"columns": columns, "rows": rows, "warnings": board.warnings, "left_out": left_out_json(board.left_out),
            "significance": rule, "clusters": {**rule, "ranks": "WMT rank ranges",
                                               "note": board.cluster_note()},
            "agreement": [p.to_dict() for p in A.metric_agreement(board)]}


def agreement_table(board: Leaderboard, fmt: str) -> str:
    """The metric-agreement panel under the leaderboard ('' where no task has two metrics)."""
    pairs = A.metric_agreement(board)
    if not pairs:
        return ""
    title = "Metric agreement: Kendall τ between the system rankings of each pair of a task's metrics"
    table = render(fmt, A.HEADER, A.agreement_rows(pairs, board.settings.digits), {3, 4, 5},
                   A.agreement_notes(pairs, board.settings.digits), caption=title)
    return "\n\n" + (table if fmt == "latex" else (f"**{title}**" if fmt == "md" else title) + "\n\n" + table)


def format_leaderboard(board: Leaderboard, fmt: str = "text") -> str:
    if fmt == "json":
        return dump_json(to_json(board))
    if fmt == "html":
        return leaderboard_page(board)
    if fmt == "csv":
        frame = board.frame()
        for c in board.columns:  # CI, rank and cluster beside each score, as columns of their own
            cells = [board.cells.get((m, c.key)) for m in frame.index]
            frame[f"{c.key} ci95_lo"] = [x.ci95[0] if x and x.ci95 else None for x in cells]
            frame[f"{c.key} ci95_hi"] = [x.ci95[1] if x and x.ci95 else None for x in cells]
            frame[f"{c.key} rank"] = [x.rank if x else None for x in cells]
            frame[f"{c.key} cluster"] = [x.cluster if x else None for x in cells]
            frame[f"{c.key} check"] = [x.check.state if x and x.check else None for x in cells]
        return frame.loc[board.models].round(board.settings.digits).to_csv().rstrip("\n")
    header = _header(board)
    return render(fmt, header, table_rows(board), set(range(1, len(header))), notes(board),
                  caption="Leaderboard: score ± half the 95% CI, rank range and significance cluster") \
        + agreement_table(board, fmt)
