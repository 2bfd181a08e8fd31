"""The harness's own overhead in a demo run: everything that is not the model.

Runs what `harness demo` runs: build (and briefly train) the tiny models, then evaluate
them and the baselines on the demo tasks, with the generation cache (in a fresh folder),
progress bars and throughput lines, and print the score table. The wall time is split
into model work (building/training, loading, and the forward passes inside ``generate``
as the engine measures them) and the rest: data, prompts, batching, cache, scoring with
bootstrap CIs, writing records, the table. That rest is the harness's overhead. It is
reported as a share of the whole demo run and of the evaluation phase alone; with tiny
models the latter is dominated by costs paid once per process (first imports of the
scorers, e.g. nltk for ROUGE's stemmer; starting Java for the PTB tokenizer).

    python bench/overhead.py            # the full demo (all examples)
    python bench/overhead.py --quick    # 20 examples per task

Target: overhead < 5% of the demo run's wall time.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from harness.cli.demo import build_models, evaluate_demo  # noqa: E402
from harness.cli.demo_settings import DemoSettings  # noqa: E402
from harness.engine import EngineSettings  # noqa: E402
from harness.reports.table import format_table, throughput_line  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        t_build = time.perf_counter()
        demo = DemoSettings.of(args.quick)
        built = build_models(root / "models", demo)
        build_s = time.perf_counter() - t_build
        settings = EngineSettings(cache_dir=root / "cache")
        started = time.perf_counter()
        records = evaluate_demo(built, root / "out", demo, settings,
                                on_record=lambda r: print(throughput_line(r), file=sys.stderr))
        table = format_table(records, signatures=False)
        total = time.perf_counter() - started
    print(table)
    rows: dict[str, list[float]] = {}
    for r in records:
        t = r.timings
        row = rows.setdefault(r.model.kind, [0.0, 0.0, 0.0, 0.0])
        row[0] += t.load_s + t.generate_s + t.score_s
        row[1] += t.model_s or 0.0
        row[2] += t.load_s
        row[3] += t.score_s
    print(f"\n{'model':<16}{'gen+score s':>12}{'model s':>9}{'load s':>8}{'scoring s':>11}")
    for name, (wall, model, load, scoring) in rows.items():
        print(f"{name:<16}{wall:12.2f}{model:9.2f}{load:8.2f}{scoring:11.2f}")
    model = sum(r[1] for r in rows.values())
    load = sum(r[2] for r in rows.values())
    over = total - model - load
    demo = total + build_s
    print(f"\nevaluation phase {total:.2f} s: model {model:.2f} s, loading {load:.2f} s, "
          f"scoring {sum(r[3] for r in rows.values()):.2f} s, everything else in the harness "
          f"{over - sum(r[3] for r in rows.values()):.2f} s")
    print(f"building and training the tiny models: {build_s:.2f} s")
    print(f"harness overhead: {over:.2f} s = {over / demo:.1%} of the demo run's {demo:.2f} s wall "
          f"(target < 5%); {over / total:.1%} of the evaluation phase alone")


if __name__ == "__main__":
    main()
