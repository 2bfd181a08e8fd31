"""The direct simulation ``harness power``'s formula is checked against (tests, bench/power.py).

Resample, shift, test: draw a fresh test set of n examples from the real ones (with
replacement), shift system B's score by a constant so its true difference to A is ``delta``,
and run the significance rule on that test set exactly as compare does (its own paired
bootstrap); the power is the share of test sets where the rule finds the difference.
"""
from __future__ import annotations

import numpy as np

from harness.metrics.bootstrap import paired_bootstrap_p
from harness.reports.significance import SignificanceRule, resample_all


def simulated_power(metric, stats_a: np.ndarray, stats_b: np.ndarray, delta: float, test_sets: int = 400,
                    rule: SignificanceRule = SignificanceRule(), seed: int = 0) -> tuple[float, float]:
    """(power, its binomial standard error) of ``rule`` for a true Δ = B - A of ``delta``."""
    n = len(stats_a)
    shift = delta - (metric.aggregate(stats_b) - metric.aggregate(stats_a))  # B + shift is delta above A
    draws = np.random.default_rng(seed).integers(n, size=(test_sets, n))
    found = 0
    for k, rows in enumerate(draws):
        a, b = stats_a[rows], stats_b[rows]
        # each test set's bootstrap gets its own seed: one shared seed would correlate the tests
        res_a, res_b = resample_all(metric, [a, b], rule.n_bootstrap, rule.seed + k)
        p = paired_bootstrap_p(res_a, res_b + shift, metric.aggregate(a), metric.aggregate(b) + shift)
        found += rule.significant(p)
    power = found / test_sets
    return power, float(np.sqrt(power * (1 - power) / test_sets))
