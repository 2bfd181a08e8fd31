"""COMET: a learned translation metric, computed in the harness from COMET's own checkpoints.

A COMET checkpoint folder holds ``hparams.yaml`` and ``checkpoints/model.ckpt`` (a Lightning
checkpoint: encoder weights, layer mix, estimator). The forward pass is unbabel-comet 2.2.7's
for its regression models (wmt22-comet-da, wmt20-comet-da, the reference-free
wmt20/21-comet-qe-da), CometKiwi and xCOMET, on XLM-R or XLM-R XL encoders, rewritten on
today's transformers, because unbabel-comet pins transformers < 5, numpy < 2 and an old
jsonargparse that the harness's environment does not keep. Regression models encode each of
source, translation and reference alone (truncated to 510 tokens), mix the encoder's layers
by learned weights (sparsemax or softmax), mean-pool over the tokens, and the estimator reads
[mt, ref, mt·ref, |mt−ref|, mt·src, |mt−src|] (reference-free: [mt, src, mt·src, |mt−src|]).
CometKiwi (COMET's unified model reading translation and source) encodes
``<s> mt </s></s> src </s>`` as one sequence and scores its first token's mixed embedding.
xCOMET scores mt+src, mt+ref and mt+src+ref so, tags error spans in the translation from the
three inputs' weighted word-level probabilities, and adds the MQM score of those spans; the
spans' counts by severity are statistics columns beside the score.
``tests/test_metrics_comet.py`` holds it equal to unbabel-comet's ``predict`` per segment.

Several references: each is scored, and the example's score is their mean (COMET's own
command line scores each reference set separately); the signature says ``refs:mean``.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
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

DEFAULT_MODEL = "Unbabel/wmt22-comet-da"
LICENCES = {  # as the model cards say, for listings made before a model is fetched
    "Unbabel/wmt22-comet-da": "apache-2.0", "Unbabel/wmt20-comet-da": "apache-2.0",
    "Unbabel/wmt20-comet-qe-da": "apache-2.0", "Unbabel/wmt21-comet-qe-da": "apache-2.0",
    "Unbabel/wmt22-cometkiwi-da": "cc-by-nc-sa-4.0 (gated)",
    "Unbabel/wmt23-cometkiwi-da-xl": "cc-by-nc-sa-4.0 (gated)",
    "Unbabel/XCOMET-XL": "cc-by-nc-sa-4.0", "Unbabel/XCOMET-XXL": "cc-by-nc-sa-4.0"}
# COMET's encoder names → transformers' classes (XL: wmt23-cometkiwi-da-xl and -xxl, xCOMET)
ENCODERS = {"XLM-RoBERTa": ("XLMRobertaConfig", "XLMRobertaModel"),
            "XLM-RoBERTa-XL": ("XLMRobertaXLConfig", "XLMRobertaXLModel")}
SUPPORTED = ("regression_metric", "referenceless_regression_metric", "unified_metric", "xcomet_metric")
# xCOMET: the weights of its three inputs' regressions and of the score its error spans give,
# of the inputs' span probabilities, and each severity's MQM penalty (constants of its code)
XCOMET_SCORE_WEIGHTS, XCOMET_SPAN_WEIGHTS = (0.12, 0.33, 0.33, 0.22), (0.1667, 0.3333, 0.5)
SEVERITIES = {"minor": 1, "major": 5, "critical": 10}


@dataclass(frozen=True)
class CometOptions(LearnedOptions):
    model: str = option(DEFAULT_MODEL, "a COMET checkpoint: hub id or folder holding hparams.yaml "
                                       "and checkpoints/model.ckpt")


class CometCheckpoint:
    """A COMET checkpoint (regression, CometKiwi, xCOMET): its hyper-parameters and files."""

    def __init__(self, weights: Weights, what: str):
        import yaml
        self.weights, self.what = weights, what
        hparams_file = weights.folder / "hparams.yaml"
        self.ckpt = weights.folder / "checkpoints" / "model.ckpt"
        if not hparams_file.is_file() or not self.ckpt.is_file():
            raise UsageError(f"{what}: {weights.folder} is not a COMET checkpoint (it needs "
                             f"hparams.yaml and checkpoints/model.ckpt)")
        self.hparams = yaml.safe_load(hparams_file.read_text(encoding="utf-8"))
        kind = self.hparams.get("class_identifier")
        # CometKiwi and xCOMET read the texts joined into one sequence; xCOMET tags error spans
        self.joint, self.spans = kind in ("unified_metric", "xcomet_metric"), kind == "xcomet_metric"
        segments = self.hparams.get("input_segments")
        if kind not in SUPPORTED or kind == "unified_metric" and (
                self.hparams.get("word_level_training") or segments != ["mt", "src"]):
            raise UsageError(f"{what}: {weights.model} is a {kind!r} COMET model"
                             f"{f' reading {segments}' if segments else ''}; the harness computes "
                             f"the regression models (wmt22-comet-da, wmt20/21-comet-qe-da), "
                             f"CometKiwi and xCOMET")
        if self.hparams.get("encoder_model") not in ENCODERS:
            raise UsageError(f"{what}: encoder {self.hparams.get('encoder_model')!r} is not "
                             f"supported; the harness runs COMET's {' and '.join(ENCODERS)} checkpoints")
        self.reads_references = kind in ("regression_metric", "xcomet_metric")

    @cached_property
    def encoder_folder(self) -> Weights:
        """Where the encoder's config and tokenizer are (COMET's ``pretrained_model``)."""
        return locate(str(self.hparams["pretrained_model"]), f"{self.what}: its encoder",
                      CONFIG_AND_TOKENIZER)


class CometNetwork:
    """The encoder, layer mix, pooling and estimator, on the placement's device and dtype."""

    def __init__(self, checkpoint: CometCheckpoint, placement: Placement):
        import torch
        import transformers

        hp, folder = checkpoint.hparams, checkpoint.encoder_folder.folder
        self.hp, self.placement = hp, placement
        self.tokenizer = TextEncoder(folder, "<pad>")
        with quiet_loading():
            config_class, model_class = (getattr(transformers, n) for n in ENCODERS[hp["encoder_model"]])
            config = config_class.from_pretrained(folder)
        state = _read_checkpoint(checkpoint.ckpt)["state_dict"]
        self.encoder = model_class(config, add_pooling_layer=False)
        encoder_state = {k.removeprefix("encoder.model."): v for k, v in state.items()
                         if k.startswith("encoder.model.")}
        missing, _ = self.encoder.load_state_dict(encoder_state, strict=False)
        if [k for k in missing if not k.endswith("position_ids")]:
            raise UsageError(f"{checkpoint.what}: {checkpoint.ckpt} lacks encoder weights "
                             f"({missing[0]}, ...); is it a COMET checkpoint of this encoder?")
        self.mix = None
        self.joint = checkpoint.joint
        self.layer = hp.get("sent_layer" if self.joint else "layer", "mix")
        if self.layer == "mix":
            self.mix = torch.cat([state[f"layerwise_attention.scalar_parameters.{i}"]
                                  for i in range(config.num_hidden_layers + 1)])
            self.gamma = state["layerwise_attention.gamma"]
        self.estimator = estimator_from(state, hp)
        if checkpoint.spans:  # the word-level head: O, then I-<severity> per error label
            self.tagger = torch.nn.Linear(*state["hidden2tag.weight"].shape[::-1])
            self.tagger.load_state_dict({"weight": state["hidden2tag.weight"],
                                         "bias": state["hidden2tag.bias"]})
            self.tagger.to(placement.device, placement.dtype).eval()
            self.labels = ["O", *(f"I-{label}" for label in hp.get("error_labels", SEVERITIES))]
        # COMET's "max positions" are the encoder's less XLM-R's padding offset; each text is
        # cut to them less its two special tokens
        self.positions = config.max_position_embeddings - 2
        self.max_length = self.positions - 2
        self.encoder.to(placement.device, placement.dtype).eval()
        self.estimator.to(placement.device, placement.dtype).eval()
        if self.mix is not None:
            self.weights = _normalize(self.mix.float(), hp.get("layer_transformation", "softmax"))
            self.weights = self.weights.to(placement.device, placement.dtype)
            self.gamma = self.gamma.to(placement.device, placement.dtype)

    def tokenize(self, texts: Sequence[str]) -> list[list[int]]:
        return self.tokenizer.encode(texts, self.max_length)

    def embed(self, rows: Sequence[Sequence[int]], words: bool = False):
        """Pooled embeddings; ``words``: also the word-level head's logits (xCOMET)."""
        import torch
        ids, mask = pad(rows, self.tokenizer.pad_id, self.placement.device)
        out = self.encoder(input_ids=ids, attention_mask=mask, output_hidden_states=True)
        layers = out.hidden_states
        if words:
            word_layer = layers[int(self.hp.get("word_layer", 24))]
            return self.embed_layers(ids, mask, out, layers), self.tagger(word_layer)
        return self.embed_layers(ids, mask, out, layers)

    def embed_layers(self, ids, mask, out, layers):
        import torch
        if self.mix is None:
            embeddings = layers[int(self.layer)]
        else:
            if self.hp.get("layer_norm"):
                layers = [_masked_norm(t, mask) for t in layers]
            embeddings = self.gamma * sum(w * t for w, t in zip(self.weights, layers))
        pool = "cls" if self.joint else self.hp.get("pool", "avg")
        if pool == "avg":
            kept = ids.ne(self.tokenizer.pad_id).unsqueeze(-1)
            summed = torch.sum(embeddings.float().masked_fill(~kept, 0.0).type_as(embeddings), 1)
            return summed / mask.unsqueeze(-1).expand(embeddings.size()).float().sum(1)
        if pool == "max":
            kept = ids.ne(self.tokenizer.pad_id).unsqueeze(-1)
            return embeddings.float().masked_fill(~kept, float("-inf")).type_as(embeddings).max(dim=1)[0]
        if pool in ("cls", "default"):  # default: the last layer's first token, COMET's sentemb
            return (embeddings if pool == "cls" else out.last_hidden_state)[:, 0, :]
        raise UsageError(f"COMET pooling {pool!r} is not supported")

    def score(self, src: Sequence[Sequence[int]], mt: Sequence[Sequence[int]],
              ref: Sequence[Sequence[int]] | None) -> list[float]:
        import torch
        with torch.inference_mode():
            s, m = self.embed(src), self.embed(mt)
            if ref is None:
                features = (m, s, m * s, torch.abs(m - s))
            else:
                r = self.embed(ref)
                features = (m, r, m * r, torch.abs(m - r), m * s, torch.abs(m - s))
            return self.estimator(torch.cat(features, dim=1)).view(-1).float().tolist()

    def score_joint(self, mt: Sequence[Sequence[int]], src: Sequence[Sequence[int]]) -> list[float]:
        """CometKiwi: ``<s> mt </s></s> src </s>`` encoded as one sequence, cut at the
        encoder's positions only when the two texts overflow them (COMET's concat_sequences)."""
        import torch
        with torch.inference_mode():
            pooled = self.embed([self.joined(parts) for parts in zip(mt, src)])
            return self.estimator(pooled).view(-1).float().tolist()

    def joined(self, parts: Sequence[Sequence[int]]) -> list[int]:
        """XLM-R's pair template applied part after part (``<s> a </s></s> b </s></s> c </s>``),
        cut at the encoder's positions when the parts' own tokens overflow them."""
        row = list(parts[0])
        for part in parts[1:]:
            row = row[:-1] + row[-1:] * 2 + list(part[1:])
        inner = sum(len(p) - 2 for p in parts)
        return row[:self.positions] if inner > self.positions - 1 - 2 * len(parts) else row

    def score_xcomet(self, mt, src, ref) -> list[list[float]]:
        """xCOMET: regressions over mt+src, mt+ref and mt+src+ref, and the error spans their
        weighted word-level probabilities tag in the translation; per input, [score, minor,
        major, critical span counts]."""
        import torch
        with torch.inference_mode():
            outputs = [self.embed([self.joined(p) for p in zip(*parts)], words=True)
                       for parts in ((mt, src), (mt, ref), (mt, src, ref))]
            regression = sum(torch.clamp(self.estimator(pooled).view(-1), max=1.0) * w
                             for (pooled, _), w in zip(outputs, XCOMET_SCORE_WEIGHTS))
            width = max(len(m) for m in mt)
            probs = sum(torch.softmax(logits.float(), dim=2)[:, :width] * w
                        for (_, logits), w in zip(outputs, XCOMET_SPAN_WEIGHTS))
            rows = []
            for i, m in enumerate(mt):  # the translation's own tokens, its <s> and </s> included
                counts = self.span_severities(probs[i][:len(m)].argmax(dim=1).tolist())
                penalty = min(25, sum(SEVERITIES[k] * n for k, n in counts.items()))
                score = float(regression[i]) + (25 - penalty) / 25 * XCOMET_SCORE_WEIGHTS[3]
                rows.append([score, *(counts[k] for k in SEVERITIES)])
            return rows

    def span_severities(self, labels: Sequence[int]) -> dict[str, int]:
        """Error spans per severity, decoded as COMET decodes them: a span opens at a token
        tagged I-<severity> (the first token's severity is the span's), closes at the next O; a
        span still open at the translation's end is dropped."""
        counts, open_severity = dict.fromkeys(SEVERITIES, 0), None
        for label in map(self.labels.__getitem__, labels):
            if label != "O" and open_severity is None:
                open_severity = label[2:]
            elif label == "O" and open_severity is not None:
                counts[open_severity] += 1
                open_severity = None
        return counts


