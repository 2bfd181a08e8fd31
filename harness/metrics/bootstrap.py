"""Confidence intervals and paired significance tests over per-example statistics.

Every metric turns text into a statistics matrix once; these functions resample its rows,
never the text. Index draws follow sacrebleu's significance.py exactly, so for BLEU/chrF
the numbers equal sacrebleu's:

* seed semantics: ``np.random.default_rng(seed)`` (sacrebleu's default ``SACREBLEU_SEED`` is 12345);
* bootstrap: ``rng.choice(n, size=(n_resamples, n), replace=True)``, one row of indices per resample;
* interval: the sorted resample scores at ``k = n_resamples * alpha / 2`` and ``n - k - 1``.
  sacrebleu prints that as ``mean ± (hi - lo) / 2`` around the resamples' mean;
  ``bootstrap_ci`` returns ``(lo, hi)`` itself and ``bootstrap_interval`` both forms;
* paired bootstrap and approximate randomization as ``_paired_bs_test`` / ``_paired_ar_test``
  (p = (c + 1) / (trials + 1)).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from harness.errors import UsageError

# resample indices × examples held in memory at once when summing statistics
_CHUNK_CELLS = 4_000_000


def resample_totals(stats: np.ndarray, samples: np.ndarray) -> np.ndarray:
    """Column sums of ``stats[s]`` for every row ``s`` of ``samples``: (n_resamples, k).

    A count matrix (how often each example is drawn) times the statistics matrix, so the
    cost is one matrix product instead of a gather of n_resamples × n rows.
    """
    n_resamples, n = samples.shape
    out = np.empty((n_resamples, stats.shape[1]))
    step = max(1, _CHUNK_CELLS // max(n, 1))
    for start in range(0, n_resamples, step):
        block = samples[start:start + step]
        rows = len(block)
        flat = (block + (np.arange(rows) * n)[:, None]).ravel()
        counts = np.bincount(flat, minlength=rows * n).reshape(rows, n).astype(np.float64)
        out[start:start + rows] = counts @ stats  # float64 so the product is one BLAS call
    return out


def draw_indices(n: int, n_resamples: int, seed: int | None) -> np.ndarray:
    """sacrebleu's bootstrap index matrix for a seed (None: fresh entropy)."""
    return np.random.default_rng(seed).choice(n, size=(n_resamples, n), replace=True)


