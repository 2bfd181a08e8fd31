"""Metric speed and agreement, harness vs the reference implementations, side by side.

    python bench/metrics.py            # 1k / 10k examples (CIDEr 1k / 5k / 25k images); minutes
    python bench/metrics.py --quick    # small sizes, well under a minute
    python bench/metrics.py --memory   # peak memory and time per metric set and of a whole
                                       # `harness run`, 10k / 100k examples: the main process,
                                       # its largest worker, the whole process tree (PSS, RSS)
    python bench/metrics.py --memory --only run --million   # the runs, and one of BLEU+chrF on 1M
    python bench/metrics.py --learned [--quick] [--device cuda]   # BERTScore, CLIPScore, COMET, MetricX (bench/learned.py)

Data: real system outputs from ``<repo>/../shared/data`` or ``$HARNESS_SHARED_DATA`` (WMT21 de-en,
REALSumm CNN/DM, MAGIC MSCOCO); without it, the subset shipped in ``tests/data/conformance``
(WMT17 en-de, REALSumm, COCO fakecap: a few hundred rows, so the large sizes are mostly copies
and agreement is checked on less varied text; the script says which data it ran on). Rows are
taken in order and replicated (with a fixed shuffle) past their size.
Reference timings: sacrebleu ``corpus_score``, a rouge-score ``RougeScorer`` loop in one
process, the ROUGE-1.5.5 Perl script (scripts/rouge155-oracle.sh; its row is skipped without it), pycocoevalcap's scorers. COCO rows start from PTB-tokenized text on both sides
(tokenization is its own row). Each timing is the best of ``--repeat`` runs.
"""
from __future__ import annotations

import argparse
import contextlib
import io
import itertools
import json
import os
import resource
import subprocess
import random
import shutil
import sys
import time
from pathlib import Path
from typing import Callable

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from harness.metrics.base import Corpus  # noqa: E402
from harness.metrics.scoring import build_metric  # noqa: E402
from harness.testing import REPO_ROOT, SHIPPED_DATA, rouge155_oracle  # noqa: E402
from harness.testing.golden import golden_captioning_cases, golden_summarization_cases, \
    golden_translation_cases  # noqa: E402

ROUGE_TYPES = ["rouge1", "rouge2", "rougeL", "rougeLsum"]


def best_time(fn: Callable[[], object], repeat: int) -> tuple[float, object]:
    """Best wall time of ``repeat`` calls (callers warm both sides up on tiny inputs first)."""
    best, out = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - start)
    return best, out


def take(pairs: list, n: int, seed: int = 0) -> list:
    """The first n pairs; past the data's size, shuffled copies of it."""
    out, rng = list(pairs[:n]), random.Random(seed)
    while len(out) < n:
        extra = list(pairs)
        rng.shuffle(extra)
        out += extra[:n - len(out)]
    return out


def pairs_of(cases) -> list[tuple[str, list[str]]]:
    return [(p, list(r)) for c in cases for p, r in zip(c.predictions, c.references)]


def translation_pairs(origin: str) -> list[tuple[str, list[str]]]:
    if origin == "shipped":  # WMT17 en-de, one reference (WMT21's licence does not allow shipping it)
        return pairs_of(golden_translation_cases(origin="shipped"))
    return pairs_of(c for c in golden_translation_cases("wmt21_newstest2021_de-en") if c.refset == "ref-all")


def summarization_pairs(origin: str) -> list[tuple[str, list[str]]]:
    return pairs_of(golden_summarization_cases(origin=origin))


def caption_pairs(origin: str) -> list[tuple[str, list[str]]]:
    return pairs_of(golden_captioning_cases("coco_fakecap" if origin == "shipped" else "magic_mscoco", origin=origin))


def data_origin() -> str:
    """The full shared data when present, else the subset every clone ships with."""
    if golden_translation_cases():
        return "shared"
    print(f"shared evaluation data not found (<repo>/../shared/data or $HARNESS_SHARED_DATA): running on "
          f"the subset shipped in {SHIPPED_DATA.relative_to(REPO_ROOT)}")
    return "shipped"


