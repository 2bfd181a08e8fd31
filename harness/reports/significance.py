"""The one significance rule of ``compare``, ``leaderboard`` (rank ranges, clusters) and ``report``.

A difference between two systems counts when the paired bootstrap (Koehn 2004, sacrebleu
``--paired-bs``: 1,000 resamples, seed 12345) gives p < alpha. One test decides, because the
leaderboard must decide every pair of a column: the bootstrap resamples each system once
for the whole column, while approximate randomization needs its own 10,000 sacrebleu score
computations per system and pair (19 WMT21 systems x 2 columns: 1.5 s against 81 s,
measured). ``compare`` still prints the randomization p-value beside it, and says where the
two tests disagree (docs/reports.md: why this rule).

``pairwise_tests`` gives the p-values of every pair of a column in one resampling; compare
calls it with two systems and the leaderboard with all of a column, so the same pair on the
same rows gets the same p-value in both.
"""
from __future__ import annotations

from dataclasses import dataclass
from statistics import NormalDist
from typing import Sequence

import numpy as np

from harness.metrics.bootstrap import (bootstrap_scores, index_blocks, paired_bootstrap_p,
                                       resample_totals)

CORRECTIONS = ("none", "holm", "bonferroni")
TESTS = {"p_bootstrap": "paired bootstrap", "p_randomization": "approximate randomization"}


@dataclass(frozen=True)
class SignificanceRule:
    """When a difference is significant, and the settings of the test that decides it."""

    alpha: float = 0.05
    n_bootstrap: int = 1000
    seed: int = 12345  # sacrebleu's default, so p-values equal its own
    correction: str = "none"

    def significant(self, p_bootstrap: float) -> bool:
        return p_bootstrap < self.alpha

    def verdict(self, delta: float, higher_is_better: bool, p_bootstrap: float) -> str:
        """better / worse (significant, in the metric's direction) or n.s.; Δ = 0 is n.s. whatever
        p says (sacrebleu's rule gives identical systems its smallest p)."""
        if delta == 0 or not self.significant(p_bootstrap):
            return "n.s."
        return "better" if (delta > 0) == higher_is_better else "worse"

    def critical_z(self) -> float:
        """How many standard errors of Δ a difference must lie from 0 for the rule to call it
        significant: z at 1 - α, one tail. sacrebleu's p counts resampled |Δ*| - mean |Δ*| above
        the observed |Δ|; a few standard errors from 0 every resample keeps Δ's sign, so only
        the upper tail of Δ* - mean Δ* counts: a one-sided test at α in the observed
        direction (simulated on WMT21 de-en in docs/reports.md: power 0.81-0.83 at this z, 0.86-0.88 at
        the two-sided z at 1 - α/2)."""
        return NormalDist().inv_cdf(1 - self.alpha)

    def detectable(self, se: float, power: float = 0.8) -> float:
        """The smallest true difference the rule finds with probability ``power``, given the
        standard error of Δ (normal approximation): (z at 1 - α + z at power) x SE."""
        return (self.critical_z() + NormalDist().inv_cdf(power)) * se

    def power_at(self, delta: float, se: float) -> float:
        """The probability that the rule finds a true difference ``delta``."""
        return NormalDist().cdf(abs(delta) / se - self.critical_z()) if se > 0 else float(delta != 0)

    def text(self) -> str:
        """The sentence printed under every table that uses the rule."""
        correction = "no correction" if self.correction == "none" else f"{self.correction} correction"
        return (f"significance: a difference counts when the paired bootstrap ({self.n_bootstrap} resamples, "
                f"seed {self.seed}, {correction}) gives p < {self.alpha}; the same rule in compare, "
                f"leaderboard and report")

    def to_json(self) -> dict:
        return {"rule": "paired bootstrap p < alpha", "test": "paired bootstrap", "alpha": self.alpha,
                "resamples": self.n_bootstrap, "seed": self.seed, "correction": self.correction}


@dataclass(frozen=True)
class PairwiseTests:
    """The paired bootstrap for pairs of systems whose statistics rows are the same examples."""

    observed: list[float]  # each system's score on these rows
    resampled: list[np.ndarray]  # each system's bootstrap scores, on the same resamples
    p_bootstrap: np.ndarray  # (k, k), raw; 1 where not tested


def pairwise_tests(metric, stats: Sequence[np.ndarray], rule: SignificanceRule) -> PairwiseTests:
    """Paired-bootstrap p-values of every pair of the systems' statistics."""
    k = len(stats)
    p = np.ones((k, k))
    if k < 2 or len(stats[0]) == 0 or rule.n_bootstrap <= 0:
        return PairwiseTests([float("nan")] * k, [], p)
    observed = [float(metric.aggregate(s)) for s in stats]
    resampled = resample_all(metric, stats, rule.n_bootstrap, rule.seed)
    for i in range(k):
        for j in range(i + 1, k):
            p[i, j] = p[j, i] = paired_bootstrap_p(resampled[i], resampled[j], observed[i], observed[j])
    return PairwiseTests(observed, resampled, p)


def difference_se(resampled_a: np.ndarray, resampled_b: np.ndarray) -> float:
    """Standard error of Δ = B - A: the spread of Δ over paired resamples, which holds both
    systems' variances and their covariance."""
    return float(np.std(np.asarray(resampled_b) - np.asarray(resampled_a), ddof=1))


def resample_all(metric, stats: Sequence[np.ndarray], n: int, seed: int) -> list[np.ndarray]:
    """Every system's ``bootstrap_scores`` on the same resamples (one seed: the same draws).

    For summable metrics the systems' statistics are put side by side, so each block of
    resamples is counted once and multiplied once for the whole column: 20 systems cost
    about what one does (bench/reports.py: leaderboard of 20 runs x 3 tasks, 11.0 s -> 4.2 s).
    """
    if not hasattr(metric, "score_totals"):
        return [bootstrap_scores(metric, s, n, seed) for s in stats]
    rows, edges = len(stats[0]), np.cumsum([0, *(s.shape[1] for s in stats)])
    side_by_side = np.hstack(stats)
    parts: list[list[np.ndarray]] = [[] for _ in stats]
    for block in index_blocks(rows, n, seed):
        totals = resample_totals(side_by_side, block)
        for i, part in enumerate(parts):
            part.append(np.asarray(metric.score_totals(totals[:, edges[i]:edges[i + 1]], rows), dtype=np.float64))
    return [np.concatenate(part) for part in parts]


def adjust(p: Sequence[float], method: str) -> list[float]:
    """Family-wise error control: Bonferroni, or Holm's step-down (never less powerful)."""
    m = len(p)
    if method == "none" or m <= 1:
        return list(p)
    if method == "bonferroni":
        return [min(1.0, x * m) for x in p]
    order = np.argsort(p, kind="stable")
    out, running = [0.0] * m, 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p[i]))  # monotone, as Holm requires
        out[i] = running
    return out
