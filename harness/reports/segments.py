"""``harness compare --segments``: where two systems differ, from their stored statistics and samples.

In the spirit of compare-mt (Neubig et al. 2019) and MT-Telescope, with no server: for each
metric, the test set cut into buckets by reference length, source length (where the inputs are
text) and the baseline's per-example score; the n-grams each system matches more often
(``ngram_diff.py``); the examples whose per-example score moved most each way.

A bucket's scores are the metric's corpus aggregation over the bucket's statistics rows, so the
BLEU of a bucket is the BLEU of those segments, not a mean of sentence BLEU; its Δ CI comes from
the paired bootstrap of the bucket's rows (both systems on the same resamples, as ``compare``).
Buckets hold about equal counts, so lengths of captions and of news summaries both cut into
informative buckets without a table of edges per task.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from harness.errors import UsageError
from harness.metrics.bootstrap import bootstrap_scores, percentile_bounds
from harness.record import RunRecord
from harness.record.store import LeftOut
from harness.reports import runs as R
from harness.reports.compare import Pair, checked_pair, example_rows, load_side
from harness.reports.ngram_diff import NgramDiff, ngram_diff, tokens

# a bootstrap of fewer examples draws from too few distinct resamples: a 1-example bucket's CI
# is a point, which would read as "clearly different"
MIN_CLEAR = 10
IMAGE = re.compile(r"\.(jpe?g|png|gif|bmp|webp|tiff?)$", re.IGNORECASE)


@dataclass(frozen=True)
class SegmentSettings:
    n_bootstrap: int = 1000
    seed: int = 12345  # compare's, so the whole-set Δ CI is the one compare prints
    buckets: int = 5
    ngrams: int = 10  # n-grams listed each way
    examples: int = 5  # examples listed each way per metric
    metrics: tuple[str, ...] = ()
    force: bool = False
    include_partial: bool = False


@dataclass(frozen=True)
class Bucket:
    label: str
    baseline: float
    system: float
    delta: float
    ci95: tuple[float, float] | None  # of delta, paired bootstrap of the bucket's rows (None: --bootstrap 0)
    ids: tuple[str, ...]

    @property
    def clear(self) -> bool:
        """The CI excludes 0 in a bucket large enough for its percentile bootstrap to mean it."""
        return self.ci95 is not None and len(self.ids) >= MIN_CLEAR and (self.ci95[0] > 0 or self.ci95[1] < 0)

    def to_dict(self) -> dict:
        return {"label": self.label, "n": len(self.ids), "baseline": self.baseline, "system": self.system,
                "delta": self.delta, "ci95": list(self.ci95) if self.ci95 else None, "clear": self.clear,
                "ids": list(self.ids)}


@dataclass(frozen=True)
class MetricView:
    metric: str
    higher_is_better: bool
    signature: str  # the baseline's; under --force the system's may differ (PairView.forced says how)
    overall: Bucket  # every shared example
    bucketings: dict[str, tuple[Bucket, ...]]  # "reference length (tokens)" -> its buckets
    gains: tuple[dict, ...]  # the examples the system improves most (compare.example_rows)
    losses: tuple[dict, ...]  # and those it worsens most

    def to_dict(self) -> dict:
        return {"metric": self.metric, "higher_is_better": self.higher_is_better, "signature": self.signature,
                "overall": self.overall.to_dict() | {"ids": []},  # every shared example: PairView's ids
                "bucketings": {k: [b.to_dict() for b in v] for k, v in self.bucketings.items()},
                "gains": list(self.gains), "losses": list(self.losses)}


@dataclass(frozen=True)
class PairView:
    """Baseline against system on one task, on their shared examples."""

    task: str
    baseline: str
    system: str
    runs: tuple[str, str]
    ids: tuple[str, ...]  # the shared examples, in the baseline's order
    metrics: tuple[MetricView, ...]
    ngrams: NgramDiff
    forced: str | None = None

    def to_dict(self) -> dict:
        return {"task": self.task, "baseline": self.baseline, "system": self.system, "runs": list(self.runs),
                "n": len(self.ids), "ids": list(self.ids), "forced": self.forced,
                "metrics": [m.to_dict() for m in self.metrics],
                "ngrams": self.ngrams.to_dict()}


class Resamples:
    """Each run's bootstrap scores on a set of examples, computed once. With one seed the
    resamples of a set depend on its size alone, so two runs' scores on the same examples are
    paired, and a run's scores on a bucket serve every pair it is in, in either order."""

    def __init__(self, n: int, seed: int):
        self.n, self.seed, self._scores = n, seed, {}

    def scores(self, record: RunRecord, name: str, stats: np.ndarray, ids: tuple[str, ...]) -> np.ndarray:
        key = (record.folder, name, ids)
        if key not in self._scores:
            self._scores[key] = bootstrap_scores(record.score(name).metric(), stats, self.n, self.seed)
        return self._scores[key]


