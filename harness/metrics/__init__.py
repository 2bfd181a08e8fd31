"""Metrics: per-example statistics, corpus aggregation, signatures, confidence intervals.

``build_metric("bleu")`` / ``build_metric({"name": "chrf", "word_order": 2})`` make a metric;
``score(metric, corpus, data_fingerprint=...)`` returns its MetricResult and statistics;
``score(..., stats_cache=StatsCache())`` reuses statistics computed before for the same texts.
"""
from __future__ import annotations
from harness.metrics import scoring
from harness.metrics.bootstrap import bootstrap_ci
from harness.metrics.stats_cache import StatsCache

__all__ = ["build_metric", "score", "bootstrap_ci", "StatsCache"]


def __getattr__(name: str):
    # lazy, so importing one metric module does not import every other one
    if name in ("build_metric", "score"):
        return getattr(scoring, name)
    if name == "bootstrap_ci":
        return bootstrap_ci
    if name == "StatsCache":
        return StatsCache
    raise AttributeError(name)