def _read_checkpoint(path):
    import pickle

    import torch
    try:
        return torch.load(path, map_location="cpu", weights_only=True, mmap=True)
    except (pickle.UnpicklingError, RuntimeError):
        # a Lightning checkpoint whose hyper-parameters hold objects the restricted loader
        # refuses, or an older torch format that cannot be memory-mapped: unbabel-comet
        # unpickles its checkpoints unrestricted, and so does this, for them alone
        return torch.load(path, map_location="cpu", weights_only=False)


def estimator_from(state: dict, hp: dict):
    """COMET's feed-forward head: Linear, activation (and dropout, idle here) per hidden size,
    then a Linear to one output and the optional final activation."""
    import torch
    nn = torch.nn
    n_hidden = len(hp.get("hidden_sizes", [3072, 1024]))
    modules = []
    for i in range(n_hidden + 1):
        weight, bias = state[f"estimator.ff.{3 * i}.weight"], state[f"estimator.ff.{3 * i}.bias"]
        linear = nn.Linear(weight.shape[1], weight.shape[0])
        linear.load_state_dict({"weight": weight, "bias": bias})
        modules.append(linear)
        if i < n_hidden:
            modules.append(getattr(nn, hp.get("activations", "Tanh").title())())
    if hp.get("final_activation"):
        modules.append(getattr(nn, hp["final_activation"].title())())
    return nn.Sequential(*modules)


