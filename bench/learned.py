"""The learned metrics' rows of ``bench/metrics.py --learned``: harness vs the reference's own
scoring on the same checkpoint, batch size, device and CPU threads.

    python bench/metrics.py --learned --quick                 # tiny checkpoints, CPU
    python bench/metrics.py --learned --device cuda \\
        --bertscore-model roberta-large --clip-model openai/clip-vit-base-patch32   # on a GPU

References: ``bert_score.score`` (which sorts by words and pads each batch to its longest
text; the harness sorts by tokens) and, for CLIP-S / RefCLIP-S, the paper's formula with one
``CLIPModel`` call per caption, reference and image (the paper's repository batches the same
way the harness does, but is not a package). Without ``--*-model`` both run tiny
random-init checkpoints built in a temporary folder: the ratio then measures the harness's
overhead and batching, not a real model's compute.
"""
from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path

import numpy as np

from harness.metrics.base import Corpus
from harness.metrics.scoring import build_metric
from harness.testing import REPO_ROOT, shared_data
from harness.testing.tiny import build_bertscore, build_clip

BATCH = 64
TINY_LAYERS = 2


def timed(fn):
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def bertscore_row(pairs: list, n: int, model: str | None, device: str, row) -> dict:
    import bert_score
    data = (pairs * (n // max(len(pairs), 1) + 1))[:n]
    preds, refs = [p for p, _ in data], [r for _, r in data]
    with tempfile.TemporaryDirectory() as tmp:
        folder = model or str(build_bertscore(Path(tmp) / "roberta"))
        layers = TINY_LAYERS if model is None else None
        spec = {"name": "bertscore", "model": folder, "batch_size": BATCH, "device": device,
                **({"num_layers": layers} if layers else {})}
        ours_s, ours = timed(lambda: build_metric(spec).statistics(Corpus(preds, refs)))
        ref_s, (p, r, f) = timed(lambda: bert_score.score(preds, refs, model_type=folder, num_layers=layers,
                                                          batch_size=BATCH, device=device))
    diff = float(np.abs(ours - np.stack([p.numpy(), r.numpy(), f.numpy()], axis=1)).max())
    return row("bertscore", n, ours_s, ref_s, diff, f"{folder if model else 'tiny RoBERTa'}, {device}")


def caption_images() -> list[tuple[str, list[str]]]:
    """(image path, references): COCO's when the shared data is here, else the demo's."""
    data = shared_data()
    listing = data / "captioning" / "coco_images12" / "test.jsonl" if data else None
    if not (listing and listing.is_file()):
        listing = REPO_ROOT / "tasks" / "demo" / "captioning.jsonl"
    rows = [json.loads(line) for line in listing.read_text().splitlines()]
    return [(str(listing.parent / r["image"]), r["references"]) for r in rows]


def clip_rows(n: int, model: str | None, device: str, row) -> list[dict]:
    import torch
    from PIL import Image
    from transformers import CLIPModel, CLIPProcessor
    items = (caption_images() * (n // 12 + 1))[:n]
    corpus = Corpus([refs[0] for _, refs in items], [refs[1:] for _, refs in items],
                    images=[path for path, _ in items])
    with tempfile.TemporaryDirectory() as tmp:
        folder = model or str(build_clip(Path(tmp) / "clip"))
        spec = {"model": folder, "batch_size": BATCH, "device": device}
        ours_s, ours = timed(lambda: build_metric({"name": "refclipscore", **spec}).statistics(corpus))
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
    note = f"{folder if model else 'tiny CLIP'}, {device}; reference: one CLIPModel call per text/image"
    return [row("refclipscore (+clipscore)", n, ours_s, ref_s, float(np.abs(ours[:, 0] - expected).max()), note)]
