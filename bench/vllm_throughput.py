"""Generation throughput: vLLM (the ``vllm`` backend) against the harness engine on hf-causal,
side by side in one run, on one checkpoint and one set of requests.

The same mixed-length requests as bench/generation.py (10-400 input tokens, greedy, exactly
--new-tokens generated each: min_new_tokens = max_new_tokens) through hf-causal in this
process (the harness engine's length-sorted token-budget batches, per --threads) and through
vLLM in its own environment (scripts/vllm-env.sh; harness.testing.vllm_oracle drives it in a
subprocess, the model loaded once), in interleaved rounds. Prints generated tokens/s (best of --repeats rounds after
a warm-up), load seconds, peak memory of each side's whole process tree (vLLM runs an engine
process and a worker besides the caller: RSS summed over them counts shared pages once per
process, PSS splits them), the ratio vllm / hf-causal at its best thread count and whether
both produced the same texts.

    python bench/vllm_throughput.py                          # CPU, tiny-h32 causal model
    python bench/vllm_throughput.py --size small --requests 128
    python bench/vllm_throughput.py --eager                  # vLLM without torch.compile
    python bench/vllm_throughput.py --vllm-env VLLM_CPU_OMP_THREADS_BIND=0-1 \\
                                    --vllm-env VLLM_CPU_NUM_OF_RESERVED_CPU=0

On a CPU, vLLM binds its compute threads to the cores it does not reserve for its scheduler,
which polls: on 2 cores, one of each.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from generation import agreement, corpus, engine_run, make_prompts  # noqa: E402

from harness.testing import tiny_models  # noqa: E402
from harness.testing import vllm_oracle  # noqa: E402
from harness.testing.memory import TreeMemory  # noqa: E402
from harness.types import GenerateConfig, Request  # noqa: E402

MIB = 1 << 20


def measure(folder: Path, requests: list[Request], args) -> dict:
    """Both sides loaded at once, then --repeats interleaved rounds (hf-causal at each thread
    count, then vLLM), the fastest of each counting: on a shared machine load drifts, and
    interleaving spreads it over both alike (vLLM's processes idle at ~0% CPU between rounds)."""
    from harness.models.hf.causal import HFCausal
    model_args = {"dtype": "float32", "enforce_eager": args.eager}
    if args.kv_cache_gib:
        model_args["kv_cache_gib"] = args.kv_cache_gib
    env = dict(item.split("=", 1) for item in args.vllm_env)
    started = time.perf_counter()
    worker = vllm_oracle.VLLMWorker(str(folder), model_args, env=env)
    hf_memory = TreeMemory(os.getpid(), children=False)  # this process, not vLLM's
    try:
        with TreeMemory(worker.pid) as vllm_memory, hf_memory:
            worker.ready  # noqa: B018 - the process, vLLM's imports and the model
            vllm_load_s = time.perf_counter() - started
            started = time.perf_counter()
            model = HFCausal(str(folder), dtype="float32", device="cpu")
            model.network  # noqa: B018 - loaded before anything is timed
            hf_load_s = time.perf_counter() - started
            engine_run(model, requests[:2], args, max(args.threads))  # warm-ups
            worker.generate(requests[:2])
            hf: dict = {}
            vllm: dict = {}
            for _ in range(args.repeats):
                for threads in args.threads:
                    seconds, texts, _ = engine_run(model, requests, args, threads)
                    if threads not in hf or seconds < hf[threads]["seconds"]:
                        hf[threads] = {"seconds": seconds, "texts": texts}
                generations, seconds = worker.generate(requests)
                if not vllm or seconds < vllm["seconds"]:
                    vllm = {"seconds": seconds, "texts": [g.text for g in generations]}
            model.close()
    finally:
        worker.close()
    return {"hf": {"threads": hf, "load_s": hf_load_s, "rss": hf_memory.peak.rss,
                   "pss": hf_memory.peak.pss},
            "vllm": {**vllm, "load_s": vllm_load_s, "rss": vllm_memory.peak.rss,
                     "pss": vllm_memory.peak.pss, "model_load_s": worker.ready["load_s"]}}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", default="tiny-h32",
                        help="causal model size (tiny_models; vLLM's CPU attention needs heads "
                             "32+ wide: tiny-h32, small)")
    parser.add_argument("--requests", type=int, default=64)
    parser.add_argument("--new-tokens", type=int, default=32)
    parser.add_argument("--repeats", type=int, default=3, help="rounds per side; the fastest counts")
    parser.add_argument("--threads", default="1,2", help="torch threads for hf-causal, e.g. 1,2")
    parser.add_argument("--eager", action="store_true", help="vLLM's enforce_eager (no compile)")
    parser.add_argument("--kv-cache-gib", type=float, help="vLLM's KV cache (default: the adapter's)")
    parser.add_argument("--vllm-env", action="append", default=[], metavar="KEY=VALUE",
                        help="environment for vLLM's processes (thread binding), repeatable")
    parser.add_argument("--max-batch-tokens", type=int, help="the hf-causal engine's token budget")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--dump", help="write the prompts and both sides' texts to this JSON file")
    parser.add_argument("--models-dir", help="where built models are kept (default: a temp dir)")
    args = parser.parse_args(argv)
    args.threads = [int(t) for t in args.threads.split(",")]
    args.device = "cpu"  # for generation.engine_run
    if vllm_oracle.vllm_python() is None:
        print(f"vllm_throughput: {vllm_oracle.missing_reason()}", file=sys.stderr)
        return 2

    texts = corpus()
    root = Path(args.models_dir or tempfile.mkdtemp(prefix="harness-bench-"))
    folder = tiny_models.build_causal(root / f"causal-{args.size}", texts, seed=0, size=args.size)
    from transformers import AutoTokenizer
    prompts = make_prompts(AutoTokenizer.from_pretrained(folder), texts, args.requests, args.seed)
    config = GenerateConfig(max_new_tokens=args.new_tokens, min_new_tokens=args.new_tokens)
    requests = [Request(example_id=str(i), prompt=p, config=config) for i, p in enumerate(prompts)]
    tokens = args.new_tokens * len(requests)

    measured = measure(folder, requests, args)
    hf, vl = measured["hf"], measured["vllm"]

    threads = min(hf["threads"], key=lambda t: hf["threads"][t]["seconds"])
    rate_hf = tokens / hf["threads"][threads]["seconds"]
    rate_vllm = tokens / vl["seconds"]
    mode = "eager" if args.eager else "compiled"
    print(f"\n== vllm vs hf-causal engine: causal {args.size} (cpu, float32), {len(requests)} "
          f"requests, 10-400 input tokens, {args.new_tokens} new tokens each, best of "
          f"{args.repeats} ==")
    print(f"{'':46}{'tok/s':>9}{'load s':>9}{'peak RSS tree':>15}{'peak PSS tree':>15}")
    for t in sorted(hf["threads"]):
        rate = tokens / hf["threads"][t]["seconds"]
        print(f"{f'hf-causal engine, threads={t}':46}{rate:9.0f}{hf['load_s']:9.1f}"
              f"{hf['rss'] / MIB:12.0f} MiB{hf['pss'] / MIB:12.0f} MiB")
    binding = ", ".join(args.vllm_env) or "default binding"
    print(f"{f'vllm {mode} ({binding})':46}{rate_vllm:9.0f}{vl['load_s']:9.1f}"
          f"{vl['rss'] / MIB:12.0f} MiB{vl['pss'] / MIB:12.0f} MiB")
    print("    load: vLLM's includes importing it and starting its engine and worker processes; "
          "memory: hf-causal's is this process's, vLLM's its worker's whole tree")
    same = agreement(hf["threads"][threads]["texts"], vl["texts"])
    differ = [r.example_id for r, a, b in zip(requests, hf["threads"][threads]["texts"], vl["texts"])
              if a != b]
    print(f"vllm / hf-causal (threads={threads}) = {rate_vllm / rate_hf:.2f}   "
          f"same texts: {same:.0%}" + (f" (differ: requests {', '.join(differ)})" if differ else ""))
    if args.dump:
        Path(args.dump).write_text(json.dumps({"prompts": prompts, "hf": hf["threads"][threads]["texts"],
                                               "vllm": vl["texts"]}))
    return 0 if same == 1.0 else 1


if __name__ == "__main__":
    sys.exit(main())
