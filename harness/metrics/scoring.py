"""Building metrics from specs and scoring a corpus into a MetricResult."""
from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from harness.errors import DataError, UsageError
from harness.metrics.base import Corpus, Metric
from harness.metrics.bootstrap import bootstrap_summary
from harness.metrics.common import check_corpus
from harness.types import MetricResult


def build_metric(spec: str | Mapping[str, Any]) -> Metric:
    """``"bleu"`` or ``{"name": "bleu", "tokenize": "intl"}`` → a configured metric.

    Unknown names raise UsageError with a did-you-mean; unknown or ill-typed options too.
    """
    from harness.registry import metrics
    if isinstance(spec, str):
        name, options = spec, {}
    elif isinstance(spec, Mapping):
        options = dict(spec)
        name = options.pop("name", None)
        if not isinstance(name, str):
            raise UsageError(f"metric spec {dict(spec)!r} needs a 'name' (e.g. {{'name': 'bleu'}})")
    else:
        raise UsageError(f"metric spec must be a name or a mapping, got {type(spec).__name__}")
    cls = metrics.get(name.strip())
    metric = cls(**options)
    if not metric.name:
        metric.name = getattr(cls, "registered_name", name)
    return metric


def score(metric: Metric, corpus: Corpus, *, data_fingerprint: str, n_bootstrap: int = 1000,
          seed: int = 12345) -> tuple[MetricResult, np.ndarray]:
    """Score ``corpus``; returns the result and the statistics matrix it came from.

    The 95% interval is a seeded bootstrap over the statistics rows (``n_bootstrap=0`` or a
    metric with ``bootstrap = False`` gives none). Its mean and half-width, as sacrebleu
    prints them, are in ``details["bootstrap"]``.
    """
    if len(corpus) == 0:
        raise DataError(f"metric {metric.name!r}: nothing to score (0 examples)")
    check_corpus(corpus)
    stats = np.asarray(metric.statistics(corpus), dtype=np.float64)
    if stats.ndim != 2 or len(stats) != len(corpus):
        raise AssertionError(f"{metric.name}: statistics shape {stats.shape} for {len(corpus)} examples")
    value = float(metric.aggregate(stats))
    details = dict(metric.details(stats))
    ci = None
    if metric.bootstrap and n_bootstrap > 0 and len(stats) > 1:
        summary = bootstrap_summary(metric, stats, n_bootstrap, seed)
        ci = (summary.lo, summary.hi)
        details["bootstrap"] = summary.to_dict()
    per_example = metric.per_example(stats)
    result = MetricResult(
        metric=metric.name, score=value,
        signature=f"{metric.signature(corpus)}|data:{data_fingerprint[:8]}",
        higher_is_better=metric.higher_is_better, ci=ci,
        per_example=None if per_example is None else tuple(float(x) for x in per_example),
        details=details)
    return result, stats