@dataclass(frozen=True)
class SegmentsResult:
    views: list[PairView]
    settings: SegmentSettings
    left_out: list[LeftOut]


def segment_paths(paths: Sequence[str], settings: SegmentSettings = SegmentSettings()) -> SegmentsResult:
    """Each system against the baseline (the first path) on every task they share."""
    if len(paths) < 2:
        raise UsageError("compare --segments needs a baseline and at least one system (run, task or model folders)")
    left_out: list[LeftOut] = []
    sides = [load_side(p, settings.include_partial, left_out) for p in paths]
    resamples = Resamples(settings.n_bootstrap, settings.seed)
    views = []
    for path, side in zip(paths[1:], sides[1:]):
        common = [t for t in sides[0] if t in side]
        if not common:
            raise UsageError(f"{path}: no task in common with the baseline {paths[0]} (baseline: "
                             f"{', '.join(sides[0]) or 'none'}; system: {', '.join(side) or 'none'})")
        views += [pair_view(sides[0][t], side[t], settings, resamples) for t in common]
    return SegmentsResult(views, settings, left_out)


def pair_view(a: RunRecord, b: RunRecord, settings: SegmentSettings, resamples: Resamples | None = None) -> PairView:
    pair = checked_pair(a, b, settings.metrics, settings.force)
    if not pair.metrics:
        raise UsageError(f"{a.task.name}: no metric with stored statistics in common"
                         + (f" (--metrics {','.join(settings.metrics)})" if settings.metrics else ""))
    ids = pair.pairing.ids
    rows_a = {str(s["id"]): s for s in R.samples(a)}
    rows_b = {str(s["id"]): s for s in R.samples(b)}
    examples = [rows_a[i] for i in ids]
    # several references: their mean length, to the nearest token
    lengths = {"reference length": np.rint([np.mean([len(tokens(r)) for r in s.get("references") or [""]])
                                            for s in examples])}
    texts = [s.get("input") for s in examples]  # sources: text, not an image's path nor absent
    if all(isinstance(t, str) and not IMAGE.search(t) for t in texts) and any(t.strip() for t in texts):
        lengths["source length"] = np.array([len(tokens(s["input"])) for s in examples], dtype=float)
    resamples = resamples or Resamples(settings.n_bootstrap, settings.seed)
    views = tuple(metric_view(pair, name, lengths, settings, resamples) for name in pair.metrics)
    diff = ngram_diff(ids, [s.get("references") or [] for s in examples],
                      [s.get("prediction") or "" for s in examples], [rows_b[i].get("prediction") or "" for i in ids],
                      settings.ngrams)
    return PairView(a.task.name, *pair.labels, (str(a.folder), str(b.folder)), ids, views, diff,
                    "; ".join(pair.problems) or None)


def metric_view(pair: Pair, name: str, lengths: dict[str, np.ndarray], settings: SegmentSettings,
                resamples: Resamples) -> MetricView:
    a, b, ids = pair.a, pair.b, pair.pairing.ids
    metric = a.score(name).metric()
    stats_a, stats_b = a.stats(name)[pair.pairing.rows_a], b.stats(name)[pair.pairing.rows_b]
    per_a = R.example_scores(a, name, ids, stats_a)
    per_b = R.example_scores(b, name, ids, stats_b)

    def bucket(label: str, rows: np.ndarray) -> Bucket:
        sa, sb, members = stats_a[rows], stats_b[rows], tuple(ids[j] for j in rows)
        base, system = float(metric.aggregate(sa)), float(metric.aggregate(sb))
        ci = None
        if settings.n_bootstrap:
            delta = resamples.scores(b, name, sb, members) - resamples.scores(a, name, sa, members)
            ci = percentile_bounds(delta, 0.05)
        return Bucket(label, base, system, system - base, ci, members)

    cuts = {f"{what} (tokens)": quantile_buckets(values, settings.buckets, integer=True)
            for what, values in lengths.items()}
    if np.isfinite(per_a).all():
        cuts[f"baseline's per-example {name}"] = quantile_buckets(per_a, settings.buckets, integer=False)
    bucketings = {what: tuple(bucket(label, rows) for label, rows in cut) for what, cut in cuts.items()}
    gained = np.nan_to_num(per_b - per_a, nan=0.0) * (1 if a.score(name).higher_is_better else -1)
    order = np.argsort(-gained, kind="stable")
    k = settings.examples
    gains = [j for j in order[:k] if gained[j] > 0]
    losses = [j for j in order[::-1][:k] if gained[j] < 0]
    return MetricView(name, a.score(name).higher_is_better, a.score(name).signature,
                      bucket("all", np.arange(len(ids))), bucketings,
                      tuple(example_rows(a, b, ids, gains, per_a, per_b)),
                      tuple(example_rows(a, b, ids, losses, per_a, per_b)))


