"""One process against N job-array shards run at the same time and merged: wall time, and
whether the merged run is the single run (every sample row, every score with its CI and
signature).

Each side is the real command line in fresh processes, with no generation cache, on a tiny
local model (built into a temporary folder). The machine's cores are split between the
shards (``threads=cores/N`` each), and the single process gets them all, so the ratio is what
sharding one machine buys; on N machines or accelerators each shard has its own.

    python bench/scale_shards.py                   # 2 shards, demo-translation (110 examples)
    python bench/scale_shards.py --shards 4 --max-new-tokens 32
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from harness import store, tiny_models  # noqa: E402


def harness(*args: str, cache: Path) -> subprocess.Popen:
    env = {**os.environ, "HARNESS_CACHE": str(cache),
           "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    return subprocess.Popen([sys.executable, "-m", "harness", "run", *args], env=env, cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def wait(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        _, err = process.communicate()
        if process.returncode:
            sys.exit(f"a run failed:\n{err[-3000:]}")


def rows(record) -> list[dict]:
    return [json.loads(line) for line in (record.folder / "samples.jsonl").read_text().splitlines()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--shards", type=int, default=2)
    parser.add_argument("--task", default="demo-translation")
    parser.add_argument("--max-new-tokens", type=int, default=64)
    args = parser.parse_args()
    cores = os.cpu_count() or 1
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        model = tiny_models.build_causal(root / "causal", train_steps=75)
        common = ["--model", f"hf-causal:{model}", "--tasks", args.task, "--no-cache",
                  "--no-progress", "--gen-kwargs", f"max_new_tokens={args.max_new_tokens}"]
        started = time.perf_counter()
        wait([harness(*common, "--model-args", f"threads={cores}", "--output", str(root / "one"),
                      cache=root / "cache-one")])
        one_s = time.perf_counter() - started
        threads = max(1, cores // args.shards)
        started = time.perf_counter()
        wait([harness(*common, "--model-args", f"threads={threads}", "--output",
                      str(root / "shards"), "--shard", f"{i}/{args.shards}", cache=root / "cache")
              for i in range(args.shards)])
        shards_s = time.perf_counter() - started
        single, = store.load_runs(root / "one")
        merged, = store.load_runs(root / "shards")
        same_rows = rows(single) == rows(merged)
        same_scores = {k: (s.score, s.ci95, s.signature) for k, s in single.scores.items()} == \
            {k: (s.score, s.ci95, s.signature) for k, s in merged.scores.items()}
    n = single.task.n_examples
    print(f"tiny causal model, {args.task}: {n} examples, greedy, max_new_tokens="
          f"{args.max_new_tokens}, no cache; {cores} cores")
    print(f"{'':28}{'wall s':>8}{'examples/s':>12}")
    print(f"{'1 process':28}{one_s:8.1f}{n / one_s:12.1f}")
    label = f"{args.shards} shards at once + merge"
    print(f"{label:28}{shards_s:8.1f}{n / shards_s:12.1f}   (x{one_s / shards_s:.2f})")
    print(f"identical outputs: {'yes' if same_rows else 'NO'} ({n} sample rows: predictions, raw "
          f"outputs, tokens, finish reasons, per-example scores)")
    print(f"identical scores: {'yes' if same_scores else 'NO'} ({', '.join(single.scores)}: "
          f"score, 95% CI, signature); merged from {merged.merged_from.count} shards")
    if not (same_rows and same_scores):
        sys.exit(1)


if __name__ == "__main__":
    main()
