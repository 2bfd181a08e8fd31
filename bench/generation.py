"""Generation throughput: one-at-a-time vs hand-tuned batches vs the harness engine.

One model, one set of mixed-length requests (10-400 input tokens), greedy decoding with
exactly --new-tokens generated per request (min_new_tokens = max_new_tokens), so every
method does the same work. Prints generated tokens/s for

  (a) naive: ``model.generate`` on one request at a time,
  (b) batched: ``model.generate`` over batches in request order, left/right padded, at the
      best fixed batch size of a sweep (what a hand-written evaluation script does),
  (c) the harness engine (length-sorted token-budget batches),

the ratios c/a and c/b, whether the three produced the same texts, the engine's padding
efficiency and its own overhead (wall time minus time inside ``model.generate``).

    python bench/generation.py                      # CPU, tiny causal + seq2seq models
    python bench/generation.py --threads 1,2        # engine with 1 and 2 torch threads
    python bench/generation.py --gpu                # GPT-2-medium / T5-base sized, bf16, CUDA
    python bench/generation.py --gpu --device cpu --dtype float32 --size tiny --requests 24
                                                    # dry run of the GPU code path on CPU
    python bench/generation.py --contention         # CPU thread settings, quiet and under a
                                                    # competing load (bench/contention.py)

Targets on CPU: c/b >= 1.0, c/a >= 4, padding efficiency >= 0.8. On GPUs, reduced
precision and shape-dependent kernels can flip near-tied tokens between batch sizes, so
text agreement is reported as a fraction rather than required.
"""
from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from harness.testing import tiny_models  # noqa: E402
from harness.engine import EngineSettings, generate  # noqa: E402
from harness.testing import shared_data  # noqa: E402
from harness.types import GenerateConfig, Request  # noqa: E402


def corpus() -> list[str]:
    data = shared_data()
    path = data / "translation" / "wmt21_newstest2021_de-en" / "test.jsonl" if data else None
    if path and path.is_file():
        rows = [json.loads(line) for line in path.read_text().splitlines()]
        return [r["source"] for r in rows] + [r["references"][0] for r in rows]
    return tiny_models.default_texts() * 20


def make_prompts(tokenizer, texts: list[str], n: int, seed: int, low=10, high=400) -> list[str]:
    """``n`` prompts with token lengths spread uniformly over [low, high]."""
    rng = random.Random(seed)
    prompts = []
    for _ in range(n):
        target, words = rng.randint(low, high), []
        while True:
            words += rng.choice(texts).split()
            if len(tokenizer(" ".join(words))["input_ids"]) >= target:
                break
        while len(words) > 1 and len(tokenizer(" ".join(words))["input_ids"]) > target:
            words.pop()
        prompts.append(" ".join(words))
    return prompts


def naive(model, prompts: list[str], new_tokens: int) -> tuple[list[str], float]:
    import torch
    network, tokenizer = model.network, model.tokenizer
    texts, started = [], time.perf_counter()
    for prompt in prompts:
        enc = tokenizer([prompt], return_tensors="pt").to(network.device)
        with torch.inference_mode():
            out = network.generate(**enc, max_new_tokens=new_tokens, min_new_tokens=new_tokens,
                                   do_sample=False, num_beams=1)
        start = enc["input_ids"].shape[1] if model.padding_side == "left" else 1
        texts.append(tokenizer.decode(out[0, start:], skip_special_tokens=True))
    _sync()
    return texts, time.perf_counter() - started


def batched(model, prompts: list[str], new_tokens: int, size: int) -> tuple[list[str], float, float]:
    """Fixed-size batches in request order; returns texts, seconds, padding efficiency."""
    import torch
    network, tokenizer = model.network, model.tokenizer
    texts, real, processed, started = [], 0, 0, time.perf_counter()
    for first in range(0, len(prompts), size):
        enc = tokenizer(prompts[first:first + size], return_tensors="pt", padding=True)
        real += int(enc["attention_mask"].sum()) + new_tokens * enc["input_ids"].shape[0]
        processed += enc["input_ids"].numel() + new_tokens * enc["input_ids"].shape[0]
        enc = enc.to(network.device)
        with torch.inference_mode():
            out = network.generate(**enc, max_new_tokens=new_tokens, min_new_tokens=new_tokens,
                                   do_sample=False, num_beams=1)
        start = enc["input_ids"].shape[1] if model.padding_side == "left" else 1
        texts += tokenizer.batch_decode(out[:, start:], skip_special_tokens=True)
    _sync()
    return texts, time.perf_counter() - started, real / processed


