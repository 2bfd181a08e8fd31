"""Building metrics from specs and scoring a corpus into a MetricResult."""
from __future__ import annotations

import time
from typing import Any, Mapping

import numpy as np

from harness.errors import DataError, UsageError
from harness.metrics.base import Corpus, Metric, signature_of
from harness.metrics.bootstrap import bootstrap_interval
from harness.metrics.common import check_corpus
from harness.metrics.stats_cache import StatsCache
from harness.registry import metrics
from harness.signature import Signature
from harness.types import MetricResult


def build_metric(spec: str | Mapping[str, Any]) -> Metric:
    """``"bleu"`` or ``{"name": "bleu", "tokenize": "intl"}`` → a configured metric.

    Unknown names raise UsageError with a did-you-mean; unknown or ill-typed options too.
    """
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
          seed: int = 12345, stats_cache: StatsCache | None = None) -> tuple[MetricResult, np.ndarray]:
    """Score ``corpus``; returns the result and the statistics matrix it came from.

    The 95% interval is a seeded bootstrap over the statistics rows (``n_bootstrap=0``
    gives none). With a ``stats_cache``, statistics computed before for the same texts and
    settings are read back instead of recomputed.
    """
    if len(corpus) == 0:
        raise DataError(f"metric {metric.name!r}: nothing to score (0 examples)")
    check_corpus(corpus)
    if metric.reads_sources and corpus.sources is None:
        raise DataError(f"metric {metric.name!r} reads the source texts; this corpus has none")
    if metric.reads_images and corpus.images is None:
        raise DataError(f"metric {metric.name!r} reads the images; this corpus has none "
                        f"(score a captioning task whose examples have images)")
    signature = signature_of(metric, corpus)
    stats = _statistics(metric, corpus, signature, stats_cache)
    ci = bootstrap_interval(metric, stats, n_bootstrap, seed) if n_bootstrap > 0 and len(stats) > 1 else None
    per_example = metric.per_example(stats)
    result = MetricResult(
        metric=metric.name, score=float(metric.aggregate(stats)),
        signature=signature.with_field("data", data_fingerprint[:8]),
        higher_is_better=metric.higher_is_better, ci=ci,
        per_example=None if per_example is None else tuple(np.asarray(per_example, dtype=np.float64).tolist()),
        details=dict(metric.details(stats)))
    return result, stats


def _statistics(metric: Metric, corpus: Corpus, signature: Signature, cache: StatsCache | None) -> np.ndarray:
    key = cache.key(metric, corpus, signature) if cache is not None else None
    stats = cache.get(key, len(corpus)) if key is not None else None
    if stats is None:
        stats = compute_statistics(metric, corpus)
        if key is not None:
            cache.put(key, stats)
    return stats


def compute_statistics(metric: Metric, corpus: Corpus) -> np.ndarray:
    stats = np.asarray(metric.statistics(corpus), dtype=np.float64)
    if stats.ndim != 2 or len(stats) != len(corpus):
        raise AssertionError(f"{metric.name}: statistics shape {stats.shape} for {len(corpus)} examples")
    return stats


def estimate_s(metric: Metric, corpus: Corpus, cache: StatsCache | None = None) -> float | None:
    """Seconds ``score`` will take on ``corpus``, for metrics whose time the outputs decide
    (``estimate_sample``); None where no one waits: a fast metric, a small corpus, or
    statistics the cache already has. Evenly spaced examples are scored alone and timed."""
    k = metric.estimate_sample
    n = len(corpus)
    if not k or n < 20 * k:  # below that, the sample would be a good part of the work
        return None
    if cache is not None and cache.path(cache.key(metric, corpus, signature_of(metric, corpus))).exists():
        return None
    rows = [i * n // k for i in range(k)]
    sample = Corpus(predictions=[corpus.predictions[i] for i in rows],
                    references=[corpus.references[i] for i in rows],
                    ids=[corpus.ids[i] for i in rows] if corpus.ids else (),
                    sources=[corpus.sources[i] for i in rows] if corpus.sources is not None else None,
                    images=[corpus.images[i] for i in rows] if corpus.images is not None else None)
    started = time.perf_counter()
    try:
        compute_statistics(metric, sample)
    except Exception:  # noqa: BLE001 - scoring the whole corpus raises it, naming the example
        return None
    return (time.perf_counter() - started) * n / k / metric.workers_for(n)
