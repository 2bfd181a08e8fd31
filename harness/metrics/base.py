"""The metric contract: per-example sufficient statistics plus an aggregation.

A metric turns predictions and references into a float matrix of statistics, one row per
example (BLEU: n-gram matches and lengths; ROUGE: per-example F; CIDEr: per-image score
with document frequencies held fixed). ``aggregate(stats)`` gives the corpus score, so a
bootstrap or a paired test resamples rows and never re-tokenizes text.

Options are a frozen dataclass declared with ``harness.options.option`` and named by the
class attribute ``Options``; ``metric.options`` is its parsed instance.

Metrics that run a network (COMET, BERTScore, CLIPScore) set ``needs_accelerator = True``,
so a pipeline can free the generator's memory before scoring them, and take their
options from ``AcceleratorOptions`` (``device``, ``batch_size``), so every such metric is
placed and batched with the same words. Metrics that read the source texts (COMET) set
``reads_sources = True``: scoring then requires ``Corpus.sources``, and cached statistics
are keyed on them. Metrics that read the images (CLIPScore) set ``reads_images`` likewise
(``Corpus.images``; cached statistics are keyed on the images' contents). ``licence`` names
the licence of the weights a learned metric downloads by default (``harness metrics``).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, ClassVar, Sequence

import numpy as np

from harness.options import option, parse_options
from harness.signature import Signature


@dataclass
class Corpus:
    """Predictions and references of one scored set, plus derived data shared by metrics.

    ``memo`` lets metrics reuse one tokenization (e.g. PTB tokens for every COCO metric).
    """

    predictions: Sequence[str]
    references: Sequence[Sequence[str]]
    ids: Sequence[str] = ()
    sources: Sequence[str] | None = None  # read only by metrics with reads_sources
    images: Sequence[str] | None = None  # image paths, read only by metrics with reads_images
    _memo: dict = field(default_factory=dict, repr=False)

    def memo(self, key: Any, compute: Callable[[], Any]) -> Any:
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]

    def __len__(self) -> int:
        return len(self.predictions)


@dataclass(frozen=True)
class NoOptions:
    """The options of a metric that takes none."""


@dataclass(frozen=True)
class AcceleratorOptions:
    """The options every metric that runs a network declares (its Options subclass these)."""

    device: str = option("auto", "where the scoring model runs: auto (the first GPU when there "
                                 "is one, else cpu), cpu, cuda, cuda:1")
    batch_size: str = option("auto", "inputs per forward pass of the scoring model; auto: as many "
                                     "as fit a budget of padded tokens (8,192 on a CPU, 65,536 on a "
                                     "GPU); halved after an out-of-memory error")


class Metric:
    """Base class of every metric. Subclasses register with ``@metrics.register(name)``."""

    name: ClassVar[str] = ""
    higher_is_better: ClassVar[bool] = True
    description: ClassVar[str] = ""
    Options: ClassVar[type] = NoOptions
    needs_accelerator: ClassVar[bool] = False
    reads_sources: ClassVar[bool] = False
    reads_images: ClassVar[bool] = False
    licence: ClassVar[str] = ""  # of the default model's weights, where a model is downloaded
    # segments scored on their own first, to estimate a large corpus's time for the progress
    # line (scoring.estimate_s); 0: fast enough that nobody waits on it
    estimate_sample: ClassVar[int] = 0

    def __init__(self, **options: Any):
        self.options = parse_options(self.Options, options, f"metric {self.name!r}")

    def check_installed(self) -> None:
        """Raise MissingDependency for a package these options need and this machine lacks;
        planning calls it, so a run stops before its model loads, not when it scores."""

    def workers_for(self, n_examples: int) -> int:
        """Processes ``statistics`` spreads ``n_examples`` over (time estimates divide by it)."""
        return 1

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

    def n_columns(self) -> int | None:
        """Columns of ``statistics`` under these options; None where the metric does not fix
        them (a stored matrix is then checked for its rows only)."""
        return None

    def per_example(self, stats: np.ndarray) -> np.ndarray | None:
        """Per-example score on the same scale as the corpus score, where defined."""
        return None

    def signature(self, corpus: Corpus) -> Signature | str:
        """Everything that changes the number, the data aside (``score`` adds its fingerprint).

        Third-party metrics may return the text ``name|field:value|...``; it is parsed.
        """
        raise NotImplementedError

    def details(self, stats: np.ndarray) -> dict:
        """Extra numbers worth keeping in the record (e.g. BLEU precisions, BP)."""
        return {}


def signature_of(metric: Metric, corpus: Corpus) -> Signature:
    signature = metric.signature(corpus)
    return signature if isinstance(signature, Signature) else Signature.parse(signature)
