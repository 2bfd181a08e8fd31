"""BERTScore (Zhang et al., 2020) as the ``bert-score`` package computes it.

The package's own pieces make the numbers: its tokenization (``sent_encode``), its model
cut to ``num_layers`` (``get_model``), its idf weights (``get_idf_dict``, from the
references), its greedy matching (``greedy_cos_idf``), its baseline files and its hash
text. The harness adds what ``bert_score.score`` lacks: batches sorted by token count
rather than by words, out-of-memory back-off, a dtype, weights found offline, and a
signature with the weights' hash. Per example, P, R and F equal ``bert_score.score`` on
the same model to 1e-6 (tests/test_metrics_bertscore.py).

Statistics are (n, 3): P, R, F per example, each the best over the example's references
taken separately, as ``bert_score.score`` does; the corpus score is the mean F (0-1, the
package's scale); P and R means are in the details. An empty text is two special tokens
(``[CLS] [SEP]``), which bert-score scores 0: its own ``sent_encode`` no longer builds
that on transformers 5.
"""
from __future__ import annotations

import contextlib
import io
import os
from collections import defaultdict
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from harness.errors import MissingDependency, UsageError
from harness.metrics.base import Corpus
from harness.metrics.common import MeanMetric, nrefs, package_version, present_refs
from harness.metrics.learned import LearnedMetric, LearnedOptions, require_libraries
from harness.options import option
from harness.registry import metrics
from harness.signature import Signature

MATCH_ROWS = 64  # pairs per greedy-matching step: small tensors, whatever the batch size


def import_bert_score():
    try:
        import bert_score.utils
        import torch  # noqa: F401
    except ImportError as exc:
        raise MissingDependency(exc.name or "bert-score", extra="bertscore",
                                why="for the bertscore metric") from exc
    return bert_score.utils


@dataclass(frozen=True)
class BERTScoreOptions(LearnedOptions):
    model: str = option("roberta-large", "a Hugging Face hub id or a local folder (bert-score's "
                                         "model_type)")
    num_layers: int | None = option(None, "the layer whose embeddings are matched (default: "
                                          "bert-score's tuned layer for the model, 17 for roberta-large)")
    idf: bool = option(False, "weight tokens by idf computed from the references")
    rescale_with_baseline: bool = option(False, "rescale with the baseline file bert-score ships "
                                                "for the model and lang")
    lang: str = option("en", "language of the baseline file (rescale_with_baseline)")
    baseline_path: str | None = option(None, "a baseline file of your own for rescale_with_baseline "
                                             "(bert-score's format: a row per layer, columns P, R, F)")


