"""Scaling out: one process vs several, through the real command line, side by side.

    python bench/scale.py                 # CPU: tiny causal model, 1 process vs 2 gloo ranks,
                                          # and vs 2 job-array shards merged
    python bench/scale.py --measure shards
    python bench/scale.py --gpu           # GPUs: GPT-2-medium-sized random-init model, bf16,
                                          # 1 GPU vs every GPU here (torchrun, NCCL)
    python bench/scale.py --gpu --gpus 2  # 1 vs 2 GPUs

Each configuration is one ``harness run`` of the same requests (a synthetic data file of
mixed lengths, exactly --new-tokens generated per request, greedy, no cache), timed from the
outside (wall: start-up and loading included) and by its run record (``generate_s`` and
generated tokens/s, the whole group's). Prints each configuration's numbers, its ratio to
the single process, and whether its predictions equal the single process's (required on CPU
in float32; on GPUs shape-dependent kernels in bf16 may flip near ties, so it is a fraction).

A measurement is one function from the arguments to rows: ``ranks`` (one ``torchrun`` job)
and ``shards`` (independent ``--shard I/N`` processes, merged by the last to finish).
"""
from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from harness.testing import tiny_models  # noqa: E402

TASK = "demo-translation"  # its prompt template over the synthetic --data file


@dataclass(frozen=True)
class Row:
    name: str
    wall_s: float
    generate_s: float
    tokens_per_s: float
    predictions: list[str]


def write_data(path: Path, n: int, seed: int, max_words: int) -> Path:
    """``n`` examples whose sources are 3..max_words words of the tiny models' sentences."""
    rng = random.Random(seed)
    words = " ".join(tiny_models.default_texts()).split()
    with path.open("w", encoding="utf-8") as f:
        for i in range(n):
            source = " ".join(rng.choice(words) for _ in range(rng.randint(3, max_words)))
            f.write(json.dumps({"id": i, "source": source, "references": [source]}) + "\n")
    return path


def command(launcher: list[str], model: Path, data: Path, out: Path, args,
            threads: int | None = None, extra: tuple[str, ...] = ()) -> list[str]:
    gen = f"max_new_tokens={args.new_tokens},min_new_tokens={args.new_tokens},num_beams=1"
    model_args = f"dtype={args.dtype}" + (",device=cpu" if not args.gpu else "") + \
        (f",threads={threads}" if threads else "")
    return [*launcher, "-m", "harness", "run", "--model", f"hf-causal:{model}", "--tasks", TASK,
            "--data", str(data), "--gen-kwargs", gen, "--model-args", model_args,
            "--no-cache", "--bootstrap", "0", "--no-progress", "--output", str(out), *extra]


def launch(argv: list[str], env: dict[str, str] | None = None) -> subprocess.Popen:
    path = os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])
    return subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": path, **(env or {})})


def collect(name: str, processes: list[subprocess.Popen], started: float, out: Path) -> Row:
    """The row of a finished run: its wall time from ``started``, its one run record."""
    for process in processes:
        _, err = process.communicate()
        if process.returncode != 0:
            sys.exit(f"{name} failed:\n{err[-3000:]}")
    wall = time.perf_counter() - started
    [record] = [json.loads(p.read_text()) for p in out.glob("*/*/2*/run.json")]
    samples = (next(out.glob("*/*/2*")) / "samples.jsonl").read_text().splitlines()
    return Row(name, wall, record["timings"]["generate_s"],
               record["throughput"]["generated_tokens_per_s"] or 0.0,
               [json.loads(line)["prediction"] for line in samples])


def run(name: str, launcher: list[str], model: Path, data: Path, out: Path, args,
        env: dict[str, str] | None = None, threads: int | None = None) -> Row:
    started = time.perf_counter()
    return collect(name, [launch(command(launcher, model, data, out, args, threads), env)],
                   started, out)


