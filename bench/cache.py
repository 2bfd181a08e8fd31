"""The generation cache's two on-disk formats side by side: the single SQLite file (``local``)
and one append-only log per writer (``shared``), on a local folder.

For each format it times

  (a) writing N generations as the engine commits them (``--per-commit`` per commit, one
      commit per batch), for each N of ``--n``;
  (b) a fresh reader (a new process): start, open and look up the first ``--first`` keys, then
      all N keys;
  (c) the overhead per engine call of claims and their heartbeat thread on a small run
      (``--requests`` requests of a model that costs nothing), against no claims: with every
      request new, and again with every request cached;
  (d) the peak memory (RSS) of the reader process of (b), after its first lookups and after
      all N;

and a concurrent case: two processes running the same ``--shared-requests`` requests of a
model that takes ``--request-s`` per request, on one cache: how many each generated, and
the time until both finished. Ratios are logs / SQLite (above 1: the logs are slower).

    python bench/cache.py                       # N = 10k and 100k, the temp folder
    python bench/cache.py --n 2000 --folder /mnt/nfs/tmp   # a quick try, another disk
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from harness.engine import EngineSettings, cache_mode, generate  # noqa: E402
from harness.engine.cache import GenerationCache, SharedCache  # noqa: E402
from harness.models.base import Model  # noqa: E402
from harness.types import GenerateConfig, Generation, Request  # noqa: E402

FORMATS = {"sqlite": ("local", GenerationCache), "logs": ("shared", SharedCache)}
FINGERPRINT = {"locator": "bench-model", "weights": "0" * 64}


def key(i: int) -> str:
    return hashlib.sha256(f"request {i}".encode()).hexdigest()


def generation(i: int) -> Generation:
    # about a sentence of translation output, as the WMT tasks cache
    return Generation(example_id=f"ex{i}", text=f"Das ist der Satz Nummer {i}, " * 6,
                      num_tokens=60, finish_reason="eos", prompt_tokens=40)


def write(fmt: str, folder: Path, n: int, per_commit: int) -> float:
    cache = FORMATS[fmt][1](folder, FINGERPRINT)
    started = time.perf_counter()
    for start in range(0, n, per_commit):
        cache.put_many([(key(i), generation(i)) for i in range(start, min(n, start + per_commit))])
    elapsed = time.perf_counter() - started
    cache.close()
    return elapsed


def read(fmt: str, folder: Path, n: int, first: int) -> None:
    """In a fresh process: open, look up the first keys, then all of them; prints JSON."""
    base_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    cache = FORMATS[fmt][1](folder, FINGERPRINT)
    found_first = cache.get_many([key(i) for i in range(first)])
    first_s = time.perf_counter() - started
    first_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    keys = [key(i) for i in range(n)]
    started = time.perf_counter()
    found = cache.get_many(keys)
    all_s = time.perf_counter() - started
    cache.close()
    assert len(found_first) == first and len(found) == n, (len(found_first), len(found))
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"first_s": first_s, "all_s": all_s, "base_mb": base_kb / 1024,
                      "first_peak_mb": first_kb / 1024, "peak_mb": peak_kb / 1024}))


def fresh_reader(fmt: str, folder: Path, n: int, first: int) -> dict:
    started = time.perf_counter()
    out = subprocess.run([sys.executable, __file__, "--read", fmt, str(folder), str(n),
                          str(first)], check=True, capture_output=True, text=True).stdout
    result = json.loads(out)
    result["process_s"] = time.perf_counter() - started  # interpreter and imports included
    return result


class Free(Model):
    """Costs nothing: what is timed is the engine's own work around the cache."""

    def generate(self, requests):
        for r in requests:
            yield Generation(example_id=r.example_id, text=r.prompt[::-1], num_tokens=4,
                             finish_reason="eos")


def small_requests(tag: str, n: int) -> list[Request]:
    return [Request(example_id=f"ex{i}", prompt=f"{tag} prompt {i}", config=GenerateConfig())
            for i in range(n)]


def call_overhead(folder: Path, n_requests: int, calls: int) -> dict[tuple[str, str], float]:
    """Median seconds per engine call of ``n_requests`` requests, new and then all cached,
    per setting."""
    import harness.engine as engine
    real_claims = engine.Claims
    settings = ("sqlite + claims", "sqlite, no claims", "logs")
    times: dict[tuple[str, str], list[float]] = {(s, w): [] for w in ("new", "cached")
                                                 for s in settings}
    for call in range(calls):
        for setting in settings:  # interleaved, so a busy moment hits each alike
            mode = "shared" if setting == "logs" else "local"
            engine.Claims = real_claims if setting == "sqlite + claims" else _NoClaims
            try:
                reqs = small_requests(f"{setting} {call}", n_requests)
                for which in ("new", "cached"):
                    started = time.perf_counter()
                    generate(Free("free"), reqs, EngineSettings(
                        cache_dir=folder / mode, progress=False, cache_mode=mode))
                    times[setting, which].append(time.perf_counter() - started)
            finally:
                engine.Claims = real_claims
    return {key: statistics.median(t) for key, t in times.items()}


class _NoClaims:
    """Stands in for ``Claims`` where the engine constructs it: the ledger gets none."""

    def __new__(cls, cache, stale_s):
        return None


