"""``harness compare``: paired significance of systems against a baseline, every stored metric.

Both tests resample the stored statistics rows, never text: the paired bootstrap (Koehn
2004, sacrebleu ``--paired-bs``) and approximate randomization (Riezler & Maxwell 2005,
sacrebleu ``--paired-ar``), with sacrebleu's seeds, draws and p-value rule, so BLEU and
chrF p-values equal sacrebleu's. Several systems are each tested against the first, as
sacrebleu's multi-system mode does. The verdict is ``significance.py``'s rule, the one the
leaderboard's clusters use.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Sequence

import numpy as np

from harness.errors import UsageError
from harness.metrics.bootstrap import paired_approximate_randomization, percentile_bounds
from harness.record import RunRecord
from harness.record.store import LeftOut, load_runs
from harness.reports import runs as R
from harness.reports.checks import CheckedScore, checked_score, left_out_lines, partial_runs
from harness.reports.significance import (CORRECTIONS, TESTS, SignificanceRule, adjust,
                                          difference_se, pairwise_tests)


@dataclass(frozen=True)
class CompareSettings:
    n_bootstrap: int = 1000
    n_randomization: int = 10000
    seed: int = 12345  # sacrebleu's default, so p-values equal its own
    correction: str = "none"  # as sacrebleu: state the number of tests, leave p raw
    alpha: float = 0.05
    force: bool = False
    examples: int = 0
    metrics: tuple[str, ...] = ()
    include_partial: bool = False  # partial runs compared (marked) instead of left out

    @property
    def rule(self) -> SignificanceRule:
        return SignificanceRule(self.alpha, self.n_bootstrap, self.seed, self.correction)


@dataclass(frozen=True)
class Comparison:
    """One system against the baseline on one task and metric; delta = system - baseline."""

    task: str
    metric: str
    baseline: str
    system: str
    baseline_score: float
    system_score: float
    delta: float
    delta_ci95: tuple[float, float]
    p_bootstrap: float
    p_randomization: float
    n: int
    signature: str
    higher_is_better: bool
    p_bootstrap_raw: float = 0.0
    p_randomization_raw: float = 0.0
    n_tests: int = 1
    forced: str | None = None  # what differs, when --force made the comparison anyway
    examples: tuple[dict, ...] = field(default=())
    runs: tuple[str, str] = ("", "")  # baseline and system run folders
    checks: tuple[CheckedScore, ...] = ()  # each run's stored score against its statistics
    detectable: float | None = None  # Δ the rule finds with 80% power on these examples (harness power)

    def verdict(self, alpha: float) -> str:
        """better / worse (significant under the one rule, in the metric's direction) or n.s."""
        return SignificanceRule(alpha).verdict(self.delta, self.higher_is_better, self.p_bootstrap)

    def randomization_disagrees(self, alpha: float) -> bool:
        """Approximate randomization falls on the other side of alpha: a borderline difference."""
        return self.delta != 0 and (self.p_randomization < alpha) != (self.verdict(alpha) != "n.s.")

    def to_dict(self, alpha: float) -> dict:
        out = {k: v for k, v in self.__dict__.items() if k not in ("examples", "checks")}
        out["checks"] = [asdict(c) for c in self.checks]
        out.update(delta_ci95=list(self.delta_ci95), verdict=self.verdict(alpha),
                   tests=TESTS)
        if self.examples:
            out["examples"] = list(self.examples)
        return out


@dataclass(frozen=True)
class CompareResult:
    comparisons: list[Comparison]
    settings: CompareSettings
    baseline: str
    left_out: list[LeftOut] = field(default_factory=list)  # runs found but not compared, and why
    partial: list[tuple[Path | None, str]] = field(default_factory=list)  # partial runs compared


def load_side(path: str | Path, include_partial: bool = False,
              left_out: list[LeftOut] | None = None) -> dict[str, RunRecord]:
    """One argument of ``compare``: task name -> its run (a run, task or model folder)."""
    out: dict[str, RunRecord] = {}
    statuses = ("complete", "partial") if include_partial else ("complete",)
    mine: list[LeftOut] = []
    records = load_runs(path, statuses=statuses, left_out=mine)
    if left_out is not None:
        left_out.extend(mine)
    if not records:  # before any pairing: an empty side is not a side with other tasks
        if not mine:
            raise UsageError(f"{path}: no runs there (no run.json below it); `harness run "
                             f"--output DIR` writes them, give the folder it wrote")
        raise UsageError("\n".join([f"{path}: no run there can be compared; every run found "
                                     f"is left out"] + left_out_lines(mine)))
    for record in records:
        if record.task.name in out:
            other = out[record.task.name]
            a, b = R.system_labels([other, record], unique=True)
            raise UsageError(f"{path}: holds several runs of {record.task.name!r}: {a} "
                             f"({other.folder}) and {b} ({record.folder}); pass one model "
                             f"folder, task folder or run folder per system")
        out[record.task.name] = record
    return out


def compare_paths(paths: Sequence[str | Path], settings: CompareSettings = CompareSettings()) -> CompareResult:
    if len(paths) < 2:
        raise UsageError("compare needs a baseline and at least one system (run, task or model folders)")
    R.check_choice(settings.correction, CORRECTIONS, "--correction")
    left_out: list[LeftOut] = []
    sides = [load_side(p, settings.include_partial, left_out) for p in paths]
    base = sides[0]
    pairs = []
    for path, side in zip(paths[1:], sides[1:]):
        common = [t for t in base if t in side]
        if not common:
            raise UsageError("\n".join([f"{path}: no task in common with the baseline {paths[0]} "
                                         f"(baseline: {', '.join(base) or 'none'}; system: "
                                         f"{', '.join(side) or 'none'})"] + left_out_lines(left_out)))
        pairs.extend((base[t], side[t]) for t in common)
    comparisons = [c for a, b in pairs for c in compare_pair(a, b, settings)]
    if not comparisons:
        raise UsageError("no metric with stored statistics in common; nothing to compare"
                         + (f" (--metrics {','.join(settings.metrics)})" if settings.metrics else ""))
    return CompareResult(correct(comparisons, settings.correction), settings,
                         R.system_labels(pairs[0], unique=True)[0], left_out,
                         partial_runs([r for pair in pairs for r in pair]))


@dataclass(frozen=True)
class Pair:
    """Two runs of one task made ready to compare: the metrics both stored, what differs
    (only under --force), their labels and their rows on the shared examples."""

    a: RunRecord
    b: RunRecord
    metrics: list[str]
    problems: list[str]
    labels: tuple[str, str]
    pairing: R.Pairing


def checked_pair(a: RunRecord, b: RunRecord, metrics: Sequence[str] = (), force: bool = False) -> Pair:
    """Baseline ``a`` and system ``b`` on their shared examples; refused, naming what differs,
    where their data, example ids or signatures differ and ``force`` is off."""
    names = [m for m in R.stored_metrics(a) if m in R.stored_metrics(b) and R.matches(m, metrics)]
    problems = R.differences(a, b, names)
    label_a, label_b = R.system_labels([a, b], unique=True)  # two runs of one model: named by what differs
    if problems and not force:
        raise UsageError(f"{a.task.name}: {label_a} ({a.folder}) and {label_b} ({b.folder}) are "
                         f"not comparable: {'; '.join(problems)}. Rerun one so they match, or pass "
                         f"--force to test them anyway (every affected row will say so)")
    pairing = R.pair_rows(a, b)
    if not pairing.ids:
        raise UsageError(f"{a.task.name}: {a.folder} and {b.folder} have no example in common; "
                         f"nothing to pair, even with --force")
    return Pair(a, b, names, problems, (label_a, label_b), pairing)


def compare_pair(a: RunRecord, b: RunRecord, settings: CompareSettings) -> list[Comparison]:
    """Every metric both runs stored statistics for, baseline ``a`` against system ``b``."""
    pair = checked_pair(a, b, settings.metrics, settings.force)
    names, problems, pairing = pair.metrics, pair.problems, pair.pairing
    label_a, label_b = pair.labels
    out = []
    for name in names:
        metric = a.score(name).metric()
        stats_a, stats_b = a.stats(name)[pairing.rows_a], b.stats(name)[pairing.rows_b]
        tests = pairwise_tests(metric, [stats_a, stats_b], settings.rule)  # as the leaderboard tests a pair
        score_a, score_b = metric.aggregate(stats_a), metric.aggregate(stats_b)
        p_bs = tests.p_bootstrap[0, 1]
        p_ar = paired_approximate_randomization(metric, stats_a, stats_b, settings.n_randomization, settings.seed).p_value
        ci = (percentile_bounds(tests.resampled[1] - tests.resampled[0], 0.05) if tests.resampled
              else (float("nan"), float("nan")))
        row = Comparison(a.task.name, name, label_a, label_b, score_a, score_b, score_b - score_a, ci,
                         p_bs, p_ar, len(pairing.ids), a.score(name).signature,
                         a.score(name).higher_is_better, p_bs, p_ar,
                         forced="; ".join(problems) or None, runs=(str(a.folder), str(b.folder)),
                         checks=(checked_score(a, name), checked_score(b, name)))
        if tests.resampled:
            row = replace(row, detectable=settings.rule.detectable(difference_se(*tests.resampled)))
        if settings.examples:
            row = replace(row, examples=tuple(moved_most(a, b, name, pairing, stats_a, stats_b, settings.examples)))
        out.append(row)
    return out


def correct(rows: list[Comparison], method: str) -> list[Comparison]:
    """Adjust each test's p-values over every comparison of this invocation."""
    n = len(rows)
    p_bs = adjust([r.p_bootstrap_raw for r in rows], method)
    p_ar = adjust([r.p_randomization_raw for r in rows], method)
    return [replace(r, p_bootstrap=b, p_randomization=q, n_tests=n) for r, b, q in zip(rows, p_bs, p_ar)]


def moved_most(a: RunRecord, b: RunRecord, name: str, pairing: R.Pairing, stats_a: np.ndarray,
               stats_b: np.ndarray, k: int) -> list[dict]:
    """The k examples whose per-example score moved most between the two runs."""
    per_a = R.example_scores(a, name, pairing.ids, stats_a)
    per_b = R.example_scores(b, name, pairing.ids, stats_b)
    moved = np.nan_to_num(np.abs(per_b - per_a), nan=-1.0)
    return example_rows(a, b, pairing.ids, np.argsort(-moved, kind="stable")[:k], per_a, per_b)


def example_rows(a: RunRecord, b: RunRecord, ids: Sequence[str], positions: Sequence[int],
                 per_a: np.ndarray, per_b: np.ndarray) -> list[dict]:
    """The examples at ``positions`` of ``ids``: source, both predictions, the references and
    both per-example scores."""
    samples_a = {str(s["id"]): s for s in R.samples(a)}
    samples_b = {str(s["id"]): s for s in R.samples(b)}
    out = []
    for j in positions:
        sa, sb = samples_a[ids[j]], samples_b[ids[j]]
        out.append({"id": ids[j], "source": sa.get("input"), "baseline_prediction": sa.get("prediction"),
                    "system_prediction": sb.get("prediction"), "references": sa.get("references", []),
                    "baseline_score": float(per_a[j]), "system_score": float(per_b[j]),
                    "delta": float(per_b[j] - per_a[j])})
    return out