def warm_up() -> None:
    """Import and initialise both sides on a few examples, so no timing pays a first-use cost."""
    pairs = [("a man rides a horse .", ["a man riding a horse", "a person on a horse"]),
             ("two dogs play", ["two dogs are playing", "dogs play outside"])] * 3
    for which in ("cider", "coco_bleu", "coco_rougeL"):
        bench_coco(pairs, 6, 1, which)
    bench_rouge(pairs, 6, 1)
    bench_bootstrap([(p, refs[:2]) for p, refs in pairs], 6, 1)


def row(name: str, n: int, ours: float, theirs: float | None, diff: float | None, note: str = "") -> dict:
    return {"metric": name, "n": n, "harness_s": ours, "reference_s": theirs,
            "speedup": (theirs / ours) if theirs else None, "max_abs_diff": diff, "note": note}


def bench_sacrebleu(name: str, spec: dict, reference, pairs, n: int, repeat: int) -> dict:
    data = take(pairs, n)
    corpus = Corpus([p for p, _ in data], [r for _, r in data])
    streams = [[r[j] for _, r in data] for j in range(len(data[0][1]))]
    metric = build_metric(spec)

    def ours():
        from harness.metrics import sacrebleu_metrics
        sacrebleu_metrics._REF_CACHE.clear()  # time the references too, as sacrebleu does
        return metric.aggregate(metric.statistics(corpus))
    t_ours, value = best_time(ours, repeat)
    t_ref, ref = best_time(lambda: reference().corpus_score(corpus.predictions, streams).score, repeat)
    return row(name, n, t_ours, t_ref, abs(value - ref))


def rouge_score_table(preds: list[str], refs: list[list[str]], types: list[str]) -> np.ndarray:
    """(n, len(types)) F from a rouge-score ``RougeScorer`` loop, stemming on."""
    from rouge_score import rouge_scorer
    scorer = rouge_scorer.RougeScorer(types, use_stemmer=True)
    scores = [scorer.score_multi(r, p) for p, r in zip(preds, refs)]
    return np.array([[s[t].fmeasure for t in types] for s in scores])


def bench_rouge(pairs, n: int, repeat: int) -> dict:
    from harness.metrics.rouge import default_workers, rouge_table
    data = take(pairs, n)
    preds, refs = [p for p, _ in data], [r for _, r in data]
    t_ours, table = best_time(lambda: rouge_table(preds, refs, tokenizer="default", use_stemmer=True,
                                                  sentence_split="newline"), repeat)
    t_ref, theirs = best_time(lambda: rouge_score_table(preds, refs, ROUGE_TYPES), repeat)
    diff = float(np.max(np.abs(table.mean(axis=0) - theirs.mean(axis=0))) * 100)
    return row("rouge1+2+L+Lsum", n, t_ours, t_ref, diff, f"workers={default_workers(n)}")


ROUGE155_TYPES = ["rouge1", "rouge2", "rouge3", "rouge4", "rougeLsum", "rougeW", "rougeS4", "rougeSU4"]


def rouge155_table(corpus: Corpus, names: list[str]) -> np.ndarray:
    """(n, len(names)) F of the ROUGE-1.5.5 mode, each type with the script's bootstrap (as
    the script prints it) and from texts read once, as a run scores them."""
    columns = []
    for name in names:
        metric = build_metric({"name": name, "impl": "rouge155"})
        stats = metric.statistics(corpus)
        metric.details(stats)
        columns.append(stats[:, 0])
    return np.stack(columns, axis=1)


