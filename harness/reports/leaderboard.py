"""``harness leaderboard``: one row per model, one column per comparable task x metric.

Only scores with equal signatures share a column: a run scored with another tokenizer,
references, library version or data starts its own column, named by the field that differs
and announced in a warning, and is never averaged with the others. Each column carries ranks,
95% CIs and significance clusters (``clusters.py``, under ``significance.py``'s rule, the one
``compare`` uses); a family mean is shown per metric where a
model has every task of the family (same metric, same scale).
"""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np

from harness.errors import UsageError
from harness.record import RunRecord
from harness.record.store import LeftOut, load_runs
from harness.reports import runs as R
from harness.reports.checks import (CheckedScore, check_lines, checked_score, left_out_lines,
                                    partial_lines)
from harness.reports.clusters import rank_systems
from harness.reports.significance import CORRECTIONS, SignificanceRule
from harness.signature import comparability


@dataclass(frozen=True)
class LeaderboardSettings:
    tasks: tuple[str, ...] = ()
    metrics: tuple[str, ...] = ()
    models: tuple[str, ...] = ()
    sort: str | None = None  # TASK:METRIC
    digits: int = 2
    alpha: float = 0.05
    correction: str = "none"
    n_bootstrap: int = 1000
    seed: int = 12345
    include_partial: bool = False  # partial runs shown (marked) instead of left out

    @property
    def rule(self) -> SignificanceRule:
        return SignificanceRule(self.alpha, self.n_bootstrap, self.seed, self.correction)


@dataclass(frozen=True)
class Column:
    key: str  # "wmt21:bleu", or "wmt21:bleu [tok:intl]" for a second signature
    task: str
    metric: str
    family: str
    signature: str
    higher_is_better: bool
    main: bool = True  # False: a signature that differs from the column's usual one


@dataclass(frozen=True)
class Cell:
    score: float
    ci95: tuple[float, float] | None
    rank: int
    rank_range: tuple[int, int]
    cluster: int
    run: str  # run folder
    check: CheckedScore | None = None  # score is check.value: what the run's statistics give
    partial: str | None = None  # "3 of 100 examples failed" for a partial run


@dataclass(frozen=True)
class Neighbours:
    """Two systems next to each other in a column's ranking (``better`` ranked first)."""

    better: str
    worse: str
    delta: float  # better - worse, in the metric's direction
    detectable: float  # the Δ the rule finds between them with 80% power (harness power)
    separated: bool


@dataclass
class Leaderboard:
    columns: list[Column]
    models: list[str]  # row order
    cells: dict[tuple[str, str], Cell]  # (model, column key)
    family_means: dict[tuple[str, str], float]  # (model, "family metric")
    settings: LeaderboardSettings
    warnings: list[str] = field(default_factory=list)
    left_out: list[LeftOut] = field(default_factory=list)  # runs found but not shown, and why
    # column key -> the pairs of systems the rule separates, each pair as a frozenset of two names
    separated: dict[str, set[frozenset]] = field(default_factory=dict)
    # column key -> systems next to each other in its ranking, and what the test set can detect there
    neighbours: dict[str, list[Neighbours]] = field(default_factory=dict)

    def frame(self):
        """Scores as a pandas DataFrame: models x column keys (NaN where a model has no run)."""
        import pandas as pd
        data = {c.key: [self.cells[(m, c.key)].score if (m, c.key) in self.cells else np.nan
                        for m in self.models] for c in self.columns}
        return pd.DataFrame(data, index=pd.Index(self.models, name="model"))

    def run_notes(self) -> list[str]:
        """What the marks in the cells mean, run by run, and the runs left out."""
        cells = [self.cells[(m, c.key)] for m in self.models for c in self.columns
                 if (m, c.key) in self.cells]
        return (check_lines([(cell.run, cell.check) for cell in cells if cell.check])
                + partial_lines([(cell.run, cell.partial) for cell in cells if cell.partial])
                + left_out_lines(self.left_out))

    def cluster_note(self) -> str:
        per_column = "" if self.settings.correction == "none" else " (correction over each column's pairs)"
        return (f"clusters: systems the rule below cannot separate{per_column}; rank range = best-worst "
                f"rank given the significant differences (WMT style)")

    def rule_note(self) -> str:
        return self.settings.rule.text()

    def power_notes(self) -> list[str]:
        """Per column, what the test set can tell apart between systems ranked next to each other."""
        d, out = self.settings.digits, []
        for c in self.columns:
            pairs = self.neighbours.get(c.key, [])
            if pairs:
                found = sorted(n.detectable for n in pairs)
                out.append(f"  {c.key}: the rule separates {sum(n.separated for n in pairs)} of {len(pairs)} "
                           f"neighbouring pairs; between neighbours this test set detects Δ ≥ "
                           f"{float(np.median(found)):.{d}f} (median; {found[0]:.{d}f}-{found[-1]:.{d}f})")
        return ["can the test set tell? (80% power; harness power for any pair)"] + out if out else []


