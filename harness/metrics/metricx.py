"""MetricX-24 (Juraska et al., WMT 2024): an mT5 encoder-decoder read as a regression.

Google's code (google-research/metricx, not on PyPI, pinned to an old transformers) predicts
so, and this module does the same on today's transformers:

* the input is the text ``source: S candidate: C reference: R`` (quality estimation, without a
  reference: ``source: S candidate: C``), tokenized with mT5's tokenizer, cut at 1,536 tokens,
  and its last token dropped (the end-of-sequence mark, or the last of a cut input);
* the decoder takes one step from token 0; the score is the logit of vocabulary entry 250089
  (``<extra_id_10>``) at that step, clipped to [0, 25]: an error count, lower is better.

MetricX-24's published checkpoints (``google/metricx-24-hybrid-{large,xl,xxl}-v2p6``, and
their bfloat16 twins) are hybrid: the same weights score with or without references.
``tests/test_metrics_metricx.py`` pins this behaviour on a tiny checkpoint of the architecture.
Several references: each is scored and the example's score is their mean.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from harness.errors import UsageError
from harness.metrics.base import Corpus
from harness.metrics.common import MeanMetric, nrefs
from harness.metrics.learned import (CONFIG_AND_TOKENIZER, LearnedMetric, LearnedOptions, Placement,
                                     Weights, locate, preflight, quiet_loading)
from harness.metrics.learned_inputs import Inputs, TextEncoder, pad
from harness.options import option
from harness.registry import metrics
from harness.signature import Signature

DEFAULT_MODEL = "google/metricx-24-hybrid-large-v2p6"
DEFAULT_TOKENIZER = "google/mt5-xl"  # every MetricX-24 size reads mT5-XL's tokenizer
SCORE_ID = 250089  # <extra_id_10>
MAX_TOKENS = 1536
LICENCES = {DEFAULT_MODEL: "apache-2.0", "google/metricx-24-hybrid-xl-v2p6": "apache-2.0",
            "google/metricx-24-hybrid-xxl-v2p6": "apache-2.0"}


@dataclass(frozen=True)
class MetricXOptions(LearnedOptions):
    model: str = option(DEFAULT_MODEL, "a MetricX-24 checkpoint: hub id or transformers folder")
    tokenizer: str = option(DEFAULT_TOKENIZER, "mT5 tokenizer: hub id or folder; 'model': the "
                                               "model's own folder")
    mode: str = option("auto", "reference: source, candidate and reference; qe: source and "
                               "candidate only; auto: reference", choices=("auto", "reference", "qe"))


def metricx_input(source: str, candidate: str, reference: str | None) -> str:
    text = f"source: {source} candidate: {candidate}"
    return text if reference is None else f"{text} reference: {reference}"


class MetricXNetwork:
    """mT5's encoder and decoder (``MT5Model``) and the score's row of the output layer, read
    from the checkpoint's files: transformers 5 ties every mT5's output layer to its input
    embeddings, which MetricX's checkpoints do not, so ``MT5ForConditionalGeneration`` would
    read the wrong weights."""

    def __init__(self, options: MetricXOptions, weights: Weights, placement: Placement, what: str):
        from transformers import MT5Model

        tokenizer = weights.folder if options.tokenizer == "model" else \
            locate(options.tokenizer, f"{what}: tokenizer", CONFIG_AND_TOKENIZER).folder
        self.tokenizer = TextEncoder(tokenizer, "<pad>")
        with quiet_loading():
            self.model = MT5Model.from_pretrained(weights.folder, dtype=placement.dtype)
        self.model.to(placement.device).eval()
        self.row = score_row(weights.folder, what).to(placement.device, placement.dtype)
        self.device = placement.device

    def tokenize(self, texts: Sequence[str]) -> list[list[int]]:
        return [row[:-1] for row in self.tokenizer.encode(texts, MAX_TOKENS)]

    def score(self, rows: Sequence[Sequence[int]]) -> list[float]:
        import torch
        ids, mask = pad(rows, self.tokenizer.pad_id, self.device)
        start = torch.zeros((len(rows), 1), dtype=torch.long, device=self.device)
        with torch.inference_mode():
            hidden = self.model(input_ids=ids, attention_mask=mask, decoder_input_ids=start).last_hidden_state
            return torch.clamp((hidden[:, 0] @ self.row).float(), 0, 25).tolist()


def score_row(folder: Path, what: str):
    """Row 250089 of ``lm_head.weight`` from the checkpoint's files (safetensors or a torch
    pickle, sharded or not); a checkpoint with tied embeddings scales ``shared``'s row by
    d_model^-0.5, as Google's model does."""
    import torch
    from safetensors import safe_open

    config = json.loads((folder / "config.json").read_text())
    name = "shared.weight" if config.get("tie_word_embeddings") else "lm_head.weight"
    index = next((folder / f for f in ("model.safetensors.index.json", "pytorch_model.bin.index.json")
                  if (folder / f).is_file()), None)
    files = [folder / json.loads(index.read_text())["weight_map"][name]] if index else \
        [f for f in (folder / "model.safetensors", folder / "pytorch_model.bin") if f.is_file()]
    if not files:
        raise UsageError(f"{what}: {folder} has no model.safetensors or pytorch_model.bin")
    if files[0].suffix == ".safetensors":
        with safe_open(files[0], "pt") as handle:
            if name not in handle.keys():
                raise UsageError(f"{what}: {files[0]} has no {name}; is it a MetricX checkpoint?")
            row = handle.get_slice(name)[SCORE_ID].float()
    else:
        row = torch.load(files[0], map_location="cpu", weights_only=True, mmap=True)[name][SCORE_ID].float()
    return row * config["d_model"] ** -0.5 if name == "shared.weight" else row


@metrics.register("metricx")
class MetricX(LearnedMetric, MeanMetric):
    """MetricX-24 per segment (0-25 errors, lower is better); the corpus score is the mean."""

    description = ("MetricX-24 (google/metricx-24-hybrid-*), reference-based or QE, as Google's "
                   "predict code computes it (mean of 0-25, lower is better)")
    licence = "apache-2.0 (the MetricX-24 checkpoints)"
    higher_is_better = False
    scale = 1.0
    Options = MetricXOptions
    extra = "metricx"
    licences = LICENCES
    reads_sources = True

    @property
    def qe(self) -> bool:
        return self.options.mode == "qe"

    def load(self) -> MetricXNetwork:
        return MetricXNetwork(self.options, self.weights, self.placement, self.what)

    def check_installed(self) -> None:
        super().check_installed()
        if self.options.tokenizer != "model":
            preflight(self.options.tokenizer, f"{self.what}: tokenizer", CONFIG_AND_TOKENIZER)

    def statistics(self, corpus: Corpus) -> np.ndarray:
        network = self.network
        inputs = Inputs.of(corpus, not self.qe)
        rows = network.tokenize([metricx_input(corpus.sources[i], corpus.predictions[i], r)
                                 for i, r in zip(inputs.owner, inputs.references)])
        scores = self.placement.run([len(r) for r in rows], lambda batch: network.score([rows[j] for j in batch]),
                               lambda j: inputs.example(corpus, j))
        return inputs.means(scores, len(corpus))

    def signature(self, corpus: Corpus) -> Signature:
        return Signature.of("metricx", ("nrefs", "0" if self.qe else nrefs(corpus.references)),
                            *([] if self.qe else [("refs", "mean")]),
                            ("tok", self.options.tokenizer.rsplit("/", 1)[-1]), *self.model_fields(),
                            ("version", "metricx24-predict"))