def _normalize(weights, how: str):
    import torch
    if how == "softmax" or how == "sparsemax_patch":  # COMET ≥ 2.2.4 reads the patch as softmax
        return torch.softmax(weights, dim=0)
    if how != "sparsemax":
        raise UsageError(f"COMET layer_transformation {how!r} is not supported")
    # sparsemax (Martins & Astudillo 2016): the Euclidean projection onto the simplex
    z, _ = torch.sort(weights, descending=True)
    k = torch.arange(1, len(z) + 1, dtype=weights.dtype)
    cumulative = z.cumsum(0) - 1
    support = int((k * z > cumulative).sum())
    tau = cumulative[support - 1] / support
    return torch.clamp(weights - tau, min=0)


def _masked_norm(tensor, mask):
    """COMET's per-sentence layer norm over the unpadded positions of every hidden unit."""
    import torch
    m = mask.unsqueeze(-1).to(tensor.dtype)
    count = mask.sum(1) * tensor.shape[-1]
    mean = (tensor * m).view(len(tensor), -1).sum(1) / count
    mean = mean.view(-1, 1, 1)
    var = (((tensor * m - mean) * m) ** 2).view(len(tensor), -1).sum(1) / count
    return (tensor - mean) / torch.sqrt(var + 1e-12).view(-1, 1, 1)


