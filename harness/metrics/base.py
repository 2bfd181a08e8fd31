"""The metric contract: per-example sufficient statistics plus an aggregation.

A metric turns predictions and references into a float matrix of statistics, one row per
example (BLEU: n-gram matches and lengths; ROUGE: per-example F; CIDEr: per-image score
with document frequencies held fixed). ``aggregate(stats)`` gives the corpus score, so a
bootstrap or a paired test resamples rows and never re-tokenizes text.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, ClassVar, Sequence

import numpy as np


@dataclass
class Corpus:
    """Predictions and references of one scored set, plus derived data shared by metrics.

    ``memo`` lets metrics reuse one tokenization (e.g. PTB tokens for every COCO metric).
    """

    predictions: Sequence[str]
    references: Sequence[Sequence[str]]
    ids: Sequence[str] = ()
    _memo: dict = field(default_factory=dict, repr=False)

    def memo(self, key: Any, compute: Callable[[], Any]) -> Any:
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]

    def __len__(self) -> int:
        return len(self.predictions)


class Metric:
    """Base class of every metric. Subclasses register with ``@metrics.register(name)``."""

    name: ClassVar[str] = ""
    higher_is_better: ClassVar[bool] = True
    description: ClassVar[str] = ""
    options_help: ClassVar[dict[str, str]] = {}  # option -> meaning, for `harness metrics`
    bootstrap: ClassVar[bool] = True  # False where aggregate() is not a function of rows

    def __init__(self, **options: Any):
        from harness.errors import check_keys
        check_keys(options, self.options_help, f"metric {self.name!r} option")
        self.options = options

    def statistics(self, corpus: Corpus) -> np.ndarray:
        """(n_examples, n_stats) float64 sufficient statistics."""
        raise NotImplementedError

    def aggregate(self, stats: np.ndarray) -> float:
        """Corpus score from statistics rows (a subset or a resample of them)."""
        raise NotImplementedError

    def aggregate_many(self, stats: np.ndarray, samples: np.ndarray) -> np.ndarray:
        """Scores for many resamples; ``samples`` is (n_resamples, n) row indices.

        Metrics with additive statistics override this with one vectorised pass.
        """
        return np.array([self.aggregate(stats[s]) for s in samples])

    def per_example(self, stats: np.ndarray) -> np.ndarray | None:
        """Per-example score on the same scale as the corpus score, where defined."""
        return None

    def signature(self, corpus: Corpus) -> str:
        """``name|field:value|...`` naming everything that changes the number."""
        raise NotImplementedError

    def details(self, stats: np.ndarray) -> dict:
        """Extra numbers worth keeping in the record (e.g. BLEU precisions, BP)."""
        return {}
