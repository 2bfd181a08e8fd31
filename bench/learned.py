"""Learned metrics, harness vs the reference implementation on the same checkpoint, batch size,
device and CPU threads: time to score, and the largest per-example difference.

    python bench/learned.py                     # tiny checkpoints, CPU, 1,000 WMT segments
    python bench/learned.py --quick             # 200 segments
    python bench/learned.py --device cuda --size large-like --n 3000 \\
        --bertscore-model roberta-large --clip-model openai/clip-vit-base-patch32   # on a GPU

``bench/metrics.py --learned [options]`` runs the same. References:

- ``bertscore``: ``bert_score.score`` (it sorts by words and pads each batch to its longest
  text; the harness sorts by tokens);
- ``refclipscore`` (which computes ``clipscore`` too): the paper's formula with one
  ``CLIPModel`` call per caption, reference and image;
- ``comet``: unbabel-comet 2.2.7's ``predict`` in the environment scripts/comet-env.sh builds
  (it sorts by source length; its batches are cut by count);
- ``metricx``: Google's predict restated (tests/test_metrics_metricx.py): batches in file
  order, padded to their longest.

Without ``--*-model`` every row runs a tiny random-init checkpoint built in a temporary
folder: the ratio then measures the harness's overhead and batching, not a real model's
compute. ``--size large-like`` builds COMET with xlm-roberta-large's dimensions (random
weights; only the vocabulary is small): timings shaped like wmt22-comet-da's, for a GPU.
Data: WMT21 de-en from the shared data, else the shipped WMT17 subset repeated; images: COCO's
twelve from the shared data, else the demo's.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.metrics import print_table, row  # noqa: E402 - one table format for both benches
from harness.metrics.base import Corpus  # noqa: E402
from harness.metrics.scoring import build_metric, compute_statistics  # noqa: E402
from harness.testing import REPO_ROOT, comet_oracle, shared_data  # noqa: E402
from harness.testing.golden import wmt_with_sources  # noqa: E402
from harness.testing.tiny import build_bertscore, build_clip  # noqa: E402
from harness.testing.tiny_metric_models import build_comet, build_metricx  # noqa: E402

TINY_BERT_LAYERS = 2


def segments(n: int) -> tuple[list[str], list[str], list[str]]:
    sources, predictions, references = wmt_with_sources(n)
    while len(sources) < n:  # the shipped subset has 150: repeat it
        sources, predictions, references = sources * 2, predictions * 2, references * 2
    return sources[:n], predictions[:n], [r[0] for r in references[:n]]


def timed(fn):
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def harness_time(spec: dict, corpus: Corpus) -> tuple[float, np.ndarray]:
    metric = build_metric(spec)
    metric.weights  # noqa: B018 - located before the clock starts
    return timed(lambda: compute_statistics(metric, corpus))


def bench_bertscore(folder: str, tiny: bool, data, batch_size: int, device: str) -> list[dict]:
    import bert_score
    _, preds, refs = data
    layers = TINY_BERT_LAYERS if tiny else None
    spec = {"name": "bertscore", "model": folder, "batch_size": batch_size, "device": device,
            **({"num_layers": layers} if layers else {})}
    ours_s, ours = harness_time(spec, Corpus(preds, [[r] for r in refs]))
    ref_s, (p, r, f) = timed(lambda: bert_score.score(preds, refs, model_type=folder, num_layers=layers,
                                                      batch_size=batch_size, device=device))
    diff = float(np.abs(ours - np.stack([p.numpy(), r.numpy(), f.numpy()], axis=1)).max())
    return [row(f"bertscore (batch {batch_size})", len(preds), ours_s, ref_s, diff,
                f"{'tiny RoBERTa' if tiny else folder}, vs bert_score.score")]


def caption_images() -> list[tuple[str, list[str]]]:
    """(image path, references): COCO's when the shared data is here, else the demo's."""
    data = shared_data()
    listing = data / "captioning" / "coco_images12" / "test.jsonl" if data else None
    if not (listing and listing.is_file()):
        listing = REPO_ROOT / "tasks" / "demo" / "captioning.jsonl"
    rows = [json.loads(line) for line in listing.read_text().splitlines()]
    return [(str(listing.parent / r["image"]), r["references"]) for r in rows]


def bench_clip(folder: str, tiny: bool, n: int, batch_size: int, device: str) -> list[dict]:
    import torch
    from PIL import Image
    from transformers import CLIPModel, CLIPProcessor
    items = (caption_images() * (n // 12 + 1))[:n]
    corpus = Corpus([refs[0] for _, refs in items], [refs[1:] for _, refs in items],
                    images=[path for path, _ in items])
    spec = {"name": "refclipscore", "model": folder, "batch_size": batch_size, "device": device}
    ours_s, ours = harness_time(spec, corpus)
    clip_model = CLIPModel.from_pretrained(folder).eval().to(device)
    processor = CLIPProcessor.from_pretrained(folder)

    def embed_text(text):
        inputs = processor.tokenizer([f"A photo depicts {text}"], truncation=True, max_length=77,
                                     return_tensors="pt").to(device)
        return torch.nn.functional.normalize(clip_model.get_text_features(**inputs).pooler_output[0], dim=0)

    def reference():
        out = []
        with torch.no_grad():
            for caption, refs, path in zip(corpus.predictions, corpus.references, corpus.images):
                pixels = processor.image_processor(images=[Image.open(path).convert("RGB")],
                                                   return_tensors="pt")["pixel_values"].to(device)
                image = torch.nn.functional.normalize(
                    clip_model.get_image_features(pixel_values=pixels).pooler_output[0], dim=0)
                c = embed_text(caption)
                clip_s = 2.5 * max(float(c @ image), 0.0)
                best = max(0.0, max(float(c @ embed_text(r)) for r in refs))
                out.append(2 * clip_s * best / (clip_s + best) if clip_s + best else 0.0)
        return np.array(out)
    ref_s, expected = timed(reference)
    note = f"{'tiny CLIP' if tiny else folder}; reference: one CLIPModel call per text/image"
    return [row(f"refclipscore (batch {batch_size})", n, ours_s, ref_s,
                float(np.abs(ours[:, 0] - expected).max()), note)]


def bench_comet(folder: Path, data, batch_size: int, threads: int, device: str) -> list[dict]:
    sources, predictions, references = data
    corpus = Corpus(predictions, [[r] for r in references], sources=sources)
    rows = [{"src": s, "mt": m, "ref": r} for s, m, r in zip(*data)]
    gpus = 1 if device.startswith("cuda") else 0
    [reply] = comet_oracle.comet_predict([comet_oracle.Job(folder, rows, batch_size, threads, gpus)])
    out = []
    for bs in (str(batch_size), "auto"):
        ours_s, ours = harness_time({"name": "comet", "model": str(folder), "batch_size": bs,
                                     "device": device}, corpus)
        out.append(row(f"comet (batch {bs})", len(rows), ours_s, reply.seconds,
                       float(np.abs(ours[:, 0] - np.array(reply.scores)).max()), "vs unbabel-comet predict"))
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
                       float(np.abs(ours[:, 0] - theirs).max()), "vs Google's predict, restated"))
    return out


def learned_rows(args: argparse.Namespace) -> list[dict]:
    import torch
    torch.set_num_threads(args.threads)
    n, bs, device = 200 if args.quick else args.n, args.batch_size, args.device
    data = segments(n)
    root = Path(tempfile.mkdtemp(prefix="bench-learned-"))
    texts = data[0][:300] + data[1][:300] + data[2][:300]
    bert = args.bertscore_model or str(build_bertscore(root / "roberta"))
    clip = args.clip_model or str(build_clip(root / "clip"))
    rows = [*bench_bertscore(bert, args.bertscore_model is None, data, bs, device),
            *bench_clip(clip, args.clip_model is None, n // 4, bs, device)]
    if comet_oracle.comet_python() is None:
        print(f"comet rows skipped: {comet_oracle.missing_reason()}", file=sys.stderr)
    else:
        rows += bench_comet(build_comet(root / f"comet-{args.size}", texts, size=args.size), data, bs,
                            args.threads, device)
    rows += bench_metricx(build_metricx(root / "metricx", texts), data, bs, device)
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="200 segments")
    parser.add_argument("--n", type=int, default=1000, help="segments scored (images: a quarter)")
    parser.add_argument("--batch-size", type=int, default=16, help="the fixed batch both sides use")
    parser.add_argument("--threads", type=int, default=2, help="CPU threads for both sides")
    parser.add_argument("--device", default="cpu", help="cpu or cuda")
    parser.add_argument("--size", default="tiny", choices=("tiny", "large-like"), help="COMET's size")
    parser.add_argument("--bertscore-model", help="a hub id or folder (default: a tiny RoBERTa)")
    parser.add_argument("--clip-model", help="a hub id or folder (default: a tiny CLIP)")
    print_table(learned_rows(parser.parse_args(argv)))


if __name__ == "__main__":
    main()