def quantile_buckets(values: np.ndarray, n: int, integer: bool) -> list[tuple[str, np.ndarray]]:
    """Up to ``n`` buckets of about equal counts: (label, row indices), low to high. Each cut
    is the value whose count at or below it is nearest to a multiple of len/n, so ties stay
    together (six lengths 4, 5, 5, 5, 5, 5 make ``≤ 4`` and ``≥ 5``, not one bucket)."""
    distinct, counts = np.unique(values, return_counts=True)
    below = np.cumsum(counts)[:-1]  # the largest value cuts nothing off
    targets = len(values) * np.arange(1, n) / n
    edges = np.unique([distinct[np.argmin(np.abs(below - t))] for t in targets]) if len(below) else np.zeros(0)
    which = np.searchsorted(edges, values, side="left")  # edges[k-1] < v <= edges[k]
    return [(_label(edges, k, integer), np.flatnonzero(which == k)) for k in range(len(edges) + 1)]


def _label(edges: np.ndarray, k: int, integer: bool) -> str:
    """Integer buckets by their first and last value (``13–18``), scores as intervals (``(23.5, 41.2]``)."""
    if not len(edges):
        return "all"  # one value throughout: nothing to cut
    if integer:
        low = int(edges[k - 1]) + 1 if k else None
        high = int(edges[k]) if k < len(edges) else None
        if low is None:
            return f"≤ {high}"
        return f"≥ {low}" if high is None else (str(low) if low == high else f"{low}–{high}")
    if k == 0:
        return f"≤ {edges[0]:.1f}"
    return f"> {edges[-1]:.1f}" if k == len(edges) else f"({edges[k - 1]:.1f}, {edges[k]:.1f}]"


MAX_PAIR_SYSTEMS = 5  # per task, in the leaderboard's order: every ordered pair of them
REPORT = SegmentSettings(examples=0)  # the report's sample browser lists the examples itself


def report_pairs(systems: dict[str, RunRecord], settings: SegmentSettings = REPORT) -> dict:
    """The HTML report's pairwise view of one task: ``"A\\nB"`` -> the view of B against A, for
    every ordered pair of the first MAX_PAIR_SYSTEMS systems; pairs that are not comparable
    (other data or signatures) are left out and named."""
    names = list(systems)[:MAX_PAIR_SYSTEMS]
    pairs, refused, resamples = {}, {}, Resamples(settings.n_bootstrap, settings.seed)
    for a in names:
        for b in names:
            if a == b:
                continue
            try:
                view = pair_view(systems[a], systems[b], settings, resamples)
            except UsageError as err:
                refused[f"{a}\n{b}"] = str(err)
                continue
            pairs[f"{a}\n{b}"] = report_view(view)
    return {"pairs": pairs, "covered": len(names), "systems": len(systems), "refused": refused}


def report_view(view: PairView) -> dict:
    """A view as the report's script reads it: each bucketing's buckets, and for each shared
    example the bucket it falls in (positions in ``ids``), not the ids again per bucket."""
    where = {i: j for j, i in enumerate(view.ids)}

    def bucketing(by: str, buckets: tuple[Bucket, ...]) -> dict:
        member = [0] * len(where)
        for k, b in enumerate(buckets):
            for i in b.ids:
                member[where[i]] = k
        return {"by": by, "buckets": [b.to_dict() | {"ids": []} for b in buckets], "member": member}
    return {"ids": list(view.ids), "forced": view.forced, "ngrams": view.ngrams.to_dict(),
            "metrics": {m.metric: {"higher_is_better": m.higher_is_better,
                                   "overall": m.overall.to_dict() | {"ids": []},
                                   "bucketings": [bucketing(by, bs) for by, bs in m.bucketings.items()]}
                        for m in view.metrics}}

