"""How long the reports take on stored statistics, beside sacrebleu's own paired bootstrap.

1. ``compare`` of 2 runs x 10 metrics x ~3,000 examples, 1,000 paired-bootstrap resamples and
   10,000 approximate-randomization trials (target: under 5 s on 2 cores). The runs are WMT17
   en-de systems (3,004 segments) from the shared data, or perturbed references without it.
   Beside it: sacrebleu's ``--paired-bs`` (1,000 resamples) on the same BLEU pair, which also
   tokenizes, since it has no stored statistics to start from.
2. ``leaderboard`` over 20 runs x 3 tasks, with significance clusters (target: under 10 s):
   the WMT21 de-en systems and copy-source on three reference sets (ref A, ref B, both).

The runs are scored first (not timed), through ``harness.evaluate`` with ``predictions:`` files.

    python bench/reports.py                 # both
    python bench/reports.py leaderboard     # one of them
"""
from __future__ import annotations

import json
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from harness.run import RunOptions, evaluate  # noqa: E402
from harness.testing import shared_data  # noqa: E402

METRICS = "bleu, chrf, chrf++, ter, rouge1, rouge2, rougeL, rougeLsum, cider, coco_bleu4"
TASK = "name: {name}\nversion: 1\nfamily: translation\nsource: {{path: {data}}}\nmetrics: [{metrics}]\n"


def _jsonl(path: Path, rows) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def _perturbed(refs: list[str], p: float, seed: int) -> list[str]:
    rng = random.Random(seed)
    vocab = [w for r in refs[:200] for w in r.split()]
    return [" ".join(w if rng.random() > p else rng.choice(vocab) for w in r.split()) for r in refs]


def compare_inputs(root: Path) -> tuple[Path, list[list[str]], dict[str, list[str]]]:
    """The test set and two systems: WMT17 en-de when the shared data is here."""
    shared = shared_data()
    folder = shared / "translation" / "wmt17_newstest2017_en-de" if shared else None
    if folder and folder.is_dir():
        rows = [json.loads(line) for line in open(folder / "test.jsonl", encoding="utf-8")]
        names = sorted(p.stem for p in (folder / "systems").glob("*.jsonl"))[:2]
        systems = {n: [json.loads(l)["prediction"] for l in open(folder / "systems" / f"{n}.jsonl", encoding="utf-8")]
                   for n in names}
    else:
        refs = [f"sentence {i} of the benchmark with some words in it" for i in range(3000)]
        rows = [{"id": i, "references": [r]} for i, r in enumerate(refs)]
        systems = {"a": _perturbed(refs, 0.3, 1), "b": _perturbed(refs, 0.25, 2)}
    data = _jsonl(root / "test.jsonl", [{"id": r["id"], "references": r["references"]} for r in rows])
    return data, [r["references"] for r in rows], systems


def bench_compare(root: Path) -> None:
    from harness.reports.compare import CompareSettings, compare_paths
    data, refs, systems = compare_inputs(root)
    task = root / "bench-compare.yaml"
    task.write_text(TASK.format(name="bench-compare", data=data, metrics=METRICS))
    folders = []
    for name, preds in systems.items():
        path = _jsonl(root / f"{name}.jsonl", [{"id": i, "prediction": p} for i, p in enumerate(preds)])
        [record] = evaluate(f"predictions:{path}", [str(task)], RunOptions(output=root / "cmp", n_bootstrap=0))
        folders.append(record.folder)
    started = time.perf_counter()
    result = compare_paths(folders, CompareSettings())
    ours = time.perf_counter() - started
    sacre = sacrebleu_paired_bs(list(systems.items()), refs)
    print(f"compare: 2 runs x {len(result.comparisons)} metrics x {result.comparisons[0].n} examples, "
          f"1000 resamples + 10000 randomization trials: {ours:.2f} s (target < 5 s)")
    print(f"  sacrebleu --paired-bs, BLEU only, same pair, 1000 resamples (tokenizing included): {sacre:.2f} s")


def sacrebleu_paired_bs(systems: list[tuple[str, list[str]]], refs: list[list[str]]) -> float:
    from sacrebleu.metrics import BLEU
    from sacrebleu.significance import PairedTest
    n_refs = max(map(len, refs))
    streams = [[r[k] if k < len(r) else None for r in refs] for k in range(n_refs)]
    started = time.perf_counter()
    PairedTest(systems, {"BLEU": BLEU(references=streams)}, None, test_type="bs", n_samples=1000)()
    return time.perf_counter() - started


def leaderboard_inputs(root: Path) -> tuple[list[str], dict[str, Path]]:
    shared = shared_data()
    folder = shared / "translation" / "wmt21_newstest2021_de-en" if shared else None
    if not (folder and folder.is_dir()):
        sys.exit("leaderboard bench: needs shared/data/translation/wmt21_newstest2021_de-en (not found)")
    rows = [json.loads(line) for line in open(folder / "test.jsonl", encoding="utf-8")]
    tasks = []
    for name, pick in (("ref-a", slice(0, 1)), ("ref-b", slice(1, 2)), ("ref-ab", slice(0, 2))):
        data = _jsonl(root / f"{name}.jsonl", [dict(r, references=r["references"][pick]) for r in rows])
        (root / f"wmt21-{name}.yaml").write_text(TASK.format(name=f"wmt21-{name}", data=data, metrics="bleu, chrf"))
        tasks.append(str(root / f"wmt21-{name}.yaml"))
    return tasks, {p.stem: p for p in sorted((folder / "systems").glob("*.jsonl"))}


def bench_leaderboard(root: Path) -> None:
    from harness.reports.leaderboard import build_leaderboard
    tasks, systems = leaderboard_inputs(root)
    for path in systems.values():
        evaluate(f"predictions:{path}", tasks, RunOptions(output=root / "board"))
    evaluate("copy-source", tasks, RunOptions(output=root / "board"))
    started = time.perf_counter()
    board = build_leaderboard([root / "board"])
    took = time.perf_counter() - started
    clusters = max(c.cluster for c in board.cells.values())
    print(f"leaderboard: {len(board.models)} runs x 3 tasks ({len(board.columns)} columns), ranks and "
          f"paired-bootstrap clusters (up to {clusters} per column): {took:.2f} s (target < 10 s)")


def main() -> None:
    import argparse
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    # no choices= here: argparse checks a list default against them and refuses an empty one
    parser.add_argument("which", nargs="*", metavar="compare|leaderboard",
                        help="which to time (default: both)")
    which = parser.parse_args().which or ["compare", "leaderboard"]
    unknown = sorted(set(which) - {"compare", "leaderboard"})
    if unknown:
        parser.error(f"unknown: {', '.join(unknown)}; choose from compare, leaderboard")
    with tempfile.TemporaryDirectory() as tmp:
        for name, bench in (("compare", bench_compare), ("leaderboard", bench_leaderboard)):
            if name in which:
                (Path(tmp) / name).mkdir()
                bench(Path(tmp) / name)


if __name__ == "__main__":
    main()
