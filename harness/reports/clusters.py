"""Significance clusters for one leaderboard column, WMT style.

Every pair of systems is tested under ``significance.py``'s rule, the one ``compare`` uses:
the paired bootstrap, every system on the same resamples (one resampling for the column,
so n systems cost n bootstraps rather than n² / 2). A system's rank range
runs from 1 + the number of systems significantly better than it to n - the number
significantly worse (the WMT findings' rank ranges); a cluster boundary falls where no rank
range crosses it, so systems share a cluster exactly when they cannot be separated.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from harness.reports.significance import (SignificanceRule, adjust, difference_se, pairwise_tests,
                                          resample_all)

__all__ = ["Ranking", "rank_systems", "resample_all"]


@dataclass(frozen=True)
class Ranking:
    order: list[int]  # system indices, best first
    rank: list[int]  # 1 = best; ties share the better rank
    rank_range: list[tuple[int, int]]
    cluster: list[int]  # 1 = the top cluster
    p_bootstrap: np.ndarray  # pairwise p-values, after correction
    significant: np.ndarray  # (k, k) bool: the rule separates i and j
    se: np.ndarray  # (k, k) standard error of each pair's Δ on the column's resamples; NaN untested


def rank_systems(metric, stats: Sequence[np.ndarray] | None, scores: Sequence[float], higher_is_better: bool,
                 rule: SignificanceRule = SignificanceRule()) -> Ranking:
    """Ranks, rank ranges and clusters of systems whose ``stats`` rows are the same examples
    (``stats`` None: nothing to test, every range spans the column)."""
    k = len(scores)
    signed = np.asarray(scores, dtype=float) * (1 if higher_is_better else -1)
    order = sorted(range(k), key=lambda i: -signed[i])
    rank = [1 + int(np.sum(signed > signed[i] + 1e-12)) for i in range(k)]
    tests = pairwise_tests(metric, stats, rule) if stats is not None else None
    p = corrected_p(tests.p_bootstrap, rule) if tests is not None else np.ones((k, k))
    se = np.full((k, k), np.nan)
    for i in range(k if tests is not None and tests.resampled else 0):
        for j in range(i + 1, k):
            se[i, j] = se[j, i] = difference_se(tests.resampled[i], tests.resampled[j])
    significant = np.array([[i != j and rule.significant(p[i, j]) for j in range(k)]
                            for i in range(k)], dtype=bool).reshape(k, k)
    ranges = []
    for i in range(k):
        better = sum(1 for j in range(k) if significant[i, j] and signed[j] > signed[i])
        worse = sum(1 for j in range(k) if significant[i, j] and signed[j] < signed[i])
        ranges.append((1 + better, k - worse))
    return Ranking(order, rank, ranges, _clusters(order, ranges), p, significant, se)


def corrected_p(p: np.ndarray, rule: SignificanceRule) -> np.ndarray:
    """Pairwise paired-bootstrap p-values, corrected over the column's pairs."""
    k = len(p)
    pairs = [(i, j) for i in range(k) for j in range(i + 1, k)]
    for (i, j), value in zip(pairs, adjust([p[i, j] for i, j in pairs], rule.correction)):
        p[i, j] = p[j, i] = value
    return p


def _clusters(order: list[int], ranges: list[tuple[int, int]]) -> list[int]:
    cluster = [0] * len(order)
    current, worst_above = 1, 0
    for pos, i in enumerate(order):
        best_below = min(ranges[j][0] for j in order[pos:])
        if pos and worst_above <= pos and best_below > pos:  # nothing above can fall to here
            current += 1
        cluster[i] = current
        worst_above = max(worst_above, ranges[i][1])
    return cluster