def bench_rouge155_vs_script(pairs, n: int) -> dict | None:
    """The ROUGE-1.5.5 mode vs the Perl script itself: every type the usual command line
    (-n 4 -w 1.2 -2 4 -U -m, 1,000 resamples) prints, in one call of the script."""
    if rouge155_oracle.oracle_script() is None:
        print(f"skipped rouge155 vs ROUGE-1.5.5.pl: {rouge155_oracle.missing_reason()}", file=sys.stderr)
        return None
    data = take(pairs, n)
    preds, refs = [p for p, _ in data], [r for _, r in data]
    t_ours, ours = best_time(lambda: rouge155_table(Corpus(preds, refs), ROUGE155_TYPES), 1)
    flags = ["-n", "4", "-w", "1.2", "-2", "4", "-U", "-m", "-c", "95", "-r", "1000"]
    t_ref, printed = best_time(lambda: rouge155_oracle.run_script(preds, refs, flags, keep=False), 1)
    names = ["ROUGE-1", "ROUGE-2", "ROUGE-3", "ROUGE-4", "ROUGE-L", "ROUGE-W-1.2", "ROUGE-S4", "ROUGE-SU4"]
    theirs = np.stack([np.array(printed[name].documents)[:, 2] for name in names], axis=1)
    return row("rouge155 8 types vs perl", n, t_ours, t_ref, float(np.max(np.abs(ours - theirs)) * 100),
               "per-document F; ROUGE-1.5.5.pl, one call")


def bench_rouge155_vs_rouge_score(pairs, n: int, repeat: int) -> dict:
    """The ROUGE-1.5.5 mode vs rouge-score on the same documents and types; they differ by
    design (the stemmer: WordNet exceptions and the script's Porter), which the diff shows."""
    data = take(pairs, n)
    preds, refs = [p for p, _ in data], [r for _, r in data]
    types = ["rouge1", "rouge2", "rougeLsum"]
    t_ours, ours = best_time(lambda: rouge155_table(Corpus(preds, refs), types), repeat)
    t_ref, theirs = best_time(lambda: rouge_score_table(preds, refs, types), repeat)
    diff = float(np.max(np.abs(ours.mean(axis=0) - theirs.mean(axis=0))) * 100)
    return row("rouge155 vs rouge-score", n, t_ours, t_ref, diff, "differ by design: -m's stemmer")


def bench_rouge_workers(pairs, n: int, repeat: int) -> dict:
    """The parallel part alone: the harness's ROUGE with 2 workers against itself with 1."""
    from harness.metrics.rouge import rouge_table
    data = take(pairs, n)
    preds, refs = [p for p, _ in data], [r for _, r in data]

    def run(workers: int):
        return rouge_table(preds, refs, tokenizer="default", use_stemmer=True,
                           sentence_split="newline", workers=workers)
    t_two, two = best_time(lambda: run(2), repeat)
    t_one, one = best_time(lambda: run(1), repeat)
    diff = float(np.max(np.abs(two - one)) * 100)
    return row("rouge 2 workers vs 1", n, t_two, t_one, diff, "same code, identical per-example scores")


def tokenized_captions(pairs, n: int):
    from harness.metrics.ptb import tokenize_python
    data = take(pairs, n, seed=1)
    hyps = tokenize_python([p for p, _ in data])
    flat = tokenize_python([r for _, rs in data for r in rs])
    refs, at = [], 0
    for _, rs in data:
        refs.append(flat[at:at + len(rs)])
        at += len(rs)
    return hyps, refs


def bench_coco(pairs, n: int, repeat: int, which: str) -> dict:
    from pycocoevalcap.bleu.bleu import Bleu
    from pycocoevalcap.cider.cider import Cider
    from pycocoevalcap.rouge.rouge import Rouge
    hyps, refs = tokenized_captions(pairs, n)
    gts, res = {i: r for i, r in enumerate(refs)}, {i: [h] for i, h in enumerate(hyps)}
    names = {"cider": ["cider"], "coco_bleu": [f"coco_bleu{k}" for k in (1, 2, 3, 4)],
             "coco_rougeL": ["coco_rougeL"]}[which]

    def ours():
        corpus = Corpus(hyps, refs)  # fresh corpus: nothing memoised between repeats
        out = []
        for name in names:
            metric = build_metric({"name": name, "tokenizer": "none"})
            stats = metric.statistics(corpus)
            out.append((metric.aggregate(stats), metric.per_example(stats)))
        return out
    t_ours, values = best_time(ours, repeat)

    def reference():
        with contextlib.redirect_stdout(io.StringIO()):
            if which == "cider":
                score, per = Cider().compute_score(gts, res)
                return [(100 * score, 100 * np.asarray(per))]
            if which == "coco_bleu":
                score, per = Bleu(4).compute_score(gts, res)
                return [(100 * s, 100 * np.asarray(p)) for s, p in zip(score, per)]
            score, per = Rouge().compute_score(gts, res)
            return [(100 * score, 100 * np.asarray(per))]
    t_ref, theirs = best_time(reference, repeat)
    diff = max(abs(a[0] - b[0]) for a, b in zip(values, theirs))
    per_image = max(float(np.max(np.abs(a[1] - b[1]))) for a, b in zip(values, theirs)) / 100
    label = {"cider": "cider (CIDEr-D)", "coco_bleu": "coco_bleu1-4", "coco_rougeL": "coco_rougeL"}[which]
    note = f"per-image max diff {per_image:.1e} (pycocoevalcap scale)"
    return row(label, n, t_ours, t_ref, diff, note)


