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
from pathlib import Path
from typing import Callable

from harness.engine import EngineSettings
from harness.engine.progress import Progress
from harness.record import RunRecord
from harness.record.store import task_dir
from harness.reports.compare import CompareSettings, compare_paths
from harness.reports.compare_format import format_compare
from harness.reports.html import write_report
from harness.reports.leaderboard import build_leaderboard
from harness.reports.leaderboard_format import format_leaderboard
from harness.reports.sweep import SweepSettings, format_sweep, run_sweep
from harness.reports.table import format_table, throughput_line
from harness.run.runner import evaluate
from harness.run.options import RunOptions
from harness.task import get_task
from harness.testing import tiny_models

DEMO_TASKS = ("demo-translation", "demo-summarization", "demo-captioning")


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


def build_models(folder: Path, quick: bool = False) -> dict[str, Path]:
    texts, pairs, prompted = _texts(DEMO_TASKS)
    # a few hundred steps on the demo data itself: enough to make the scores move off the
    # floor and show the pipeline end to end; these are memorising toys, not baselines
    steps = 0 if quick else 300
    return {
        "causal": _build("tiny-causal", f"decoder-only, {steps} steps on the demo texts and "
                         f"translation prompts", steps, lambda on_step: tiny_models.build_causal(
                             folder / "tiny-causal", texts + prompted, seed=0, train_steps=steps,
                             on_step=on_step)),
        # trained on the translation pairs only: it answers news articles in German, so its
        # summarization scores stay near zero (the table says so)
        "seq2seq": _build("tiny-seq2seq", f"encoder-decoder, {steps} steps on the translation "
                          f"pairs", steps, lambda on_step: tiny_models.build_seq2seq(
                              folder / "tiny-seq2seq", texts, seed=0, train_steps=steps,
                              pairs=pairs, on_step=on_step)),
        "vision": _build("tiny-vision2seq", f"image captioner, {steps} steps on the demo "
                         f"captions", steps, lambda on_step: tiny_models.build_vision2seq(
                             folder / "tiny-vision2seq", texts, seed=0, train_steps=steps,
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


def evaluate_demo(built: dict[str, Path], output: Path, quick: bool = False,
                  settings: EngineSettings | None = None,
                  on_record: Callable[[RunRecord], None] | None = None) -> list[RunRecord]:
    """Run the built models and the baselines on the demo tasks; the run records, in order."""

    limit = 20 if quick else None
    runs = [
        (f"hf-seq2seq:{_relative(built['seq2seq'])}", ("demo-translation", "demo-summarization")),
        (f"hf-causal:{_relative(built['causal'])}", ("demo-translation", "demo-summarization")),
        (f"hf-vision2seq:{_relative(built['vision'])}", ("demo-captioning",)),
        ("copy-source", ("demo-translation",)),
        ("lead-3", ("demo-summarization",)),
    ]
    records = []
    options = RunOptions(limit=limit, output=output, gen_kwargs={"max_new_tokens": 32})
    for spec, tasks in runs:
        model_options = options if spec.startswith("hf-") else RunOptions(limit=limit, output=output)
        for record in evaluate(spec, tasks, model_options, engine_settings=settings or EngineSettings()):
            if on_record is not None:
                on_record(record)
            records.append(record)
    return records


def run_demo(output: Path, quick: bool = False) -> int:

    started = time.perf_counter()
    print(f"building tiny local models in {output / 'models'} ...", file=sys.stderr)
    built = build_models(output / "models", quick=quick)
    records = evaluate_demo(built, output, quick,
                            on_record=lambda r: print(throughput_line(r), file=sys.stderr))
    print(format_table(records, signatures=False))
    print("(the tiny encoder-decoder learned translation pairs only: it answers the articles in "
          "German, hence its near-zero ROUGE)")
    print(f"\n{len(records)} run records under {output}/ in {time.perf_counter() - started:.0f}s; "
          f"signatures are in each run.json", file=sys.stderr)
    publish_demo(output, quick)
    return 0


def train_checkpoints(folder: Path, quick: bool = False, trained: Path | None = None) -> list[Path]:
    """Two checkpoints of the demo's encoder-decoder, as a trainer would leave them.

    The later one has the settings of the demo's own encoder-decoder (``trained``), so that
    model is copied instead of trained twice; the builder sees its parameters and keeps it.
    """
    import shutil

    texts, pairs, _ = _texts(DEMO_TASKS)
    steps = (0, 20) if quick else (60, 300)
    same = folder / f"checkpoint-{0 if quick else 300}"
    if trained is not None and trained.is_dir() and not same.exists():
        shutil.copytree(trained, same)
    return [tiny_models.build_seq2seq(folder / f"checkpoint-{n}", texts, seed=0, train_steps=n, pairs=pairs)
            for n in steps]


def publish_demo(output: Path, quick: bool = False) -> Path:
    """The demo's closing: a checkpoint sweep with significance, the leaderboard, the report."""

    print(f"\ntraining two checkpoints of the tiny encoder-decoder in {output / 'models' / 'tiny-seq2seq-run'} ...",
          file=sys.stderr)
    early, late = train_checkpoints(output / "models" / "tiny-seq2seq-run", quick, output / "models" / "tiny-seq2seq")
    settings = SweepSettings(model_type="hf-seq2seq", tasks=("demo-translation",), output=output,
                             limit=20 if quick else None, gen_kwargs={"max_new_tokens": 32})
    sweep = run_sweep([early, late], settings, log=lambda line: print(line, file=sys.stderr))
    print("\n== checkpoints of one model, step by step ==\n" + format_sweep(sweep))
    runs = [task_dir(output, f"hf-seq2seq:{path}", "demo-translation") for path in (early, late)]
    print("\n== the later checkpoint against the earlier, paired tests ==")
    print(format_compare(compare_paths(runs, CompareSettings(examples=1))))
    board = build_leaderboard([output])
    print("\n== leaderboard of every demo run ==\n" + format_leaderboard(board))
    report = write_report([output], output / "report.html", title="harness demo")
    print(f"\nreport: {_relative(report)} (open it in a browser; it needs no network)")
    return report


def cmd_demo(args: argparse.Namespace) -> int:
    return run_demo(Path(args.output), quick=args.quick)
