"""Do a task's metrics agree? Kendall τ between the system rankings of every pair of its metrics,
and the pairs of systems two metrics order differently with both differences significant.

Read from a built leaderboard: its cells (scores from the stored statistics) and, per column,
the pairs the significance rule separates, so a disagreement named here is one the
leaderboard's own clusters show. τ is pandas' Kendall τ-b (ties counted as neither order) on
scores turned so that higher is better (TER's ↓ included); only a task's usual signature of
each metric counts, and only systems both metrics scored.
"""
from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

from harness.reports.leaderboard import Column, Leaderboard


@dataclass(frozen=True)
class Disagreement:
    """Two systems two metrics order differently, each difference significant."""

    first: str  # the system metric A puts ahead
    second: str  # the system metric B puts ahead
    delta_a: float  # first - second under metric A, in its direction (> 0: A prefers first)
    delta_b: float  # second - first under metric B, in its direction (> 0: B prefers second)


@dataclass(frozen=True)
class MetricPair:
    task: str
    metric_a: str  # metric names (the task's usual signature of each)
    metric_b: str
    systems: int
    tau: float | None  # None: fewer than two systems, or one metric ties them all
    disagreements: tuple[Disagreement, ...]

    def to_dict(self) -> dict:
        return {"task": self.task, "metrics": [self.metric_a, self.metric_b], "systems": self.systems,
                "kendall_tau": self.tau,
                # a: the first of "metrics", b: the second
                "disagreements": [{"a_prefers": d.first, "b_prefers": d.second, "delta_a": d.delta_a,
                                   "delta_b": d.delta_b} for d in self.disagreements]}


def metric_agreement(board: Leaderboard) -> list[MetricPair]:
    """Every pair of metrics of every task the board has two or more metrics for."""
    tasks: dict[str, list[Column]] = {}
    for column in board.columns:
        if column.main:
            tasks.setdefault(column.task, []).append(column)
    return [_pair(board, task, a, b) for task, columns in tasks.items()
            for a, b in itertools.combinations(columns, 2)]


def _pair(board: Leaderboard, task: str, a: Column, b: Column) -> MetricPair:
    frame = board.frame()[[a.key, b.key]].dropna()  # the systems both metrics scored
    # DataFrame.corr's Kendall is pandas' own τ-b (Series.corr's would ask for scipy); a metric
    # whose lower scores are better ranks in reverse, which flips τ's sign
    tau = float(frame.corr(method="kendall").iloc[0, 1]) if len(frame) > 1 else math.nan
    tau *= 1 if a.higher_is_better == b.higher_is_better else -1
    sign_a, sign_b = (1 if a.higher_is_better else -1), (1 if b.higher_is_better else -1)
    both = board.separated.get(a.key, set()) & board.separated.get(b.key, set())
    found = []
    for x, y in itertools.combinations(frame.index, 2):
        if frozenset((x, y)) not in both:
            continue
        da, db = sign_a * (frame.at[x, a.key] - frame.at[y, a.key]), sign_b * (frame.at[x, b.key] - frame.at[y, b.key])
        if da * db < 0:  # opposite orders, neither a tie
            first, second = (x, y) if da > 0 else (y, x)
            found.append(Disagreement(first, second, float(abs(da)), float(abs(db))))
    return MetricPair(task, a.metric, b.metric, len(frame), None if math.isnan(tau) else tau, tuple(found))


HEADER = ["task", "metric A", "metric B", "systems", "Kendall τ", "ordered differently"]


def agreement_rows(pairs: list[MetricPair], digits: int = 2) -> list[list[str]]:
    return [[p.task, p.metric_a, p.metric_b, str(p.systems), "-" if p.tau is None else f"{p.tau:+.{digits}f}",
             str(len(p.disagreements))] for p in pairs]


def agreement_notes(pairs: list[MetricPair], digits: int = 2) -> list[str]:
    out = ["Kendall τ (τ-b): +1 both metrics rank the systems alike, -1 in reverse; ordered differently: "
           "pairs of systems the two metrics order oppositely, both differences significant under the rule"]
    for p in pairs:
        out += [f"  {p.task}: {p.metric_a} puts {d.first} ahead of {d.second} by {d.delta_a:.{digits}f}, "
                f"{p.metric_b} puts {d.second} ahead by {d.delta_b:.{digits}f}" for d in p.disagreements]
    return out