def build_leaderboard(paths: Sequence[str | Path], settings: LeaderboardSettings = LeaderboardSettings()) -> Leaderboard:
    R.check_choice(settings.correction, CORRECTIONS, "--correction")
    records, left_out = shown_runs(paths, settings)
    # one row per system: a model and the settings that tell its runs apart (the run key);
    # two runs of one system in one column: the newest counts (_rank_column)
    labels = dict(zip(map(id, records), R.system_labels(records)))
    warnings: list[str] = []
    grouped = _columns(records, settings, warnings)
    cells: dict[tuple[str, str], Cell] = {}
    separated: dict[str, set[frozenset]] = {}
    neighbours: dict[str, list[Neighbours]] = {}
    for column, members in grouped:
        separated[column.key], neighbours[column.key] = _rank_column(column, members, labels, settings, cells,
                                                                     warnings)
    columns = [c for c, _ in grouped]
    models = list(dict.fromkeys(labels[id(r)] for r in records))
    board = Leaderboard(columns, models, cells, {}, settings, warnings, left_out, separated, neighbours)
    board.family_means = _family_means(board)
    board.models = _sorted_models(board)
    return board


def shown_runs(paths: Sequence[str | Path],
               settings: LeaderboardSettings) -> tuple[list[RunRecord], list[LeftOut]]:
    """The runs the board shows, and those it found but leaves out (status or filters)."""
    left_out: list[LeftOut] = []
    statuses = ("complete", "partial") if settings.include_partial else ("complete",)
    records = []
    for r in load_runs(list(paths), statuses=statuses, left_out=left_out):
        why = _filtered_by(r, settings)
        if why:
            left_out.append(LeftOut(r.folder, "filtered", why))
        else:
            records.append(r)
    if not records:
        where = ", ".join(map(str, paths))
        if not left_out:
            raise UsageError(f"no runs under {where}; `harness run` writes them")
        why = "match the filters" if {x.reason for x in left_out} == {"filtered"} else "can be shown"
        raise UsageError(f"no runs under {where} {why}; every run found is left out\n"
                         + "\n".join(left_out_lines(left_out)))
    return records, left_out


def _filtered_by(record: RunRecord, settings: LeaderboardSettings) -> str:
    """Which filter leaves a run out ('' if none does)."""
    if not (R.matches(record.model.spec, settings.models) or R.matches(record.model.label, settings.models)):
        return f"--models {','.join(settings.models)} does not match {record.model.label}"
    if not R.matches(record.task.name, settings.tasks):
        return f"--tasks {','.join(settings.tasks)} does not match {record.task.name}"
    if not any(R.matches(name, settings.metrics) for name in record.scores):
        return f"--metrics {','.join(settings.metrics)} matches none of {', '.join(record.scores) or 'no scores'}"
    return ""


def _columns(records: list[RunRecord], settings: LeaderboardSettings,
             warnings: list[str]) -> list[tuple[Column, list[RunRecord]]]:
    by_metric: dict[tuple[str, str], list[RunRecord]] = defaultdict(list)
    for r in records:
        for name in r.scores:
            if R.matches(name, settings.metrics):
                by_metric[(r.task.name, name)].append(r)
    out = []
    for (task, metric), members in by_metric.items():
        counts = Counter(r.score(metric).signature for r in members)
        usual = counts.most_common(1)[0][0]
        for signature in counts:
            group = [r for r in members if r.score(metric).signature == signature]
            key, main = f"{task}:{metric}", signature == usual
            if not main:
                diff = comparability(usual, signature).explain()
                key = f"{key} [{diff}]"
                warnings.append(f"{task} {metric}: {', '.join(r.model.label for r in group)} scored with "
                                f"another signature ({diff}); shown in their own column, never averaged")
            first = group[0]
            out.append((Column(key, task, metric, first.task.family, signature,
                               first.score(metric).higher_is_better, main), group))
    return out