def bench_ptb(pairs, n: int) -> dict:
    from harness.metrics.ptb import tokenize_java, tokenize_python
    texts = [r for _, rs in take(pairs, n) for r in rs][:n]
    t_py, py = best_time(lambda: tokenize_python(texts), 1)
    if shutil.which("java") is None:
        return row("ptb tokenizer (python)", n, t_py, None, None, "java not on PATH")
    t_java, java = best_time(lambda: tokenize_java(texts), 1)
    mismatches = sum(a != b for a, b in zip(py, java))
    return row("ptb tokenizer python vs java", n, t_py, t_java, None, f"{mismatches} mismatches")


def bench_bootstrap(pairs, n: int, repeat: int) -> dict:
    from sacrebleu.metrics import BLEU
    from harness.metrics.bootstrap import bootstrap_interval
    data = take(pairs, n)
    corpus = Corpus([p for p, _ in data], [r for _, r in data])
    metric = build_metric("bleu")
    stats = metric.statistics(corpus)
    t_ours, summary = best_time(lambda: bootstrap_interval(metric, stats, n=1000, seed=12345), repeat)
    streams = [[r[j] for _, r in data] for j in range(len(data[0][1]))]
    sacre = BLEU()
    sacre_stats = sacre._extract_corpus_statistics(corpus.predictions, streams)

    def reference():
        from sacrebleu.significance import _bootstrap_resample, estimate_ci
        _, scores = _bootstrap_resample(sacre_stats, sacre, 1000)
        return estimate_ci(np.array([s.score for s in scores]))
    t_ref, (mean, half) = best_time(reference, repeat)
    diff = max(abs(summary.mean - mean), abs(summary.half_width - half))
    return row("bleu bootstrap 1000x", n, t_ours, t_ref, diff, "statistics precomputed on both sides")


MEMORY_SETS = {"bleu+chrf+ter": ["bleu", "chrf", "ter"], "bleu": ["bleu"], "chrf": ["chrf"],
               "chrf++": ["chrf++"], "ter": ["ter"]}
RUN_SET = ("bleu+chrf+ter", ["bleu", "chrf", "ter"])  # a whole `harness run` at each size
MILLION_SET = ("bleu+chrf", ["bleu", "chrf"])  # TER on 1M examples would take hours


def synthetic_pairs(n: int, seed: int = 0) -> tuple[list[str], list[list[str]]]:
    """n (prediction, [reference]) pairs from a seeded 5,000-word vocabulary, WMT-like lengths
    (5-45 words); the prediction is its reference with about a fifth of the words edited."""
    rng = random.Random(seed)
    vocab = ["".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(2, 10)))
             for _ in range(5000)]
    # Zipf-like, as real text; cumulative once: choices() would re-add 5,000 weights per segment
    cum_weights = list(itertools.accumulate(1 / (rank + 1) for rank in range(len(vocab))))
    preds, refs = [], []
    for _ in range(n):
        ref = rng.choices(vocab, cum_weights=cum_weights, k=rng.randint(5, 45))
        pred = [rng.choice(vocab) if rng.random() < 0.2 else w for w in ref if rng.random() > 0.05]
        refs.append([" ".join(ref).capitalize() + "."])
        preds.append(" ".join(pred).capitalize() + ".")
    return preds, refs