SHARING = """
import json, sys, time
from pathlib import Path
sys.path.insert(0, {root!r})
from harness.engine import EngineSettings, generate
from harness.models.base import ConcurrentModel, Model
from harness.types import GenerateConfig, Generation, Request

class Slow(Model, ConcurrentModel):
    concurrency = 4
    def generate_one(self, request):
        time.sleep({request_s})
        return Generation(example_id=request.example_id, text=request.prompt[::-1],
                          num_tokens=4, finish_reason="eos")

reqs = [Request(example_id=f"ex{{i}}", prompt=f"shared prompt {{i}}", config=GenerateConfig())
        for i in range({n})]
_, acc = generate(Slow("slow"), reqs, EngineSettings(cache_dir=Path(sys.argv[1]),
                  progress=False, cache_mode=sys.argv[2]))
print(json.dumps({{"n_generated": acc.n_generated, "n_cached": acc.n_cached}}))
"""


def two_writers(fmt: str, folder: Path, n: int, request_s: float) -> dict:
    script = SHARING.format(root=str(Path(__file__).resolve().parents[1]), request_s=request_s, n=n)
    started = time.perf_counter()
    children = [subprocess.Popen([sys.executable, "-c", script, str(folder), FORMATS[fmt][0]],
                                 stdout=subprocess.PIPE, text=True) for _ in range(2)]
    outs = [json.loads(c.communicate()[0]) for c in children]
    return {"made": [o["n_generated"] for o in outs], "total_s": time.perf_counter() - started}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", default="10000,100000", help="generations written and read")
    parser.add_argument("--per-commit", type=int, default=8, help="generations per commit")
    parser.add_argument("--first", type=int, default=8, help="keys of a fresh reader's first lookup")
    parser.add_argument("--requests", type=int, default=8, help="requests per small engine call")
    parser.add_argument("--calls", type=int, default=30, help="small engine calls per setting")
    parser.add_argument("--shared-requests", type=int, default=200)
    parser.add_argument("--request-s", type=float, default=0.02)
    parser.add_argument("--folder", type=Path, default=Path(tempfile.gettempdir()))
    parser.add_argument("--read", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.read:
        fmt, folder, n, first = args.read
        return read(fmt, Path(folder), int(n), int(first))

    ns = [int(n) for n in args.n.split(",")]
    with tempfile.TemporaryDirectory(dir=args.folder, prefix="bench-cache-") as tmp:
        root = Path(tmp)
        print(f"folder {root} ({cache_mode.filesystem(root)}), {os.cpu_count()} cores, "
              f"{args.per_commit} generations per commit")
        rows = []
        for n in ns:
            row = {}
            for fmt in FORMATS:
                folder = root / f"{fmt}-{n}"
                row[fmt] = {"write_s": write(fmt, folder, n, args.per_commit),
                            **fresh_reader(fmt, folder, n, args.first),
                            "disk_mb": sum(p.stat().st_size for p in folder.rglob("*")
                                           if p.is_file()) / 2**20}
            rows.append((n, row))
        _table(rows, args)
        overhead = call_overhead(root / "calls", args.requests, args.calls)
        print(f"\n(c) engine call of {args.requests} requests, median of {args.calls}")
        for which in ("new", "cached"):
            base = overhead["sqlite, no claims", which]
            for (setting, was), seconds in overhead.items():
                if was == which:
                    print(f"  {which:<7}{setting:<20} {seconds * 1e3:8.2f} ms   x{seconds / base:.2f}")
        print(f"\ntwo processes at once, {args.shared_requests} requests of "
              f"{args.request_s * 1e3:.0f} ms, 4 in flight each")
        for fmt in FORMATS:
            result = two_writers(fmt, root / f"two-{fmt}", args.shared_requests, args.request_s)
            print(f"  {fmt:<7} generated {result['made'][0]:>4} + {result['made'][1]:>4} = "
                  f"{sum(result['made']):>4}   both done in {result['total_s']:.2f} s")


def _table(rows, args) -> None:
    print(f"\n{'':<34}" + "".join(f"{fmt:>10}" for fmt in FORMATS) + f"{'logs/sqlite':>13}")
    lines = [("(a) write, s", "write_s"), ("(a) per commit, ms", None),
             ("(b) process start to first {first}, s", "process_first"),
             ("(b) open + first {first} lookups, s", "first_s"),
             ("(b) lookup of all N, s", "all_s"), ("(d) reader peak RSS, MB", "peak_mb"),
             ("    after the first {first} only, MB", "first_peak_mb"),
             ("    (of which before opening, MB)", "base_mb"), ("disk, MB", "disk_mb")]
    for n, row in rows:
        print(f"N = {n}")
        for label, field in lines:
            values = []
            for fmt in FORMATS:
                r = row[fmt]
                if field is None:
                    values.append(r["write_s"] / -(-n // args.per_commit) * 1e3)
                elif field == "process_first":
                    values.append(r["process_s"] - r["all_s"])
                else:
                    values.append(r[field])
            ratio = values[1] / values[0] if values[0] else float("nan")
            print(f"  {label.format(first=args.first):<32}" + "".join(f"{v:10.3f}" for v in values)
                  + f"{ratio:13.2f}")


if __name__ == "__main__":
    main()