def _rank_column(column: Column, members: list[RunRecord], labels: dict, settings: LeaderboardSettings,
                 cells: dict, warnings: list[str]) -> tuple[set[frozenset], list[Neighbours]]:
    latest: dict[str, RunRecord] = {}
    for r in sorted(members, key=lambda r: (r.created, r.run_id)):
        if labels[id(r)] in latest:
            warnings.append(f"{column.key}: {labels[id(r)]}: the newest run counts, not "
                            f"{latest[labels[id(r)]].folder}")
        latest[labels[id(r)]] = r  # one run per system and column: the newest
    names, runs = list(latest), list(latest.values())
    checks = [checked_score(r, column.metric) for r in runs]
    scores = [c.value for c in checks]  # ranked by what the statistics give, as the clusters are
    stats = _aligned_stats(column, runs, warnings) if len(runs) > 1 else None
    metric = runs[0].score(column.metric).metric() if stats is not None else None
    ranking = rank_systems(metric, stats, scores, column.higher_is_better, settings.rule)
    for i, (name, r, check) in enumerate(zip(names, runs, checks)):
        partial = LeftOut.of(r).detail if r.status == "partial" else None
        cells[(name, column.key)] = Cell(check.value, r.score(column.metric).ci95, ranking.rank[i],
                                         ranking.rank_range[i], ranking.cluster[i], str(r.folder), check, partial)
        if check.state == "mismatch":
            warnings.append(f"{r.folder}: run.json says {column.metric} {check.stored:.4f}, its statistics "
                            f"give {check.value:.4f}; shown and ranked by the statistics")
    separated = {frozenset((names[i], names[j])) for i in range(len(names)) for j in range(i + 1, len(names))
                 if ranking.significant[i, j]}
    sign = 1 if column.higher_is_better else -1
    neighbours = [Neighbours(names[i], names[j], sign * (scores[i] - scores[j]),
                             settings.rule.detectable(ranking.se[i, j]), bool(ranking.significant[i, j]))
                  for i, j in zip(ranking.order, ranking.order[1:]) if not np.isnan(ranking.se[i, j])]
    return separated, neighbours


def _aligned_stats(column: Column, runs: list[RunRecord], warnings: list[str]) -> list[np.ndarray] | None:
    """Each run's statistics on the examples all of them scored, in one order; None if untestable."""
    if any(not r.score(column.metric).stats or not r.score(column.metric).spec for r in runs):
        warnings.append(f"{column.key}: some runs stored no statistics; ranks without clusters")
        return None
    ids = [R.scored_ids(r) for r in runs]
    common = set(ids[0]).intersection(*map(set, ids[1:]))
    if len(common) < max(map(len, ids)):
        warnings.append(f"{column.key}: runs scored different examples (partial runs); clusters use "
                        f"the {len(common)} examples every run scored")
    order = [i for i in ids[0] if i in common]
    out = []
    for r, run_ids in zip(runs, ids):
        where = {i: k for k, i in enumerate(run_ids)}
        out.append(r.stats(column.metric)[[where[i] for i in order]])
    return out


def _family_means(board: Leaderboard) -> dict[tuple[str, str], float]:
    """Mean of one metric over a family's tasks, for models that have every one of them."""
    groups: dict[str, list[Column]] = defaultdict(list)
    for c in board.columns:
        if c.main:
            groups[f"{c.family} {c.metric}"].append(c)
    out = {}
    for name, cols in groups.items():
        if len({c.task for c in cols}) < 2:
            continue
        for m in board.models:
            values = [board.cells[(m, c.key)].score for c in cols if (m, c.key) in board.cells]
            if len(values) == len(cols):
                out[(m, name)] = float(np.mean(values))
    return out


def _sorted_models(board: Leaderboard) -> list[str]:
    key = board.settings.sort
    column = board.columns[0] if not key else next((c for c in board.columns if c.key == key), None)
    if column is None:
        raise UsageError(f"--sort {key}: no such column; columns are TASK:METRIC: "
                         f"{', '.join(c.key for c in board.columns)}")
    scores = board.frame()[column.key]
    ordered = scores.sort_values(ascending=not column.higher_is_better, na_position="last", kind="stable")
    return list(ordered.index)
