"""Significance clusters for one leaderboard column, WMT style.

Every pair of systems is tested with the paired bootstrap on the same resamples (one
resampling per system, so n systems cost n bootstraps rather than n² / 2). A system's rank
range runs from 1 + the number of systems significantly better than it to n - the number
significantly worse (the WMT findings' rank ranges); a cluster boundary falls where no
rank range crosses it, so systems share a cluster exactly when they cannot be separated.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
from harness.metrics.bootstrap import bootstrap_scores, index_blocks, resample_totals
from harness.metrics.bootstrap import paired_bootstrap_p
from harness.reports.compare import adjust


@dataclass(frozen=True)
class Ranking:
    order: list[int]  # system indices, best first
    rank: list[int]  # 1 = best; ties share the better rank
    rank_range: list[tuple[int, int]]
    cluster: list[int]  # 1 = the top cluster
    p_values: np.ndarray  # pairwise paired-bootstrap p-values, after correction


def rank_systems(metric, stats: Sequence[np.ndarray], scores: Sequence[float], higher_is_better: bool,
                 alpha: float = 0.05, correction: str = "none", n: int = 1000, seed: int = 12345) -> Ranking:
    """Ranks, rank ranges and clusters of systems whose ``stats`` rows are the same examples."""
    k = len(scores)
    signed = np.asarray(scores, dtype=float) * (1 if higher_is_better else -1)
    order = sorted(range(k), key=lambda i: -signed[i])
    rank = [1 + int(np.sum(signed > signed[i] + 1e-12)) for i in range(k)]
    p = pairwise_p(metric, stats, scores, correction, n, seed)
    significant = p < alpha
    ranges = []
    for i in range(k):
        better = sum(1 for j in range(k) if significant[i, j] and signed[j] > signed[i])
        worse = sum(1 for j in range(k) if significant[i, j] and signed[j] < signed[i])
        ranges.append((1 + better, k - worse))
    return Ranking(order, rank, ranges, _clusters(order, ranges), p)


def pairwise_p(metric, stats: Sequence[np.ndarray], scores: Sequence[float], correction: str,
               n: int, seed: int) -> np.ndarray:
    k = len(stats)
    p = np.ones((k, k))
    if k < 2 or n <= 0 or len(stats[0]) == 0:
        return p
    resampled = resample_all(metric, stats, n, seed)
    pairs = [(i, j) for i in range(k) for j in range(i + 1, k)]
    raw = [paired_bootstrap_p(resampled[i], resampled[j], scores[i], scores[j]) for i, j in pairs]
    for (i, j), value in zip(pairs, adjust(raw, correction)):
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


def resample_all(metric, stats: Sequence[np.ndarray], n: int, seed: int) -> list[np.ndarray]:
    """Every system's ``bootstrap_scores`` on the same resamples (one seed: the same draws).

    For summable metrics the systems' statistics are put side by side, so each block of
    resamples is counted once and multiplied once for the whole column: 20 systems cost
    about what one does (bench/reports.py: leaderboard of 20 runs x 3 tasks, 11.0 s -> 4.2 s).
    """
    if not hasattr(metric, "score_totals"):
        return [bootstrap_scores(metric, s, n, seed) for s in stats]
    rows, widths = len(stats[0]), [s.shape[1] for s in stats]
    edges = np.cumsum([0, *widths])
    side_by_side = np.hstack(stats)
    parts: list[list[np.ndarray]] = [[] for _ in stats]
    for block in index_blocks(rows, n, seed):
        totals = resample_totals(side_by_side, block)
        for i, part in enumerate(parts):
            part.append(np.asarray(metric.score_totals(totals[:, edges[i]:edges[i + 1]], rows), dtype=np.float64))
    return [np.concatenate(part) for part in parts]
