"""``harness sweep``: every checkpoint of a training run, in step order, with curves and tests.

Checkpoints are evaluated through ``harness.evaluate`` like any model, so their run records
sit beside every other run, generations are cached, and a checkpoint already evaluated (a
finished run with the same run key for each task: the same weights, data, generation
settings, metrics, seed, post-processing and limit) is skipped: rerunning during training
evaluates only the new ones, and rerunning with other settings evaluates them all again.
"""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

from harness import data
from harness.engine import EngineSettings
from harness.errors import UsageError
from harness.record import RunRecord
from harness.record.key import RunKey
from harness.record.store import load_runs, slug, task_dir
from harness.reports import runs as R
from harness.reports.checks import CheckedScore, check_lines, checked_score, marks
from harness.reports.compare import CompareSettings, compare_pair
from harness.reports.plots import curve_figure, png_bytes, save
from harness.reports.render import dump_json, render
from harness.reports.significance import SignificanceRule
from harness.run.options import RunOptions
from harness.run.plan import load_model, model_input_kind, plan_run, run_key
from harness.run.runner import evaluate

CHECKPOINT = re.compile(r"^checkpoint-(\d+)$")  # what the Hugging Face Trainer writes


@dataclass(frozen=True)
class SweepSettings:
    model_type: str
    tasks: tuple[str, ...]
    output: Path = Path("results")
    limit: int | None = None
    seed: int = 12345
    metrics: tuple[str | Mapping[str, str], ...] = ()  # names, or specs with options
    gen_kwargs: Mapping[str, Any] = field(default_factory=dict)
    model_args: Mapping[str, Any] = field(default_factory=dict)
    data: Path | None = None
    postprocess: str | None = None  # as `harness run --postprocess`
    n_bootstrap: int = 1000
    plots: Path | None = None  # default: <output>/sweeps/<training run folder name>/


@dataclass
class Curve:
    task: str
    metric: str
    steps: list[int]
    scores: list[float]
    cis: list[tuple[float, float] | None]
    higher_is_better: bool
    best: int  # index into steps
    tests: dict[str, Any] = field(default_factory=dict)  # "last"/"first" -> Comparison (best vs it)
    files: list[Path] = field(default_factory=list)
    checks: list[tuple[str, CheckedScore]] = field(default_factory=list)  # (run folder, check) per step


@dataclass
class SweepResult:
    checkpoints: list[tuple[int, Path]]
    records: dict[int, dict[str, RunRecord]]  # step -> task -> run
    curves: list[Curve]


def find_checkpoints(paths: Sequence[str | Path]) -> list[tuple[int, Path]]:
    """(step, folder), in step order: the checkpoint-N folders of one folder, or the paths given."""
    paths = [Path(p) for p in paths]
    if len(paths) == 1 and paths[0].is_dir() and not CHECKPOINT.match(paths[0].name):
        found = [(int(CHECKPOINT.match(p.name).group(1)), p) for p in paths[0].iterdir()
                 if p.is_dir() and CHECKPOINT.match(p.name)]
        if not found:
            raise UsageError(f"{paths[0]}: no checkpoint-N folders in it (the Hugging Face Trainer's "
                             f"layout); pass the checkpoint folders themselves instead")
        return sorted(found)
    out = []
    for i, p in enumerate(paths):
        if not p.is_dir():
            raise UsageError(f"{p}: no such checkpoint folder")
        match = CHECKPOINT.match(p.name)
        out.append((int(match.group(1)) if match else i, p))  # unnamed paths: their position
    return sorted(out, key=lambda sp: sp[0])


def _finished(output: Path, key: RunKey) -> RunRecord | None:
    """The newest complete run with exactly this key, if one was made."""
    folder = task_dir(output, key.model, key.task)
    if not folder.is_dir():
        return None
    done = [r for r in load_runs(folder, all_runs=True) if r.key == key]
    return done[-1] if done else None


def run_sweep(paths: Sequence[str | Path], settings: SweepSettings,
              log: Callable[[str], None] = lambda line: None) -> SweepResult:
    checkpoints = find_checkpoints(paths)
    options = RunOptions(limit=settings.limit, seed=settings.seed, output=settings.output,
                         metrics=settings.metrics, gen_kwargs=dict(settings.gen_kwargs),
                         data=settings.data, postprocess=settings.postprocess,
                         n_bootstrap=settings.n_bootstrap)
    # every task checked, and its data read, once for all checkpoints and before any loads
    first = f"{settings.model_type}:{checkpoints[0][1]}"
    plans = plan_run(settings.tasks, options, model_input_kind(first, settings.model_args),
                     EngineSettings())
    fingerprints = [data.fingerprint(p.examples) for p in plans]
    records: dict[int, dict[str, RunRecord]] = {}
    for step, folder in checkpoints:
        spec = f"{settings.model_type}:{folder}"
        model = load_model(spec, settings.model_args)  # weights load on first use, not here
        keys = [run_key(spec, model, plan, fp, options) for plan, fp in zip(plans, fingerprints)]
        have = {k.task: r for k in keys if (r := _finished(settings.output, k))}
        missing = [t for t, k in zip(settings.tasks, keys) if k.task not in have]
        log(f"step {step}: {folder}: " + (f"evaluating {', '.join(missing)}" if missing
                                          else "done before, skipped (same settings)"))
        if missing:
            have.update({r.task.name: r for r in evaluate(spec, missing, options, model=model,
                                                          model_args=settings.model_args)})
        else:
            model.close()
        records[step] = {k.task: have[k.task] for k in keys}
    plots = settings.plots or settings.output / "sweeps" / _training_run(checkpoints)
    return SweepResult(checkpoints, records, curves(records, plots))


