"""The offline demo: tiny models built here, evaluated with the baselines on the demo tasks.

Nothing is downloaded: tokenizers are trained on the demo texts, models are small random
configurations trained for a few hundred steps on the demo data (so their scores are above
the floor), and everything runs through the real generation path.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from itertools import takewhile
from pathlib import Path
from typing import Callable

from harness.cli.demo_settings import (BASELINES, DEMO_TASKS, EVALUATED, SEQ2SEQ_RUN, SWEPT_TASKS,
                                       DemoSettings)
from harness.engine import EngineSettings
from harness.engine.progress import Progress
from harness.record import RunRecord
from harness.reports.compare import CompareSettings, compare_paths
from harness.reports.compare_format import format_compare
from harness.reports.html import write_report
from harness.reports.leaderboard import build_leaderboard
from harness.reports.leaderboard_format import notes, table_rows
from harness.reports.render import text_table
from harness.reports.sweep import SweepSettings, format_sweep, run_sweep
from harness.reports.table import format_table, throughput_line
from harness.run.runner import evaluate
from harness.task import get_task
from harness.testing import tiny_models

WIDTH = 120  # a terminal table wider than this is split into several, the model column in each


def _texts(task_names: tuple[str, ...]) -> tuple[list[str], list[tuple[str, str]], list[str]]:
    """Every demo text, the translation pairs, and the translation prompts with their answers."""
    texts: list[str] = []
    pairs: list[tuple[str, str]] = []
    for name in task_names:
        for ex in get_task(name).load_examples():
            texts.extend(ex.references)
            if ex.source:
                texts.append(ex.source)
                if name == "demo-translation":
                    pairs.append((ex.source, ex.references[0]))
    task = get_task("demo-translation")
    examples = task.load_examples()
    requests = task.requests(examples, "prompt", task.generate_config())
    prompted = [f"{r.prompt} {ex.references[0]}" for r, ex in zip(requests, examples)]
    return texts, pairs, prompted


def _captions() -> list[tuple[str, str]]:
    return [(ex.image, ref) for ex in get_task("demo-captioning").load_examples()
            for ref in ex.references]


def build_models(folder: Path, settings: DemoSettings) -> dict[str, Path]:
    """The tiny models, trained on the demo data; ``seq2seq`` is the last checkpoint of its run."""
    texts, pairs, prompted = _texts(DEMO_TASKS)
    # a few hundred steps on the demo data itself: enough to make the scores move off the
    # floor and show the pipeline end to end; these are memorising toys, not baselines
    steps, seed, saved = settings.train_steps, settings.model_seed, settings.checkpoints
    return {
        "causal": _build("tiny-causal", f"decoder-only, {steps} steps on the demo texts and "
                         f"translation prompts", steps, lambda on_step: tiny_models.build_causal(
                             folder / "tiny-causal", texts + prompted, seed=seed, train_steps=steps,
                             on_step=on_step)),
        # trained on the translation pairs only: it answers news articles in German, so its
        # summarization scores stay near zero (the table says so)
        "seq2seq": _build("tiny-seq2seq", f"encoder-decoder, {saved[-1]} steps on the translation "
                          f"pairs, saved at steps {', '.join(map(str, saved))}", saved[-1],
                          lambda on_step: tiny_models.build_seq2seq_run(
                              folder / SEQ2SEQ_RUN, texts, checkpoints=saved, seed=seed,
                              pairs=pairs, on_step=on_step)[-1]),
        "vision": _build("tiny-vision2seq", f"image captioner, {steps} steps on the demo "
                         f"captions", steps, lambda on_step: tiny_models.build_vision2seq(
                             folder / "tiny-vision2seq", texts, seed=seed, train_steps=steps,
                             captions=_captions(), on_step=on_step)),
    }


def _build(name: str, what: str, steps: int, build: Callable) -> Path:
    """One model built with a line saying what, a progress bar over its training steps,
    and the time it took (a model built before is reused and says so)."""
    started = time.perf_counter()
    progress = Progress(steps, 0, f"training {name}", enabled=steps > 0, unit="steps")
    print(f"{name}: {what} ...", file=sys.stderr, flush=True)
    try:
        path = build(lambda: progress.update(1, 0))
    finally:
        progress.close()
    print(f"{name}: ready in {time.perf_counter() - started:.1f}s", file=sys.stderr, flush=True)
    return path


def _relative(path: Path) -> str:
    try:
        return os.path.relpath(path)
    except ValueError:
        return str(path)


def evaluate_demo(built: dict[str, Path], output: Path, settings: DemoSettings,
                  engine: EngineSettings | None = None,
                  on_record: Callable[[RunRecord], None] | None = None) -> list[RunRecord]:
    """Run the built models and the baselines on the demo tasks; the run records, in order."""
    kinds = {"causal": "hf-causal", "seq2seq": "hf-seq2seq", "vision": "hf-vision2seq"}
    runs = [(f"{kinds[name]}:{_relative(built[name])}", EVALUATED[name]) for name in
            ("seq2seq", "causal", "vision")] + list(BASELINES.items())
    records = []
    for spec, tasks in runs:
        for record in evaluate(spec, tasks, settings.run_options(output),
                               engine_settings=engine or EngineSettings()):
            if on_record is not None:
                on_record(record)
            records.append(record)
    return records


def run_demo(output: Path, quick: bool = False) -> int:
    tiny_models.import_libraries()  # a light install says what to add before the demo starts
    settings = DemoSettings.of(quick)
    print("\n".join(settings.describe(_relative(output / "models"))) + "\n", flush=True)
    started = time.perf_counter()
    print(f"building tiny local models in {output / 'models'} ...", file=sys.stderr)
    built = build_models(output / "models", settings)
    records = evaluate_demo(built, output, settings,
                            on_record=lambda r: print(throughput_line(r), file=sys.stderr))
    print(format_table(records, signatures=False))
    print("(the tiny encoder-decoder learned translation pairs only: it answers the articles in "
          "German, hence its near-zero ROUGE)")
    print(f"\n{len(records)} run records under {output}/ in {time.perf_counter() - started:.0f}s; "
          f"signatures are in each run.json", file=sys.stderr)
    publish_demo(output, settings, records)
    return 0


def publish_demo(output: Path, settings: DemoSettings, records: list[RunRecord]) -> Path:
    """The demo's closing: the checkpoint sweep with significance, the leaderboard, the report.

    Reports read this demo's run folders only: runs an earlier demo left in ``output`` (other
    settings, other models) would be rows of their own.
    """
    run = _relative(output / "models" / SEQ2SEQ_RUN)
    sweep_settings = SweepSettings(model_type="hf-seq2seq", tasks=SWEPT_TASKS, output=output,
                                   limit=settings.limit, seed=settings.seed,
                                   metrics=settings.metrics, gen_kwargs=dict(settings.gen_kwargs),
                                   n_bootstrap=settings.n_bootstrap)
    print(f"\nsweeping the checkpoints in {run} (the last was evaluated above) ...", file=sys.stderr)
    sweep = run_sweep([run], sweep_settings, log=lambda line: print(line, file=sys.stderr))
    print("\n== checkpoints of one model, step by step ==\n" + format_sweep(sweep))
    steps = sorted(sweep.records)
    first, last = (sweep.records[s][SWEPT_TASKS[0]].folder for s in (steps[0], steps[-1]))
    print(f"\n== the last checkpoint against the first (step {steps[-1]} vs {steps[0]}), paired tests ==")
    print(format_compare(compare_paths([first, last], CompareSettings(examples=1))))
    runs = records + [r for by_task in sweep.records.values() for r in by_task.values()]
    by_task = {task: list(dict.fromkeys(r.folder for r in runs if r.task.name == task))
               for task in DEMO_TASKS}
    print("\n== leaderboard of every demo run, a table per task ==\n"
          + format_task_boards(by_task, _relative(output / "models")))
    folders = [folder for task_folders in by_task.values() for folder in task_folders]
    report = write_report(folders, output / "report.html", title="harness demo")
    print(f"\nreport: {_relative(report)} (open it in a browser; it needs no network)")
    return report


def format_task_boards(runs: dict[str, list[Path]], models: str) -> str:
    """The leaderboard a task at a time (``runs``: task -> run folders), each table under
    ``WIDTH`` columns; model folders named from ``models``, which the notes give once."""
    boards = [build_leaderboard(folders) for folders in runs.values() if folders]
    out = []
    for board in boards:
        header = ["model"] + [c.key.split(":", 1)[1] + ("" if c.higher_is_better else " ↓")
                              for c in board.columns]
        rows = [[row[0].replace(f"{models}/", "")] + row[1:len(header)] for row in table_rows(board)]
        out.append(f"{board.columns[0].task}\n" + "\n\n".join(
            text_table(h, r, set(range(1, len(h)))) for h, r in _split_columns(header, rows)))
    # what a cell says and how clusters are made, as `harness leaderboard` words it
    legend = list(takewhile(lambda line: line != "signatures:", notes(boards[0])))
    signatures = [f"  {c.key}: {c.signature}" for b in boards for c in b.columns]
    return "\n\n".join(out) + "\n\n" + "\n".join(
        [f"models: under {models}/", *legend, "signatures:", *signatures,
         *(line for b in boards for line in b.run_notes())])


def _split_columns(header: list[str], rows: list[list[str]]) -> list[tuple[list[str], list[list[str]]]]:
    """The table as several, each with the first column and as many others as fit in WIDTH."""
    def width(i: int) -> int:
        return max([len(header[i])] + [len(r[i]) for r in rows]) + 2
    parts, current = [], [0]
    for i in range(1, len(header)):
        if len(current) > 1 and sum(map(width, current)) + width(i) > WIDTH:
            parts.append(current)
            current = [0]
        current.append(i)
    parts.append(current)
    return [([header[i] for i in part], [[r[i] for i in part] for r in rows]) for part in parts]


def cmd_demo(args: argparse.Namespace) -> int:
    return run_demo(Path(args.output), quick=args.quick)