@metrics.register("bertscore")
class BERTScore(LearnedMetric, MeanMetric):
    description = "BERTScore F1 (bert-score's P/R/F; roberta-large layer 17 by default), 0-1"
    licence = "roberta-large: MIT"
    licences = {"roberta-large": "mit"}
    Options = BERTScoreOptions
    extra = "bertscore"
    scale = 1.0

    def check_packages(self) -> None:
        # found, not imported: bert-score imports matplotlib's pyplot, seconds a plan need not wait
        require_libraries(self.extra, "for the bertscore metric", also=("bert_score",))
        self.layers()

    def layers(self) -> int:
        if self.options.num_layers is not None:
            return self.options.num_layers
        known = import_bert_score().model2layers
        if self.options.model not in known:
            raise UsageError(f"metric {self.name!r}: bert-score has no tuned layer for "
                             f"{self.options.model!r}; give num_layers=N")
        return known[self.options.model]

    def n_columns(self) -> int:
        return 3

    def score_totals(self, totals: np.ndarray, n_rows: int) -> np.ndarray:
        return totals[:, 2] / max(n_rows, 1)

    def per_example(self, stats: np.ndarray) -> np.ndarray:
        return stats[:, 2]

    def details(self, stats: np.ndarray) -> dict:
        return {"P": float(stats[:, 0].mean()), "R": float(stats[:, 1].mean()),
                "F": float(stats[:, 2].mean()), "licence": self.weights_licence()}

    def hash_text(self) -> str:
        """bert-score's own description of these settings (``get_hash``)."""
        o = self.options
        return import_bert_score().get_hash(o.model, self.layers(), o.idf, o.rescale_with_baseline,
                                            use_custom_baseline=o.baseline_path is not None,
                                            use_fast_tokenizer=False)

    def signature(self, corpus: Corpus) -> Signature:
        return Signature.of("bertscore", ("nrefs", nrefs(corpus.references)), ("refs", "max"),
                            ("hash", self.hash_text()), *self.model_fields(),
                            ("version", package_version("bert-score")))

    def statistics(self, corpus: Corpus) -> np.ndarray:
        refs = [present_refs(r) for r in corpus.references]
        flat_refs = [r for group in refs for r in group]
        flat_preds = [p for p, group in zip(corpus.predictions, refs) for _ in group]
        scores = self.pair_scores(flat_preds, flat_refs)
        out, at = np.empty((len(refs), 3)), 0
        for i, group in enumerate(refs):
            out[i] = scores[at:at + len(group)].max(axis=0)  # P, R, F each at its best reference
            at += len(group)
        return self.rescaled(out)

    def pair_scores(self, predictions: Sequence[str], references: Sequence[str]) -> np.ndarray:
        """(n, 3) P, R, F of each (prediction, reference) pair."""
        import torch
        utils = import_bert_score()
        o = self.options
        tokenizer, model, device = self.network
        if o.idf:
            idf = utils.get_idf_dict(list(references), tokenizer, nthreads=0)
        else:  # bert-score's weights without idf: 1, and 0 for the two special tokens
            idf = defaultdict(lambda: 1.0, {tokenizer.sep_token_id: 0.0, tokenizer.cls_token_id: 0.0})
        texts = sorted(set(predictions) | set(references))
        encoded = [encode(utils, tokenizer, t) for t in texts]

        def embed(rows: list[int]) -> list:
            ids, _, mask = utils.padding([encoded[i] for i in rows], tokenizer.pad_token_id)
            emb = utils.bert_encode(model, ids.to(device), mask.to(device)).float().cpu()
            return [emb[k, :len(encoded[i])] for k, i in enumerate(rows)]

        vectors = self.placement.run([len(e) for e in encoded], embed, lambda i: f"text {texts[i][:40]!r}")
        where = {t: i for i, t in enumerate(texts)}
        weights = [torch.tensor([idf[t] for t in e]) for e in encoded]
        out = []
        for a in range(0, len(predictions), MATCH_ROWS):
            hyp = [where[t] for t in predictions[a:a + MATCH_ROWS]]
            ref = [where[t] for t in references[a:a + MATCH_ROWS]]
            with contextlib.redirect_stderr(io.StringIO()):  # its notes on empty texts, per batch
                p, r, f = utils.greedy_cos_idf(*padded(vectors, weights, ref), *padded(vectors, weights, hyp))
            out.append(torch.stack((p, r, f), dim=-1).numpy())
        return np.concatenate(out).astype(np.float64) if out else np.empty((0, 3))

    def load(self):
        """(tokenizer, model cut to its layers, device)."""
        utils = import_bert_score()
        device, folder = self.placement.device, str(self.weights.folder)
        model = utils.get_model(folder, self.layers()).to(device=device, dtype=self.placement.dtype)
        return utils.get_tokenizer(folder, False), model, device

    def rescaled(self, scores: np.ndarray) -> np.ndarray:
        """(x - b) / (1 - b) with bert-score's baseline row for the model's layer."""
        if not self.options.rescale_with_baseline:
            return scores
        import pandas as pd
        o = self.options
        path = o.baseline_path or os.path.join(os.path.dirname(import_bert_score().__file__),
                                               "rescale_baseline", o.lang, f"{o.model}.tsv")
        if not os.path.isfile(path):
            raise UsageError(f"metric {self.name!r}: no baseline file {path}; bert-score ships them "
                             f"for hub models by lang, or give baseline_path=FILE")
        baseline = pd.read_csv(path).iloc[self.layers()].to_numpy()[1:].astype(np.float32)
        # bert-score rescales float32 tensors; the same arithmetic keeps its digits
        return ((scores.astype(np.float32) - baseline) / (1 - baseline)).astype(np.float64)


def encode(utils, tokenizer, text: str) -> list[int]:
    if not text.strip():
        return [tokenizer.cls_token_id, tokenizer.sep_token_id]
    return utils.sent_encode(tokenizer, text)


def padded(vectors: list, weights: list, rows: list[int]):
    """A batch as bert-score's matching takes it: embeddings padded with 2.0, a length
    mask and idf weights padded with 0."""
    import torch
    from torch.nn.utils.rnn import pad_sequence
    emb = pad_sequence([vectors[i] for i in rows], batch_first=True, padding_value=2.0)
    idf = pad_sequence([weights[i].float() for i in rows], batch_first=True)
    lengths = torch.tensor([len(vectors[i]) for i in rows])
    mask = torch.arange(int(lengths.max())).expand(len(rows), -1) < lengths.unsqueeze(1)
    return emb, mask, idf