def memory_child(names: list[str], n: int) -> dict:
    """Score n synthetic examples as a run does (statistics, then a 1,000-resample bootstrap)."""
    from harness.metrics.scoring import score
    preds, refs = synthetic_pairs(n)
    data_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux
    start = time.perf_counter()
    scores = {}
    for name in names:
        result, _ = score(build_metric(name), Corpus(preds, refs), data_fingerprint="0" * 8)
        scores[name] = result.score
    return {"seconds": time.perf_counter() - start, "data_mb": data_mb, "scores": scores}


def write_synthetic(folder: Path, n: int) -> tuple[Path, Path]:
    """``synthetic_pairs(n)`` as a run reads them: references (--data) and a predictions file."""
    preds, refs = synthetic_pairs(n)
    data, outputs = folder / "refs.jsonl", folder / "preds.jsonl"
    with open(data, "w", encoding="utf-8") as f:
        f.writelines(json.dumps({"id": f"s{i}", "references": r}) + "\n" for i, r in enumerate(refs))
    with open(outputs, "w", encoding="utf-8") as f:
        f.writelines(json.dumps({"id": f"s{i}", "prediction": p}) + "\n" for i, p in enumerate(preds))
    return data, outputs


def run_command(names: list[str], folder: Path) -> list[str]:
    """``harness run --model predictions:FILE`` on the files ``write_synthetic`` left in
    ``folder``, as a user types it: loading, checking, the engine, scoring with a
    1,000-resample bootstrap in worker processes, samples.jsonl and the record."""
    return [sys.executable, "-m", "harness", "run", "--model", f"predictions:{folder / 'preds.jsonl'}",
            "--tasks", "wmt14-de-en", "--data", str(folder / "refs.jsonl"), "--metrics", ",".join(names),
            "--no-progress", "--no-cache", "--output", str(folder / "out")]


def measured(cmd: list[str], every_s: float = 0.25) -> tuple[str, float, dict]:
    """``cmd``'s stdout, wall seconds and peak memory (MB) of its whole process tree, sampled
    every ``every_s`` seconds."""
    from harness.testing.memory import TreeMemory
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    start = time.perf_counter()
    # run from the repository, so `python -m harness` is this checkout's wherever the bench starts
    process = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                               cwd=REPO_ROOT)
    with TreeMemory(process.pid, every_s) as memory:
        out, err = process.communicate()
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} exited {process.returncode}:\n{err[-3000:]}")
    return out, time.perf_counter() - start, memory.peak.mb()


def memory_row(label: str, names: list[str], n: int, run: bool = False, every_s: float = 0.25) -> dict:
    """One metric set in a fresh interpreter, so each peak is its own: scoring alone, or
    (``run``) a whole ``harness run`` whose input files are written first, so making the
    text is not in its peak."""
    import tempfile
    from harness.record.store import load_runs
    with tempfile.TemporaryDirectory(prefix="harness-bench-memory-") as tmp:
        if not run:
            out, _, memory = measured([sys.executable, __file__, "--memory-child", ",".join(names), str(n)],
                                      every_s)
            return {"set": label, "n": n, **memory, **json.loads(out.strip().splitlines()[-1])}
        write_synthetic(Path(tmp), n)
        _, seconds, memory = measured(run_command(names, Path(tmp)), every_s)
        record, = load_runs(Path(tmp) / "out")
        return {"set": label + " (run)", "n": n, **memory, "seconds": seconds, "data_mb": 0.0,
                "scores": {name: s.score for name, s in record.scores.items()}}


def run_memory(sizes: list[int], only: str | None, million: bool) -> None:
    """A row per metric set and size: seconds, the peaks of the main process, of its largest
    worker and of the whole tree (PSS and RSS), sampled from outside."""
    fmt = "{:<21} {:>9} {:>8} {:>8} {:>10} {:>9} {:>9} {:>8}  {}"
    print(fmt.format("metrics", "n", "seconds", "main MB", "worker MB", "tree PSS", "tree RSS",
                     "data MB", "scores"))
    jobs = [(label, names, n, False) for n in sizes for label, names in MEMORY_SETS.items()] \
        if only != "run" else []
    jobs += [(*RUN_SET, n, True) for n in sizes] if only != "scoring" else []
    if million:
        jobs.append((*MILLION_SET, 1_000_000, True))
    for label, names, n, run in jobs:
        r = memory_row(label, names, n, run)
        print(fmt.format(r["set"], r["n"], f"{r['seconds']:.1f}", f"{r['main_rss']:.0f}",
                         f"{r['worker_rss']:.0f}", f"{r['pss']:.0f}", f"{r['rss']:.0f}", f"{r['data_mb']:.0f}",
                         " ".join(f"{k}={v:.4f}" for k, v in r["scores"].items())), flush=True)