def torchrun(n: int) -> list[str]:
    return [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", str(n)]


def ranks(args, model: Path, data: Path, work: Path) -> list[Row]:
    """One plain process vs ``torchrun`` with N ranks (N GPUs, or N CPU processes sharing
    the cores: each rank takes its share of the threads; on CPU the single process runs once
    with every core and once with one thread, since torch threads on a busy machine can cost
    more than they bring)."""
    n = args.gpus if args.gpu else 2
    one_gpu = {"CUDA_VISIBLE_DEVICES": os.environ.get("CUDA_VISIBLE_DEVICES", "0").split(",")[0]} \
        if args.gpu else None
    rows = [run("1 process", [sys.executable], model, data, work / "one", args, env=one_gpu)]
    if not args.gpu:
        rows.append(run("1 process, 1 thread", [sys.executable], model, data, work / "one-1",
                        args, threads=1))
    rows.append(run(f"{n} ranks ({'nccl' if args.gpu else 'gloo'})", torchrun(n), model, data,
                    work / f"ranks{n}", args))
    return rows


def shards(args, model: Path, data: Path, work: Path) -> list[Row]:
    """One plain process vs N job-array shards started at once with no coordination
    (``--shard I/N``), the last to finish merging them into one run record. On CPU the cores
    are split between the shards; on GPUs each shard sees one. The merged record's generate
    time and tokens/s are the shards' own accounting, so wall time is the fair comparison."""
    n = args.gpus if args.gpu else 2
    one_gpu = {"CUDA_VISIBLE_DEVICES": "0"} if args.gpu else None
    rows = [run("1 process", [sys.executable], model, data, work / "one", args, env=one_gpu)]
    threads = None if args.gpu else max(1, (os.cpu_count() or 1) // n)
    out = work / f"shards{n}"
    started = time.perf_counter()
    processes = [launch(command([sys.executable], model, data, out, args, threads,
                                ("--shard", f"{i}/{n}")),
                        {"CUDA_VISIBLE_DEVICES": str(i)} if args.gpu else None)
                 for i in range(n)]
    rows.append(collect(f"{n} shards + merge", processes, started, out))
    return rows


MEASURES = {"ranks": ranks, "shards": shards}


def report(rows: list[Row]) -> None:
    base = rows[0]
    print(f"{'configuration':<20} {'wall s':>8} {'x':>6} {'generate s':>11} {'x':>6} "
          f"{'tok/s':>9} {'x':>6}  same predictions")
    for row in rows:
        same = sum(a == b for a, b in zip(row.predictions, base.predictions)) / len(base.predictions)
        print(f"{row.name:<20} {row.wall_s:>8.1f} {base.wall_s / row.wall_s:>6.2f} "
              f"{row.generate_s:>11.2f} {base.generate_s / row.generate_s:>6.2f} "
              f"{row.tokens_per_s:>9.0f} {row.tokens_per_s / max(base.tokens_per_s, 1e-9):>6.2f}  "
              f"{same:.0%}")


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--gpu", action="store_true", help="CUDA: a GPT-2-medium-sized model, bf16")
    parser.add_argument("--gpus", type=int, help="ranks, one a GPU (default: every GPU here; "
                                                 "more ranks than GPUs share them)")
    parser.add_argument("--measure", default=",".join(MEASURES), help="of: " + ", ".join(MEASURES))
    parser.add_argument("--examples", type=int)
    parser.add_argument("--new-tokens", type=int)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--models-dir", help="where the built model is kept (default: a temp dir)")
    args = parser.parse_args(argv)
    if args.gpu:
        import torch
        if not torch.cuda.is_available():
            parser.error("--gpu: no CUDA device here")
        args.gpus = args.gpus or torch.cuda.device_count()
        if args.gpus < 2:
            parser.error("--gpu compares 1 GPU with several; this machine has one (--gpus 2 "
                         "runs 2 ranks on it)")
    args.examples = args.examples or (2048 if args.gpu else 64)
    args.new_tokens = args.new_tokens or (64 if args.gpu else 32)
    args.dtype = "bfloat16" if args.gpu else "float32"
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        models = Path(args.models_dir) if args.models_dir else work / "models"
        size = "gpt2-medium-like" if args.gpu else "tiny"
        model = tiny_models.build_causal(models / f"causal-{size}", size=size, seed=args.seed)
        data = write_data(work / "data.jsonl", args.examples, args.seed,
                          max_words=200 if args.gpu else 60)
        print(f"{args.examples} examples, {args.new_tokens} new tokens each, {size} causal model, "
              f"{'CUDA ' + args.dtype if args.gpu else 'CPU float32'}")
        for name in args.measure.split(","):
            print(f"\n{name}:")
            report(MEASURES[name.strip()](args, model, data, work / name))
    return 0


if __name__ == "__main__":
    sys.exit(main())
