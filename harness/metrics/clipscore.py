"""CLIPScore and RefCLIPScore exactly as Hessel et al. (2021) define them.

    CLIP-S(c, v)       = w · max(cos(E_t(p + c), E_v(v)), 0)                 w = 2.5
    RefCLIP-S(c, R, v) = H-mean(CLIP-S(c, v), max(max_{r ∈ R} cos(E_t(p + c), E_t(p + r)), 0))

with p = "A photo depicts " put before every caption and reference, E_t and E_v CLIP's
projected text and image embeddings (ViT-B/32, ``openai/clip-vit-base-patch32``, by
default). torchmetrics' CLIPScore is 100 · max(cos, 0) without the prompt: other numbers.

A text longer than CLIP's 77 positions is cut there, as the paper's code does (the end
token kept); how many candidates were cut is in the details (``truncated``). Statistics:
CLIP-S per example and a 0/1 column for the cut (RefCLIP-S adds its score first); the
corpus score is the mean, on the paper's scale (CLIP-S at most 2.5).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from harness.errors import DataError
from harness.metrics.base import Corpus
from harness.metrics.common import MeanMetric, nrefs, present_refs
from harness.metrics.learned import LearnedMetric, LearnedOptions, Placement, Weights
from harness.options import option
from harness.registry import metrics
from harness.signature import Signature

PROMPT = "A photo depicts "
W = 2.5
MAX_TOKENS = 77  # CLIP's text positions


@dataclass(frozen=True)
class CLIPScoreOptions(LearnedOptions):
    model: str = option("openai/clip-vit-base-patch32", "a Hugging Face hub id or a local folder "
                                                        "of a CLIPModel with its processor")


class CLIPEncoder:
    """A CLIP model on its device: unit-length text and image embeddings, in batches."""

    def __init__(self, weights: Weights, placement: Placement):
        from transformers import CLIPModel, CLIPProcessor
        self.placement, self.device = placement, placement.device
        self.processor = CLIPProcessor.from_pretrained(weights.folder)
        self.model = CLIPModel.from_pretrained(weights.folder).eval()
        self.model.to(device=self.device, dtype=placement.dtype)
        vision = self.model.config.vision_config
        # an image's tokens in the vision tower: its patches and the class token
        self.image_tokens = (vision.image_size // vision.patch_size) ** 2 + 1

    def token_counts(self, texts: Sequence[str]) -> list[int]:
        return [len(ids) for ids in self.processor.tokenizer(list(texts))["input_ids"]]

    def texts(self, texts: Sequence[str]) -> np.ndarray:
        import torch
        tokenizer = self.processor.tokenizer

        def forward(rows: list[int]) -> list:
            batch = tokenizer([texts[i] for i in rows], padding=True, truncation=True,
                              max_length=MAX_TOKENS, return_tensors="pt").to(self.device)
            with torch.inference_mode():
                return list(_unit(self.model.get_text_features(**batch).pooler_output))

        return np.stack(self.placement.run(self.token_counts(texts), forward, lambda i: f"text {texts[i][:40]!r}"))

    def images(self, paths: Sequence[str], ids: Sequence[str]) -> np.ndarray:
        import torch
        from PIL import Image

        def read(i: int):
            try:
                with Image.open(paths[i]) as image:
                    return image.convert("RGB")
            except OSError as err:
                where = f"example {ids[i]!r}" if i < len(ids) else f"example #{i}"
                raise DataError(f"{where}: cannot read image {paths[i]} ({err}); clipscore "
                                f"reads the images the examples name") from err

        def forward(rows: list[int]) -> list:
            pixels = self.processor.image_processor(images=[read(i) for i in rows], return_tensors="pt")
            pixels = pixels["pixel_values"].to(self.device, dtype=self.model.dtype)
            with torch.inference_mode():
                return list(_unit(self.model.get_image_features(pixel_values=pixels).pooler_output))

        return np.stack(self.placement.run([self.image_tokens] * len(paths), forward,
                                           lambda i: f"image {paths[i]}"))


def _unit(features) -> np.ndarray:
    features = features.float().cpu().numpy().astype(np.float64)
    return features / np.linalg.norm(features, axis=-1, keepdims=True)


class _CLIPMetric(LearnedMetric, MeanMetric):
    Options = CLIPScoreOptions
    licence = "openai/clip-vit-base-patch32: MIT"
    licences = {"openai/clip-vit-base-patch32": "mit"}
    reads_images = True
    scale = 1.0

    def load(self) -> CLIPEncoder:
        return CLIPEncoder(self.weights, self.placement)

    def base_fields(self) -> list[tuple[str, str]]:
        return [("w", str(W)), ("prompt", PROMPT.strip()), *self.model_fields()]

    def candidate_scores(self, corpus: Corpus) -> tuple[CLIPEncoder, np.ndarray, np.ndarray, np.ndarray]:
        """(encoder, candidate embeddings, CLIP-S, 1 where the prompted candidate was cut)."""
        encoder = self.network
        prompted = [PROMPT + c for c in corpus.predictions]
        captions = encoder.texts(prompted)
        images = encoder.images(corpus.images or (), corpus.ids)
        clip_s = W * np.clip((captions * images).sum(axis=1), 0, None)
        cut = np.array([n > MAX_TOKENS for n in encoder.token_counts(prompted)], dtype=np.float64)
        return encoder, captions, clip_s, cut

    def per_example(self, stats: np.ndarray) -> np.ndarray:
        return stats[:, 0]

    def details(self, stats: np.ndarray) -> dict:
        return {"truncated": int(stats[:, -1].sum()), "max_tokens": MAX_TOKENS, "licence": self.weights_licence()}


@metrics.register("clipscore")
class CLIPScore(_CLIPMetric):
    description = "CLIP-S of Hessel et al. 2021: 2.5·max(cos(caption, image), 0), reference-free"

    def n_columns(self) -> int:
        return 2

    def signature(self, corpus: Corpus) -> Signature:
        return Signature.of("clipscore", *self.base_fields())

    def statistics(self, corpus: Corpus) -> np.ndarray:
        _, _, clip_s, cut = self.candidate_scores(corpus)
        return np.stack([clip_s, cut], axis=1)


@metrics.register("refclipscore")
class RefCLIPScore(_CLIPMetric):
    description = ("RefCLIP-S of Hessel et al. 2021: harmonic mean of CLIP-S and the best "
                   "reference cosine")

    def n_columns(self) -> int:
        return 3

    def signature(self, corpus: Corpus) -> Signature:
        return Signature.of("refclipscore", ("nrefs", nrefs(corpus.references)), ("refs", "max"),
                            *self.base_fields())

    def details(self, stats: np.ndarray) -> dict:
        return {"clipscore": float(stats[:, 1].mean()), **super().details(stats)}

    def statistics(self, corpus: Corpus) -> np.ndarray:
        encoder, captions, clip_s, cut = self.candidate_scores(corpus)
        refs = [present_refs(r) for r in corpus.references]
        embedded = encoder.texts([PROMPT + r for group in refs for r in group])
        best, at = np.empty(len(refs)), 0
        for i, group in enumerate(refs):
            best[i] = max(0.0, float((embedded[at:at + len(group)] @ captions[i]).max()))
            at += len(group)
        total = clip_s + best
        refclip_s = np.divide(2 * clip_s * best, total, out=np.zeros_like(total), where=total > 0)
        return np.stack([refclip_s, clip_s, cut], axis=1)