def print_table(rows: list[dict | None]) -> None:
    rows = [r for r in rows if r is not None]
    fmt = "{:<30} {:>7} {:>11} {:>13} {:>9} {:>13}  {}"
    print(fmt.format("metric", "n", "harness s", "reference s", "speedup", "max |diff|", "note"))
    for r in rows:
        print(fmt.format(r["metric"], r["n"], f"{r['harness_s']:.3f}",
                         "-" if r["reference_s"] is None else f"{r['reference_s']:.3f}",
                         "-" if r["speedup"] is None else f"{r['speedup']:.1f}x",
                         "-" if r["max_abs_diff"] is None else f"{r['max_abs_diff']:.1e}", r["note"]))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes only")
    parser.add_argument("--repeat", type=int, default=None, help="timings per cell, best kept")
    parser.add_argument("--memory", action="store_true", help="peak memory and time per metric set (synthetic data)")
    parser.add_argument("--million", action="store_true",
                        help="with --memory: also a whole `harness run` of BLEU+chrF over 1M predictions")
    parser.add_argument("--learned", action="store_true",
                        help="the learned metrics' rows: bench/learned.py, which takes the options that follow")
    parser.add_argument("--only", choices=["scoring", "run"],
                        help="with --memory: the metric sets scored alone, or the whole `harness run`s")
    parser.add_argument("--memory-child", nargs=2, metavar=("METRICS", "N"), help=argparse.SUPPRESS)
    args, rest = parser.parse_known_args(argv)
    if args.learned:  # one set of options, bench/learned.py's
        from bench.learned import main as learned_main
        learned_main(rest + (["--quick"] if args.quick else []))
        return
    if rest:
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    if args.memory_child:
        names, n = args.memory_child
        print(json.dumps(memory_child(names.split(","), int(n))))
        return
    if args.memory:
        run_memory([1000, 10000] if args.quick else [10000, 100000], args.only, args.million)
        return
    origin = data_origin()
    from sacrebleu.metrics import BLEU, CHRF, TER
    repeat = args.repeat or 1
    sizes = [200, 1000] if args.quick else [1000, 10000]
    cider_sizes = [1000, 5000] if args.quick else [1000, 5000, 25000]
    mt, summ, caps = translation_pairs(origin), summarization_pairs(origin), caption_pairs(origin)
    warm_up()
    rows = []
    for n in sizes:
        rows.append(bench_sacrebleu("bleu", {"name": "bleu"}, BLEU, mt, n, repeat))
        rows.append(bench_sacrebleu("chrf", {"name": "chrf"}, CHRF, mt, n, repeat))
        rows.append(bench_sacrebleu("chrf++", {"name": "chrf++"}, lambda: CHRF(word_order=2), mt, n, repeat))
        rows.append(bench_sacrebleu("ter", {"name": "ter"}, TER, mt, n, 1))
        rows.append(bench_rouge(summ, n, repeat))
        rows.append(bench_rouge_workers(summ, n, repeat))
        rows.append(bench_rouge155_vs_rouge_score(summ, n, repeat))
        rows.append(bench_coco(caps, n, repeat, "coco_bleu"))
        rows.append(bench_coco(caps, n, repeat, "coco_rougeL"))
    for n in cider_sizes:  # best of two: the first large run also pays the allocator's first-touch costs
        rows.append(bench_coco(caps, n, max(repeat, 2), "cider"))
    rows.append(bench_rouge155_vs_script(summ, 1200))  # the script takes ~1 min per 1,000 documents
    rows.append(bench_bootstrap(mt, 3000, repeat))
    rows.append(bench_ptb(caps, 5000 if args.quick else 25000))
    print_table(rows)


if __name__ == "__main__":
    main()