@metrics.register("comet")
class Comet(LearnedMetric, MeanMetric):
    """COMET per segment (0-1, shown ×100); the corpus score is the mean."""

    description = ("COMET checkpoints (wmt22-comet-da, xCOMET; reference-free: CometKiwi, "
                   "wmt20/21-comet-qe-da), equal to unbabel-comet 2.2.7 per segment (mean, x100)")
    licence = "per model, in the signature: wmt22-comet-da apache-2.0, CometKiwi and xCOMET cc-by-nc-sa-4.0"
    Options = CometOptions
    extra = "comet"
    licences = LICENCES
    reads_sources = True

    @cached_property
    def checkpoint(self) -> CometCheckpoint:
        return CometCheckpoint(self.weights, self.what)

    def load(self) -> CometNetwork:
        return CometNetwork(self.checkpoint, self.placement)

    def check_installed(self) -> None:
        super().check_installed()
        # the encoder's config and tokenizer come from the hub id the checkpoint names
        preflight(str(self.checkpoint.hparams["pretrained_model"]), f"{self.what}: its encoder",
                  CONFIG_AND_TOKENIZER)

    def statistics(self, corpus: Corpus) -> np.ndarray:
        network = self.network
        inputs = Inputs.of(corpus, self.checkpoint.reads_references)
        src = network.tokenize([corpus.sources[i] for i in inputs.owner])
        mt = network.tokenize([corpus.predictions[i] for i in inputs.owner])
        ref = network.tokenize(inputs.references) if self.checkpoint.reads_references else None
        lengths = [len(src[j]) + len(mt[j]) + (len(ref[j]) if ref else 0) if self.checkpoint.joint else
                   max(len(src[j]), len(mt[j]), len(ref[j]) if ref else 0) for j in range(len(mt))]

        def forward(batch: list[int]) -> list:
            pick = lambda rows: [rows[j] for j in batch]  # noqa: E731
            if self.checkpoint.spans:
                return network.score_xcomet(pick(mt), pick(src), pick(ref))
            if self.checkpoint.joint:
                return network.score_joint(pick(mt), pick(src))
            return network.score(pick(src), pick(mt), pick(ref) if ref else None)

        scores = self.placement.run(lengths, forward, lambda j: inputs.example(corpus, j))
        return inputs.means(scores, len(corpus))

    def signature(self, corpus: Corpus) -> Signature:
        refs = self.checkpoint.reads_references
        return Signature.of("comet", ("nrefs", nrefs(corpus.references) if refs else "0"),
                            *([("refs", "mean")] if refs else []), *self.model_fields(),
                            ("version", "comet-2.2.7-exact"))

    def n_columns(self) -> None:
        # 1, or xCOMET's 4 (its span counts too): only the checkpoint says, and reading stored
        # statistics must not fetch a checkpoint
        return None

    def details(self, stats: np.ndarray) -> dict:
        found = {"model": self.weights.model, "licence": self.weights_licence()}
        if self.checkpoint.spans:  # error spans by severity, over the examples (their mean over references)
            return {**found, "error_spans": {k: round(float(stats[:, 1 + i].sum()), 3)
                                             for i, k in enumerate(SEVERITIES)}}
        return {**found, "reference_free": not self.checkpoint.reads_references}