def _sync() -> None:
    import torch
    if torch.cuda.is_available():
        torch.cuda.synchronize()


def agreement(a: list[str], b: list[str]) -> float:
    """Share of equal texts over the shorter list (the naive run may cover a prefix)."""
    n = min(len(a), len(b))
    return sum(x == y for x, y in zip(a[:n], b[:n])) / max(n, 1)


def engine_run(model, requests, args, threads: int) -> tuple[float, list[str], dict]:
    import torch
    if args.device == "cpu":
        torch.set_num_threads(threads)
    started = time.perf_counter()
    generations, accounting = generate(model, requests, EngineSettings(
        use_cache=False, progress=False, max_batch_tokens=args.max_batch_tokens))
    return time.perf_counter() - started, [g.text for g in generations], accounting


def measure(model, prompts: list[str], args) -> dict:
    """Seconds and texts per method, the fastest of --repeats interleaved rounds: on a shared
    machine load drifts, and interleaving spreads it over the methods alike."""
    config = GenerateConfig(max_new_tokens=args.new_tokens, min_new_tokens=args.new_tokens)
    requests = [Request(example_id=str(i), prompt=p, config=config) for i, p in enumerate(prompts)]
    naive(model, prompts[:2], 4)  # warm-up (allocator, kernels)
    sweep = {size: batched(model, prompts, args.new_tokens, size)[1] for size in args.sweep}
    finalists = sorted(sweep, key=sweep.get)[:2]  # one noisy sweep run must not pick for (b)
    naive_prompts = prompts[:args.naive_limit or len(prompts)]
    runs: dict = {}

    def keep(name, result):
        if name not in runs or result[0] < runs[name][0]:
            runs[name] = result

    for _ in range(args.repeats):
        texts, seconds = naive(model, naive_prompts, args.new_tokens)
        keep("a", (seconds, texts))
        for size in finalists:
            texts, seconds, padding = batched(model, prompts, args.new_tokens, size)
            keep("b", (seconds, texts, padding, size))
        for threads in args.threads:
            keep(("c", threads), engine_run(model, requests, args, threads))
    return {"sweep": sweep, "naive_n": len(naive_prompts), **runs}


