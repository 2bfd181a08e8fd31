"""Learned metrics, harness vs the reference implementation on the same checkpoint, batch size
and CPU threads: time to score, and the largest per-segment difference.

    python bench/learned.py                     # tiny checkpoints, CPU, 1,000 WMT segments
    python bench/learned.py --quick             # 200 segments
    python bench/learned.py --device cuda --size large-like --n 3000   # on a GPU

COMET's reference is unbabel-comet 2.2.7's ``predict`` in the environment scripts/comet-env.sh
builds (it sorts by source length; its batches are cut by count). MetricX's is Google's
predict restated (tests/test_metrics_metricx.py): batches in file order, padded to their
longest. The harness sorts by the longest of each input's texts and, with batch_size=auto,
cuts batches by padded tokens. ``--size large-like`` builds COMET with xlm-roberta-large's
dimensions (random weights; only the vocabulary is small): timings shaped like
wmt22-comet-da's, for a GPU. Data as bench/metrics.py: WMT21 de-en from the shared data,
else the shipped WMT17 subset repeated. ``bench/metrics.py --learned`` adds these rows to its
table.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from harness.metrics.base import Corpus  # noqa: E402
from harness.metrics.scoring import build_metric, compute_statistics  # noqa: E402
from harness.testing import comet_oracle  # noqa: E402
from harness.testing.golden import wmt_with_sources  # noqa: E402
from harness.testing.tiny_metric_models import build_comet, build_metricx  # noqa: E402


def segments(n: int) -> tuple[list[str], list[str], list[str]]:
    sources, predictions, references = wmt_with_sources(n)
    while len(sources) < n:  # the shipped subset has 150: repeat it
        sources, predictions, references = sources * 2, predictions * 2, references * 2
    return sources[:n], predictions[:n], [r[0] for r in references[:n]]


def harness_time(spec: dict, corpus: Corpus) -> tuple[float, np.ndarray]:
    metric = build_metric(spec)
    metric.checkpoint if spec["name"] == "comet" else metric.weights  # noqa: B018 - located, not timed
    started = time.perf_counter()
    scores = compute_statistics(metric, corpus)[:, 0]
    return time.perf_counter() - started, scores


def bench_comet(folder: Path, data, batch_size: int, threads: int, device: str) -> list[dict]:
    sources, predictions, references = data
    corpus = Corpus(predictions, [[r] for r in references], sources=sources)
    rows = [{"src": s, "mt": m, "ref": r} for s, m, r in zip(*data)]
    gpus = 1 if device.startswith("cuda") else 0
    [reply] = comet_oracle.comet_predict([comet_oracle.Job(folder, rows, batch_size, threads, gpus)])
    theirs, their_s = reply.scores, reply.seconds
    out = []
    for bs in (str(batch_size), "auto"):
        ours_s, ours = harness_time({"name": "comet", "model": str(folder), "batch_size": bs,
                                     "device": device}, corpus)
        out.append(row(f"comet (batch {bs})", len(rows), ours_s, their_s,
                       float(np.abs(ours - np.array(theirs)).max()), "vs unbabel-comet predict"))
    return out


def google_batches(folder: Path, texts: list[str], batch_size: int, device: str) -> tuple[float, np.ndarray]:
    """Google's predict restated: file order, each batch padded to its longest."""
    import torch
    from transformers import MT5Model, PreTrainedTokenizerFast

    from harness.metrics.metricx import score_row
    # the tokenizer file as transformers 4 read it (transformers 5's T5Tokenizer rebuilds it)
    tokenizer = PreTrainedTokenizerFast(tokenizer_file=str(folder / "tokenizer.json"))
    model = MT5Model.from_pretrained(folder).to(device).eval()
    row_ = score_row(folder, "bench").to(device)
    started, scores = time.perf_counter(), []
    with torch.no_grad():
        for i in range(0, len(texts), batch_size):
            ids = [x[:-1] for x in tokenizer(texts[i:i + batch_size], max_length=1536, truncation=True)["input_ids"]]
            width = max(map(len, ids))
            batch = torch.tensor([x + [0] * (width - len(x)) for x in ids], device=device)
            mask = (torch.arange(width)[None, :] < torch.tensor([len(x) for x in ids])[:, None]).long().to(device)
            start = torch.zeros((len(ids), 1), dtype=torch.long, device=device)
            hidden = model(input_ids=batch, attention_mask=mask, decoder_input_ids=start).last_hidden_state
            scores += torch.clamp(hidden[:, 0] @ row_, 0, 25).tolist()
    return time.perf_counter() - started, np.array(scores)


def bench_metricx(folder: Path, data, batch_size: int, device: str) -> list[dict]:
    from harness.metrics.metricx import metricx_input
    sources, predictions, references = data
    corpus = Corpus(predictions, [[r] for r in references], sources=sources)
    their_s, theirs = google_batches(folder, [metricx_input(*x) for x in zip(*data)], batch_size, device)
    out = []
    for bs in (str(batch_size), "auto"):
        ours_s, ours = harness_time({"name": "metricx", "model": str(folder), "tokenizer": "model",
                                     "batch_size": bs, "device": device}, corpus)
        out.append(row(f"metricx (batch {bs})", len(sources), ours_s, their_s,
                       float(np.abs(ours - theirs).max()), "vs Google's predict, restated"))
    return out


def row(name: str, n: int, ours: float, theirs: float, diff: float, note: str) -> dict:
    return {"metric": name, "n": n, "harness_s": ours, "reference_s": theirs,
            "speedup": theirs / ours, "max_abs_diff": diff, "note": note}


def learned_rows(n: int, batch_size: int = 16, threads: int = 2, device: str = "cpu",
                 size: str = "tiny") -> list[dict]:
    import torch
    torch.set_num_threads(threads)
    data = segments(n)
    root = Path(tempfile.mkdtemp(prefix="bench-learned-"))
    texts = data[0][:300] + data[1][:300] + data[2][:300]
    rows = []
    if comet_oracle.comet_python() is None:
        print(f"comet rows skipped: {comet_oracle.missing_reason()}", file=sys.stderr)
    else:
        rows += bench_comet(build_comet(root / f"comet-{size}", texts, size=size), data, batch_size, threads, device)
    rows += bench_metricx(build_metricx(root / "metricx", texts), data, batch_size, device)
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="200 segments")
    parser.add_argument("--n", type=int, default=1000, help="segments scored")
    parser.add_argument("--batch-size", type=int, default=16, help="the fixed batch both sides use")
    parser.add_argument("--threads", type=int, default=2, help="CPU threads for both sides")
    parser.add_argument("--device", default="cpu", help="cpu or cuda")
    parser.add_argument("--size", default="tiny", choices=("tiny", "large-like"), help="COMET's size")
    args = parser.parse_args(argv)
    from bench.metrics import print_table  # noqa: E402 - one table format for both benches
    print_table(learned_rows(200 if args.quick else args.n, args.batch_size, args.threads, args.device, args.size))


if __name__ == "__main__":
    main()