def index_blocks(n: int, n_resamples: int, seed: int | None):
    """``draw_indices`` in blocks of rows, so 1,000 resamples of 100k examples fit in memory.

    Drawing the rows block by block continues one random stream, so the blocks stacked
    are exactly ``draw_indices(n, n_resamples, seed)``.
    """
    rng = np.random.default_rng(seed)
    step = max(1, _CHUNK_CELLS // max(n, 1))
    for start in range(0, n_resamples, step):
        yield rng.choice(n, size=(min(step, n_resamples - start), n), replace=True)


def bootstrap_scores(metric, stats: np.ndarray, n: int = 1000, seed: int | None = 12345) -> np.ndarray:
    """Corpus scores of ``n`` bootstrap resamples of the statistics rows."""
    if len(stats) == 0:
        return np.zeros(0)
    return np.concatenate([np.asarray(metric.aggregate_many(stats, block), dtype=np.float64)
                           for block in index_blocks(len(stats), n, seed)])


def percentile_bounds(scores: np.ndarray, alpha: float) -> tuple[float, float]:
    ordered = np.sort(scores)
    k = int(len(ordered) * alpha / 2 + 1e-9)  # sacrebleu: n // 40 for alpha 0.05
    return float(ordered[k]), float(ordered[len(ordered) - k - 1])


def bootstrap_ci(metric, stats: np.ndarray, n: int = 1000, seed: int | None = 12345,
                 alpha: float = 0.05) -> tuple[float, float]:
    """Percentile bootstrap interval (lo, hi) of the corpus score, ``1 - alpha`` coverage."""
    return percentile_bounds(bootstrap_scores(metric, stats, n, seed), alpha)


@dataclass(frozen=True)
class ConfidenceInterval:
    """A percentile bootstrap interval and the settings that reproduce it.

    ``resamples`` and ``seed`` change the interval, never the score, so they are not in the
    score's signature; ``Signature.with_bootstrap`` names them for the interval.
    """

    lo: float
    hi: float
    mean: float  # mean of the resample scores (sacrebleu's μ)
    half_width: float  # sacrebleu's "± CI"
    resamples: int
    seed: int | None

    def to_dict(self) -> dict:
        return {"lo": self.lo, "hi": self.hi, "mean": self.mean, "half_width": self.half_width,
                "resamples": self.resamples, "seed": self.seed}


def bootstrap_interval(metric, stats: np.ndarray, n: int = 1000, seed: int | None = 12345,
                       alpha: float = 0.05) -> ConfidenceInterval:
    scores = bootstrap_scores(metric, stats, n, seed)
    lo, hi = percentile_bounds(scores, alpha)
    return ConfidenceInterval(lo, hi, float(scores.mean()), 0.5 * (hi - lo), n, seed)


@dataclass(frozen=True)
class PairedResult:
    """A paired test of system B against baseline A on the same examples."""

    test: str  # "paired-bootstrap" | "approximate-randomization"
    score_a: float
    score_b: float
    p_value: float
    trials: int
    seed: int | None
    mean_b: float | None = None  # bootstrap mean / half-width of B (paired bootstrap only)
    half_width_b: float | None = None
    delta_ci95: tuple[float, float] | None = None  # percentile interval of B - A (paired bootstrap only)


def p_value_above(null_stats: np.ndarray, observed: float) -> float:
    """sacrebleu's rule: (null statistics strictly above the observed one + 1) / (trials + 1)."""
    return (int(np.sum(null_stats > observed)) + 1) / (len(null_stats) + 1)


def paired_bootstrap(metric, stats_a: np.ndarray, stats_b: np.ndarray, n: int = 1000,
                     seed: int | None = 12345) -> PairedResult:
    """Koehn-style paired bootstrap (sacrebleu ``--paired-bs``): same resamples for both."""
    _check_paired(stats_a, stats_b)
    parts_a, parts_b = [], []
    for block in index_blocks(len(stats_a), n, seed):  # the same resamples for both systems
        parts_a.append(np.asarray(metric.aggregate_many(stats_a, block), dtype=np.float64))
        parts_b.append(np.asarray(metric.aggregate_many(stats_b, block), dtype=np.float64))
    scores_a, scores_b = np.concatenate(parts_a), np.concatenate(parts_b)
    score_a, score_b = metric.aggregate(stats_a), metric.aggregate(stats_b)
    diffs = np.abs(scores_b - scores_a)
    lo, hi = percentile_bounds(scores_b, 0.05)
    return PairedResult("paired-bootstrap", score_a, score_b,
                        p_value_above(diffs - diffs.mean(), abs(score_a - score_b)), n, seed,
                        float(scores_b.mean()), 0.5 * (hi - lo), percentile_bounds(scores_b - scores_a, 0.05))


def paired_bootstrap_p(scores_a: np.ndarray, scores_b: np.ndarray, score_a: float, score_b: float) -> float:
    """``paired_bootstrap``'s p-value from resample scores already drawn with the same indices
    (``bootstrap_scores`` with one seed), so n systems cost n resamplings, not n² / 2."""
    diffs = np.abs(np.asarray(scores_b) - np.asarray(scores_a))
    return p_value_above(diffs - diffs.mean(), abs(score_a - score_b))


_AR_ONE_DRAW_CELLS = 200_000_000  # up to this many trial × example coin flips, draw them as sacrebleu does


def swap_blocks(n: int, n_trials: int, seed: int | None):
    """Approximate-randomization coin flips (True: swap the systems' rows), in row blocks.

    Up to ``_AR_ONE_DRAW_CELLS`` they are sacrebleu's single ``rng.integers(2, ...)`` draw;
    beyond it they are drawn block by block (same distribution, other coin flips).
    """
    rng = np.random.default_rng(seed)
    step = max(1, _CHUNK_CELLS // max(n, 1))
    whole = rng.integers(2, size=(n_trials, n), dtype=bool) if n * n_trials <= _AR_ONE_DRAW_CELLS else None
    for start in range(0, n_trials, step):
        rows = min(step, n_trials - start)
        yield whole[start:start + rows] if whole is not None else rng.integers(2, size=(rows, n), dtype=bool)


def paired_approximate_randomization(metric, stats_a: np.ndarray, stats_b: np.ndarray,
                                     n: int = 10000, seed: int | None = 12345) -> PairedResult:
    """Approximate randomization (sacrebleu ``--paired-ar``): swap each example's rows at random."""
    _check_paired(stats_a, stats_b)
    score_a, score_b = metric.aggregate(stats_a), metric.aggregate(stats_b)
    total = stats_a.sum(axis=0) + stats_b.sum(axis=0)
    diffs = []
    for swap in swap_blocks(len(stats_a), n, seed):
        if hasattr(metric, "score_totals"):  # one matrix product per block of trials
            to_a = swap.astype(np.float64) @ (stats_b - stats_a)  # what swapping moves into A
            totals_a = stats_a.sum(axis=0) + to_a
            scores_a = metric.score_totals(totals_a, len(stats_a))
            scores_b = metric.score_totals(total - totals_a, len(stats_a))
        else:
            scores_a = np.array([metric.aggregate(np.where(s[:, None], stats_b, stats_a)) for s in swap])
            scores_b = np.array([metric.aggregate(np.where(s[:, None], stats_a, stats_b)) for s in swap])
        diffs.append(np.abs(np.asarray(scores_a) - np.asarray(scores_b)))
    return PairedResult("approximate-randomization", score_a, score_b,
                        p_value_above(np.concatenate(diffs), abs(score_a - score_b)), n, seed)


def _check_paired(stats_a: np.ndarray, stats_b: np.ndarray) -> None:
    if stats_a.shape != stats_b.shape:
        raise UsageError(f"paired test needs statistics over the same examples; shapes "
                         f"{stats_a.shape} and {stats_b.shape} differ")