def _training_run(checkpoints: list[tuple[int, Path]]) -> str:
    return slug(checkpoints[0][1].resolve().parent.name)


def curves(records: dict[int, dict[str, RunRecord]], plots: Path | None, tests: bool = True) -> list[Curve]:
    """One curve per task x metric over the steps, the best checkpoint tested against the last and first."""
    steps = sorted(records)
    out = []
    tasks = dict.fromkeys(t for s in steps for t in records[s])
    for task in tasks:
        runs = [(s, records[s][task]) for s in steps if task in records[s]]
        for metric in runs[0][1].scores:
            points = [(s, r) for s, r in runs if metric in r.scores]
            entries = [r.score(metric) for _, r in points]
            higher = entries[0].higher_is_better
            checks = [(str(r.folder), checked_score(r, metric)) for _, r in points]
            values = [c.value for _, c in checks]  # what the statistics give, as the tests use
            best = max(range(len(values)), key=lambda i: values[i] if higher else -values[i])
            curve = Curve(task, metric, [s for s, _ in points], values, [e.ci95 for e in entries], higher, best,
                          checks=checks)
            best_run = points[best][1]
            for which, (_, other) in (("last", points[-1]), ("first", points[0])) if tests else ():
                if other is not best_run and metric in R.stored_metrics(other) and metric in R.stored_metrics(best_run):
                    [c] = compare_pair(other, best_run, CompareSettings(metrics=(metric,), force=True))
                    curve.tests[which] = c
            if plots is not None:
                fig = curve_figure(f"{task} {metric}", curve.steps, values, curve.cis, best, higher)
                curve.files = save(fig, plots / R.safe_name(f"{task}_{metric}"))
            out.append(curve)
    return out


def report_curves(records: Sequence[RunRecord]) -> list[dict]:
    """Curves for the HTML report: runs of checkpoint-N folders of one training run, per task."""
    import base64

    groups: dict[tuple[str, str], dict[int, dict[str, RunRecord]]] = {}
    for r in records:
        match = CHECKPOINT.match(Path(r.model.locator).name)
        if match:
            key = (str(Path(r.model.locator).parent), r.model.kind)
            groups.setdefault(key, {}).setdefault(int(match.group(1)), {})[r.task.name] = r
    out = []
    for (parent, _), by_step in groups.items():
        if len(by_step) < 2:
            continue
        for c in curves(by_step, None, tests=False):  # the page shows the curves; the tests are sweep's
            fig = curve_figure(f"{c.task} {c.metric}", c.steps, c.scores, c.cis, c.best, c.higher_is_better)
            out.append({"title": f"{parent}: {c.task} {c.metric}",
                        "png": base64.b64encode(png_bytes(fig)).decode()})
    return out


def _test_text(c) -> str:
    return (f"Δ {c.delta:+.2f} [{c.delta_ci95[0]:+.2f}, {c.delta_ci95[1]:+.2f}], p (bootstrap) "
            f"{c.p_bootstrap:.4f}, p (rand.) {c.p_randomization:.4f}: {c.verdict(0.05)}")


def sweep_table(result: SweepResult) -> tuple[list[str], list[list[str]], list[str]]:
    header = ["step", "checkpoint"] + [f"{c.task}:{c.metric}" + ("" if c.higher_is_better else " ↓")
                                       for c in result.curves]
    rows = []
    for step, folder in result.checkpoints:
        cells = []
        for c in result.curves:
            i = c.steps.index(step) if step in c.steps else None
            cells.append("-" if i is None else f"{c.scores[i]:.2f}" + (" *" if i == c.best else "")
                         + marks(c.checks[i][1] if c.checks else None))
        rows.append([str(step), folder.name] + cells)
    notes = ["* best checkpoint per column; tests: the best against the last and the first checkpoint",
             SignificanceRule().text()]
    for c in result.curves:
        best = c.steps[c.best]
        for which, comparison in c.tests.items():
            notes.append(f"{c.task} {c.metric}: best (step {best}) vs {which}: {_test_text(comparison)}")
        if not c.tests:
            notes.append(f"{c.task} {c.metric}: best (step {best}) is the first and the last")
    notes += check_lines([check for c in result.curves for check in c.checks])
    files = [str(p) for c in result.curves for p in c.files]
    if files:
        notes += ["curves:"] + [f"  {p}" for p in files]
    return header, rows, notes


def format_sweep(result: SweepResult, fmt: str = "text") -> str:
    if fmt == "json":
        return dump_json({"checkpoints": [{"step": s, "path": str(p)} for s, p in result.checkpoints],
                          "curves": [{"task": c.task, "metric": c.metric, "steps": c.steps, "scores": c.scores,
                                      "ci95": [list(ci) if ci else None for ci in c.cis],
                                      "higher_is_better": c.higher_is_better, "best_step": c.steps[c.best],
                                      "tests": {k: v.to_dict(0.05) for k, v in c.tests.items()},
                                      "files": [str(p) for p in c.files],
                                      "checks": [{"run": f, **asdict(k)} for f, k in c.checks]}
                                     for c in result.curves],
                          "runs": {str(s): {t: str(r.folder) for t, r in rs.items()}
                                   for s, rs in result.records.items()}})
    header, rows, notes = sweep_table(result)
    return render(fmt, header, rows, set(range(2, len(header))), [] if fmt == "csv" else notes,
                  caption="Scores by training step")
