"""CPU generation throughput quiet and under a competing load, per thread setting.

OpenMP threads that spin while they wait for work are fast on idle cores and collapse when
another process wants the same cores; the wait policy is read once, when torch loads, so
every setting runs in a fresh process. Rounds interleave the settings and the two loads, so
the drift of a shared machine falls on all of them alike; each cell is the median of the
rounds.

    python bench/generation.py --contention                  # tiny causal model, 3 rounds
    python bench/generation.py --contention --repeats 5 --requests 24
    python bench/generation.py --contention --load generation   # beside a second harness run
"""
from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
BURN = "while True: pass"


def candidates(cores: int) -> dict[str, tuple[int | None, dict[str, str]]]:
    """name -> (threads= for the adapter, environment). GOMP_SPINCOUNT=300000 is libgomp's own
    spin when no policy is set, i.e. what torch did before the harness chose a policy."""
    return {
        f"{cores} threads, spin (libgomp default)": (cores, {"GOMP_SPINCOUNT": "300000"}),
        f"{cores} threads, ACTIVE": (cores, {"OMP_WAIT_POLICY": "ACTIVE"}),
        f"{cores} threads, PASSIVE": (cores, {"OMP_WAIT_POLICY": "PASSIVE"}),
        "1 thread": (1, {"GOMP_SPINCOUNT": "300000"}),
        "harness default": (None, {}),
    }


def child(folder: str, threads: int | None, requests: int, new_tokens: int, reps: int) -> dict:
    """Seconds of ``reps`` engine runs, after a warm-up; runs in its own process."""
    from generation import corpus, make_prompts

    from harness.engine import EngineSettings, generate
    from harness.models.hf.causal import HFCausal
    from harness.types import GenerateConfig, Request
    model = HFCausal(folder, threads=threads, device="cpu", dtype="float32")
    prompts = make_prompts(model.tokenizer, corpus(), requests, seed=0)
    config = GenerateConfig(max_new_tokens=new_tokens, min_new_tokens=new_tokens)
    reqs = [Request(example_id=str(i), prompt=p, config=config) for i, p in enumerate(prompts)]
    settings = EngineSettings(use_cache=False, progress=False)
    generate(model, reqs[:4], settings)  # warm-up: allocator, kernels, thread pool
    seconds, runtime = [], {}
    for _ in range(reps):
        started = time.perf_counter()
        _, acc = generate(model, reqs, settings)
        seconds.append(time.perf_counter() - started)
        runtime = acc.runtime
    return {"seconds": seconds, "threads": runtime.get("threads"),
            "wait_policy": os.environ.get("OMP_WAIT_POLICY", "")}


def run_child(folder: Path, threads: int | None, env: dict[str, str], args) -> dict:
    base = {k: v for k, v in os.environ.items() if k not in ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT")}
    cmd = [sys.executable, str(HERE / "contention.py"), "--child", str(folder),
           str(threads or 0), str(args.requests), str(args.new_tokens), str(args.reps)]
    out = subprocess.run(cmd, env={**base, **env}, capture_output=True, text=True, timeout=900)
    if out.returncode:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def burners(n: int, kind: str, folder: Path) -> list[subprocess.Popen]:
    """The competing load: ``n`` processes that want a core each all the time, or a second
    harness generation run with its default settings, over and over."""
    if kind == "generation":
        return [subprocess.Popen([sys.executable, str(HERE / "contention.py"), "--loop",
                                  str(folder)], stdout=subprocess.DEVNULL)]
    return [subprocess.Popen([sys.executable, "-c", BURN]) for _ in range(n)]


def stop(procs: list[subprocess.Popen]) -> None:
    for p in procs:
        p.kill()
    for p in procs:
        p.wait()


def contention(args) -> int:
    from harness.testing import tiny_models
    from harness.machine import available_cpus
    cores = available_cpus()
    root = Path(args.models_dir or tempfile.mkdtemp(prefix="harness-bench-"))
    folder = tiny_models.build_causal(root / "causal-tiny", tiny_models.default_texts() * 20,
                                      seed=0, size="tiny")
    table = candidates(cores)
    cells: dict[tuple[str, str], list[float]] = {}
    applied: dict[str, tuple] = {}
    load_avg = []
    for round_ in range(args.repeats):
        for load in ("quiet", "busy"):
            procs = burners(cores, args.load, folder) if load == "busy" else []
            try:
                # let the load take its cores (a generation run loads torch first)
                time.sleep((10 if args.load == "generation" else 0.5) if procs else 0)
                for name, (threads, env) in table.items():
                    result = run_child(folder, threads, env, args)
                    cells.setdefault((name, load), []).append(min(result["seconds"]))
                    applied[name] = (result["threads"], result["wait_policy"] or "unset")
            finally:
                stop(procs)
            load_avg.append(os.getloadavg()[0])
        print(f"round {round_ + 1}/{args.repeats} done", file=sys.stderr)
        report(table, cells, applied, cores, args, load_avg, round_ + 1)
    return 0


def report(table, cells, applied, cores, args, load_avg, rounds) -> None:
    """The table so far: a long run shows its figures after every round."""
    med = {k: statistics.median(v) for k, v in cells.items()}
    best = {load: min(med[(n, load)] for n in table) for load in ("quiet", "busy")}
    busy = f"{cores} spinning processes" if args.load == "spin" else "a second generation run"
    print(f"\n== tiny causal, {args.requests} requests x {args.new_tokens} new tokens, {cores} cores, "
          f"busy = {busy}; median of {rounds} interleaved rounds "
          f"(each the best of {args.reps}); 1-min load average seen {min(load_avg):.1f}-"
          f"{max(load_avg):.1f} ==")
    print(f"{'setting':38s} {'threads/policy':>16s} {'quiet s':>8s} {'busy s':>8s} "
          f"{'quiet/best':>10s} {'busy/best':>9s} {'busy/quiet':>10s}  busy runs")
    for name in table:
        q, b = med[(name, "quiet")], med[(name, "busy")]
        threads, policy = applied[name]
        runs = " ".join(f"{s:.2f}" for s in cells[(name, "busy")])
        print(f"{name:38s} {f'{threads}/{policy}':>16s} {q:8.2f} {b:8.2f} {q / best['quiet']:10.2f} "
              f"{b / best['busy']:9.2f} {b / q:10.2f}  [{runs}]")
    sys.stdout.flush()


def loop(folder: str) -> None:
    """A second harness run as the load: default settings, generating until killed."""
    from generation import corpus, make_prompts

    from harness.engine import EngineSettings, generate
    from harness.models.hf.causal import HFCausal
    from harness.types import GenerateConfig, Request
    model = HFCausal(folder, device="cpu", dtype="float32")
    config = GenerateConfig(max_new_tokens=32, min_new_tokens=32)
    reqs = [Request(example_id=str(i), prompt=p, config=config)
            for i, p in enumerate(make_prompts(model.tokenizer, corpus(), 12, seed=1))]
    while True:
        generate(model, reqs, EngineSettings(use_cache=False, progress=False))


def main(argv: list[str]) -> int:
    if argv[:1] == ["--loop"]:
        sys.path.insert(0, str(HERE.parent))
        loop(argv[1])
        return 0
    if argv[:1] == ["--child"]:
        sys.path.insert(0, str(HERE.parent))
        folder, threads, requests, new_tokens, reps = argv[1:6]
        print(json.dumps(child(folder, int(threads) or None, int(requests), int(new_tokens),
                               int(reps))))
        return 0
    raise SystemExit("run through bench/generation.py --contention")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
