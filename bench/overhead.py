"""The harness's own overhead in a demo run: everything that is not the model.

Runs what `harness demo` runs — build (and briefly train) the tiny models, then evaluate
them on the demo tasks — and splits the wall time into model work (building/training,
loading, and forward passes inside ``generate`` as the engine measures them) and the rest —
data, prompts, batching, cache, scoring with bootstrap CIs, writing records — which is the
harness's overhead. It is reported as a share of the whole demo run and of the evaluation
phase alone; with tiny models the latter is dominated by fixed costs paid once per process
(importing nltk for stemming, starting Java for the PTB tokenizer), not by per-example work.

    python bench/overhead.py            # the full demo (all examples)
    python bench/overhead.py --quick    # 20 examples per task

Target: overhead < 5% of the wall time.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from harness.demo import build_models  # noqa: E402
from harness.engine import EngineSettings  # noqa: E402
from harness.pipeline import RunOptions, evaluate  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    limit = 20 if args.quick else None
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        t_build = time.perf_counter()
        built = build_models(root / "models")
        build_s = time.perf_counter() - t_build
        runs = [(f"hf-seq2seq:{built['seq2seq']}", ("demo-translation", "demo-summarization")),
                (f"hf-causal:{built['causal']}", ("demo-translation", "demo-summarization")),
                (f"hf-vision2seq:{built['vision']}", ("demo-captioning",))]
        settings = EngineSettings(use_cache=False, progress=False)
        options = RunOptions(limit=limit, output=root / "out", gen_kwargs={"max_new_tokens": 32})
        rows = []
        started = time.perf_counter()
        for spec, tasks in runs:
            t0 = time.perf_counter()
            records = evaluate(spec, tasks, options, engine_settings=settings)
            wall = time.perf_counter() - t0
            model = sum(r.timings["seconds"].get("model", 0.0) for r in records)
            load = sum(r.timings["seconds"]["load"] for r in records)
            scoring = sum(r.timings["scoring_s"] for r in records)
            rows.append((spec.split(":")[0], wall, model, load, scoring))
        total = time.perf_counter() - started
    print(f"{'model':<14}{'wall s':>9}{'model s':>9}{'load s':>8}{'scoring s':>11}{'overhead':>10}")
    for name, wall, model, load, scoring in rows:
        over = wall - model - load
        print(f"{name:<14}{wall:9.2f}{model:9.2f}{load:8.2f}{scoring:11.2f}{over / wall:9.1%}")
    model = sum(r[2] for r in rows)
    load = sum(r[3] for r in rows)
    over = total - model - load
    print(f"{'all':<14}{total:9.2f}{model:9.2f}{load:8.2f}{sum(r[4] for r in rows):11.2f}"
          f"{over / total:9.1%}")
    demo = total + build_s
    print(f"\nbuilding and training the tiny models: {build_s:.2f} s")
    print(f"harness overhead: {over:.2f} s = {over / demo:.1%} of the demo run's {demo:.2f} s wall "
          f"(target < 5%); {over / total:.1%} of the evaluation phase alone")


if __name__ == "__main__":
    main()