def bench_one(kind: str, folder: Path, args, texts: list[str]) -> bool:
    from harness.models.hf.causal import HFCausal
    from harness.models.hf.seq2seq import HFSeq2Seq
    adapter = HFCausal if kind == "causal" else HFSeq2Seq
    model = adapter(str(folder), dtype=args.dtype, device=args.device)
    model.network  # noqa: B018 - loaded before anything is timed
    prompts = make_prompts(model.tokenizer, texts, args.requests, args.seed)
    m = measure(model, prompts, args)
    model.close()
    tokens = args.new_tokens * len(prompts)
    seconds_a, texts_a = m["a"]
    rate_a = args.new_tokens * m["naive_n"] / seconds_a
    seconds_b, texts_b, pad_b, best = m["b"]
    rate_b = tokens / seconds_b
    engine = {t: m[("c", t)] for t in args.threads}
    threads = min(engine, key=lambda t: engine[t][0])
    wall_c, texts_c, acc = engine[threads]
    rate_c = tokens / wall_c

    on_cpu = str(acc.runtime.get("device")).startswith("cpu")
    device = f"{acc.runtime.get('device')}, {acc.runtime.get('dtype')}" + (f", threads={threads}" if on_cpu else "")
    print(f"\n== {kind} {args.size_for(kind)} ({device}): {len(prompts)} requests, "
          f"10-400 input tokens, {args.new_tokens} new tokens each, best of {args.repeats} ==")
    print(f"(a) one at a time        {rate_a:9.0f} tok/s  "
          f"({seconds_a:.2f} s for the first {m['naive_n']} requests)")
    print(f"(b) batched, best size {best:<3d}{rate_b:9.0f} tok/s  padding efficiency {pad_b:.2f}  "
          f"[sweep, one run each: {', '.join(f'{s}: {tokens / t:.0f}' for s, t in m['sweep'].items())}]")
    print(f"(c) harness engine       {rate_c:9.0f} tok/s  padding efficiency "
          f"{acc.padding_efficiency:.2f}  batches {acc.batches.count} "
          f"(mean {acc.batches.mean_rows:.1f} rows)")
    if len(engine) > 1:
        print("    engine by threads: " + ", ".join(
            f"{t}: {tokens / engine[t][0]:.0f} tok/s" for t in sorted(engine)))
    overhead = wall_c - acc.model_s
    print(f"    engine overhead {overhead:.3f} s of {wall_c:.2f} s ({100 * overhead / wall_c:.1f}%: "
          f"tokenizing, planning, padding, decoding, bookkeeping)")
    same = {"a=b": agreement(texts_a, texts_b), "a=c": agreement(texts_a, texts_c),
            "b=c": agreement(texts_b, texts_c)}
    print(f"c/a = {rate_c / rate_a:.2f}   c/b = {rate_c / rate_b:.2f}   same texts: "
          + ", ".join(f"{pair} {share:.0%}" for pair, share in same.items()))
    # only CPU float32 promises identical texts (see the module docstring)
    return args.device != "cpu" or args.dtype != "float32" or set(same.values()) == {1.0}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--gpu", action="store_true", help="CUDA, bf16, public-checkpoint sizes")
    parser.add_argument("--contention", action="store_true",
                        help="CPU thread settings quiet and under a competing load")
    parser.add_argument("--load", choices=("spin", "generation"), default="spin",
                        help="with --contention: the competing load, a spinning process per "
                             "core or a second generation run")
    parser.add_argument("--reps", type=int, default=2,
                        help="with --contention: timed runs per process (the fastest counts)")
    parser.add_argument("--size", help="model size for both models (tiny_models sizes)")
    parser.add_argument("--device", help="override: cpu, cuda (with --gpu, cpu makes a dry run)")
    parser.add_argument("--dtype", help="override: float32, bfloat16, float16")
    parser.add_argument("--models", default="causal,seq2seq")
    parser.add_argument("--requests", type=int)
    parser.add_argument("--new-tokens", type=int)
    parser.add_argument("--naive-limit", type=int, help="requests timed one at a time (a rate)")
    parser.add_argument("--sweep", help="fixed batch sizes for (b), e.g. 4,8,16,32")
    parser.add_argument("--threads", default="2", help="torch threads for the engine, e.g. 1,2")
    parser.add_argument("--max-batch-tokens", type=int)
    parser.add_argument("--repeats", type=int, help="interleaved rounds; the fastest counts")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--models-dir", help="where built models are kept (default: a temp dir)")
    args = parser.parse_args(argv)
    gpu = args.gpu
    args.device = args.device or ("cuda" if gpu else "cpu")
    args.dtype = args.dtype or ("bfloat16" if gpu else "float32")
    args.requests = args.requests or (512 if gpu else 24 if args.contention else 64)
    args.new_tokens = args.new_tokens or (64 if gpu else 32)
    args.naive_limit = args.naive_limit or (32 if gpu else 24)
    args.repeats = args.repeats or (2 if gpu else 3)
    args.sweep = [int(s) for s in (args.sweep or ("16,32,64,128,256" if gpu else "4,8,16,32,64")).split(",")]
    args.threads = [int(t) for t in args.threads.split(",")]
    sizes = {"causal": args.size or ("gpt2-medium-like" if gpu else "tiny"),
             "seq2seq": args.size or ("t5-base-like" if gpu else "tiny")}
    args.size_for = sizes.get
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.contention:
        from contention import contention
        return contention(args)
    texts = corpus()
    root = Path(args.models_dir or tempfile.mkdtemp(prefix="harness-bench-"))
    ok = True
    for kind in args.models.split(","):
        build = tiny_models.build_causal if kind == "causal" else tiny_models.build_seq2seq
        started = time.perf_counter()
        folder = build(root / f"{kind}-{args.size_for(kind)}", texts, seed=0, size=args.size_for(kind))
        print(f"built {kind} {args.size_for(kind)} in {time.perf_counter() - started:.1f} s", file=sys.stderr)
        ok &= bench_one(kind, folder, args, texts)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
