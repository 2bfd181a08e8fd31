"""``harness power``: can this test set tell two systems apart, and how many examples would?

Corpus metrics are not means of per-example values (BLEU's brevity penalty, CIDEr's document
frequencies), so the standard error comes from the bootstrap of the stored statistics rows:
the spread of Δ = B - A over paired resamples (two runs), or of one run's score, turned into
Δ's for a second system of equal variance and an assumed correlation. From it the rule's
minimum detectable difference, (z at 1 - α + z at power) x SE (``SignificanceRule.detectable``),
the power at a given Δ, and the examples needed for it, with SE ∝ 1/√n.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from harness.errors import UsageError
from harness.record import RunRecord
from harness.reports import runs as R
from harness.reports.compare import load_side
from harness.reports.render import dump_json, render
from harness.reports.significance import SignificanceRule, difference_se, resample_all


@dataclass(frozen=True)
class PowerSettings:
    delta: float | None = None  # None: the observed Δ of two runs, nothing for one run
    alpha: float = 0.05
    power: float = 0.8
    correlation: float = 0.5  # one run only: assumed correlation of two systems' resampled scores
    n_bootstrap: int = 1000
    seed: int = 12345
    metrics: tuple[str, ...] = ()

    @property
    def rule(self) -> SignificanceRule:
        return SignificanceRule(self.alpha, self.n_bootstrap, self.seed)


@dataclass(frozen=True)
class PowerRow:
    """What one task x metric of this test set can detect."""

    task: str
    metric: str
    systems: tuple[str, ...]  # one run, or baseline and system
    n: int
    scores: tuple[float, ...]
    se: float  # standard error of Δ
    correlation: float  # of the two systems' resampled scores: measured (two runs) or assumed
    measured: bool
    detectable: float  # Δ the rule finds with the settings' power
    delta: float | None  # the Δ asked about (--delta, else the observed one)
    power_at_delta: float | None
    n_for_delta: int | None  # examples for the rule to find ``delta`` with the settings' power
    signature: str
    higher_is_better: bool


def power_paths(paths: Sequence[str | Path], settings: PowerSettings = PowerSettings()) -> list[PowerRow]:
    _check(settings, len(paths))
    sides = [load_side(p) for p in paths]
    if len(sides) == 1:
        rows = [row for record in sides[0].values() for row in _one_run(record, settings)]
    else:
        common = [t for t in sides[0] if t in sides[1]]
        if not common:
            raise UsageError(f"{paths[1]}: no task in common with {paths[0]} ({', '.join(sides[0]) or 'none'} "
                             f"against {', '.join(sides[1]) or 'none'})")
        rows = [row for t in common for row in _two_runs(sides[0][t], sides[1][t], settings)]
    if not rows:
        raise UsageError("no metric with stored statistics" + (f" matches --metrics {','.join(settings.metrics)}"
                                                               if settings.metrics else ""))
    return rows


def _check(settings: PowerSettings, n_paths: int) -> None:
    if n_paths not in (1, 2):
        raise UsageError(f"power takes one run (its own variance) or two (their paired variance), not {n_paths}")
    for name, value in (("--alpha", settings.alpha), ("--power", settings.power)):
        if not 0 < value < 1:
            raise UsageError(f"{name} {value}: give a probability between 0 and 1, e.g. {name} 0.05")
    if not -1 <= settings.correlation < 1:
        raise UsageError(f"--correlation {settings.correlation}: give a value in [-1, 1)")
    if settings.n_bootstrap < 10:
        raise UsageError(f"--bootstrap {settings.n_bootstrap}: the standard error needs resamples; give 1000")


def _metrics(record: RunRecord, settings: PowerSettings, other: RunRecord | None = None) -> list[str]:
    return [m for m in R.stored_metrics(record) if R.matches(m, settings.metrics)
            and (other is None or m in R.stored_metrics(other))]


def _one_run(record: RunRecord, settings: PowerSettings) -> list[PowerRow]:
    out = []
    for name in _metrics(record, settings):
        metric, stats = record.score(name).metric(), record.stats(name)
        [scores] = resample_all(metric, [stats], settings.n_bootstrap, settings.seed)
        # Var(B - A) = 2 Var(A) (1 - ρ) for a second system B of the same variance
        se = float(np.std(scores, ddof=1)) * math.sqrt(2 * (1 - settings.correlation))
        out.append(_row(record, name, R.system_labels([record]), (float(metric.aggregate(stats)),), len(stats),
                        se, settings.correlation, False, settings.delta, settings))
    return out


def _two_runs(a: RunRecord, b: RunRecord, settings: PowerSettings) -> list[PowerRow]:
    names = _metrics(a, settings, b)
    labels = R.system_labels([a, b], unique=True)
    problems = R.differences(a, b, names)
    if problems:
        raise UsageError(f"{a.task.name}: {labels[0]} ({a.folder}) and {labels[1]} ({b.folder}) are not "
                         f"comparable: {'; '.join(problems)}; pass two runs of one test set")
    pairing = R.pair_rows(a, b)
    out = []
    for name in names:
        metric = a.score(name).metric()
        stats_a, stats_b = a.stats(name)[pairing.rows_a], b.stats(name)[pairing.rows_b]
        res_a, res_b = resample_all(metric, [stats_a, stats_b], settings.n_bootstrap, settings.seed)
        scores = (float(metric.aggregate(stats_a)), float(metric.aggregate(stats_b)))
        rho = float(np.corrcoef(res_a, res_b)[0, 1]) if np.std(res_a) > 0 and np.std(res_b) > 0 else 0.0
        delta = settings.delta if settings.delta is not None else scores[1] - scores[0]
        out.append(_row(a, name, tuple(labels), scores, len(pairing.ids), difference_se(res_a, res_b), rho,
                        True, delta, settings))
    return out


def _row(record: RunRecord, name: str, systems: Sequence[str], scores: tuple[float, ...], n: int, se: float,
         rho: float, measured: bool, delta: float | None, settings: PowerSettings) -> PowerRow:
    rule = settings.rule
    detectable = rule.detectable(se, settings.power)
    n_for = math.ceil(n * (detectable / delta) ** 2) if delta and se > 0 else None  # SE ∝ 1/√n
    entry = record.score(name)
    return PowerRow(record.task.name, name, tuple(systems), n, scores, se, rho, measured, detectable, delta,
                    rule.power_at(delta, se) if delta is not None else None, n_for, entry.signature,
                    entry.higher_is_better)


HEADER = ["task", "metric", "system", "n", "score", "SE of Δ", "ρ", "detectable Δ", "Δ", "power at Δ", "n for Δ"]


def _cells(row: PowerRow, digits: int = 2) -> list[str]:
    score = f"{row.scores[0]:.{digits}f}" if len(row.scores) == 1 else \
        f"{row.scores[0]:.{digits}f} -> {row.scores[1]:.{digits}f}"
    system = row.systems[0] if len(row.systems) == 1 else f"{row.systems[1]} vs {row.systems[0]}"
    return [row.task, row.metric if row.higher_is_better else f"{row.metric} ↓", system, f"{row.n:,}", score,
            f"{row.se:.{digits + 1}f}", f"{row.correlation:.2f}" + ("" if row.measured else " (assumed)"),
            f"{row.detectable:.{digits}f}", "-" if row.delta is None else f"{row.delta:+.{digits}f}",
            "-" if row.power_at_delta is None else f"{row.power_at_delta:.2f}",
            "-" if row.n_for_delta is None else f"{row.n_for_delta:,}"]


def notes(rows: Sequence[PowerRow], settings: PowerSettings) -> list[str]:
    out = [f"detectable Δ: the smallest true difference the significance rule finds with {settings.power:.0%} "
           f"power on this test set, (z(1-α) + z(power)) x SE of Δ = "
           f"{settings.rule.detectable(1.0, settings.power):.3f} x SE; the rule's bootstrap p is in effect "
           f"one-sided at α = {settings.alpha} (docs/reports.md: power)",
           f"SE of Δ: from {settings.n_bootstrap} bootstrap resamples of the stored statistics (seed "
           f"{settings.seed}); two runs: the spread of B - A on the same resamples, their covariance included"]
    if any(not r.measured for r in rows):
        out.append(f"one run: SE of Δ = SE of its score x √(2(1 - ρ)), a second system of the same variance "
                   f"whose resampled scores correlate ρ = {settings.correlation} with it (--correlation); "
                   f"pass two runs to measure ρ")
    out.append("n for Δ: examples the rule needs to find Δ with that power, assuming SE ∝ 1/√n (more "
               "examples drawn like these); Δ is --delta, else the observed difference of two runs")
    out.append(settings.rule.text())
    return out + ["signatures:"] + [f"  {sig}" for sig in dict.fromkeys(r.signature for r in rows)]


def format_power(rows: Sequence[PowerRow], settings: PowerSettings, fmt: str = "text") -> str:
    if fmt == "json":
        return dump_json({"settings": {k: v for k, v in asdict(settings).items()},
                          "significance": settings.rule.to_json(), "rows": [asdict(r) for r in rows]})
    return render(fmt, HEADER, [_cells(r) for r in rows], {3, 4, 5, 6, 7, 8, 9, 10}, notes(rows, settings),
                  caption="What this test set can detect")
