"""COCO caption metrics with pycocoevalcap semantics: CIDEr-D, BLEU-1..4, ROUGE-L, METEOR.

As ``COCOEvalCap.evaluate`` does: references and predictions are PTB-tokenized (each
side as one document, in example order; ptb.py), then scored. The tokens are computed
once per corpus and tokenizer and shared by every COCO metric through ``Corpus.memo``.
Every example is one image with one prediction and its references.

Statistics rows are per image: CIDEr-D's per-image score with document frequencies
from the whole scored reference set held fixed (so a bootstrap resamples images, not the
idf table); BLEU's testlen / closest reflen / guesses / clipped matches, aggregated at the
corpus level exactly as pycocoevalcap's BleuScorer; ROUGE-L's per-image score (β = 1.2,
best precision and best recall over references); METEOR's per-segment statistics,
summed and scored by the METEOR 1.5 jar (meteor.py). Scores are pycocoevalcap's × 100
(CIDEr 120.5 for pycocoevalcap's 1.205).
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from harness.metrics import ptb
from harness.metrics.base import Corpus
from harness.metrics.cider import CocoNgrams, bleu_from_stats, bleu_stats, cider_d
from harness.metrics.common import (MeanMetric, SummableMetric, check_corpus, gc_paused, nrefs,
                                    package_version, present_refs)
from harness.metrics.lcs import lcs_length
from harness.metrics.meteor import shared_scorer
from harness.options import option
from harness.registry import metrics
from harness.signature import Signature

ROUGE_BETA = 1.2


def coco_tokens(corpus: Corpus, tokenizer: str) -> tuple[list[str], list[list[str]]]:
    """(tokenized predictions, tokenized references per example), memoised on the corpus."""
    def compute():
        with gc_paused():
            return _tokens(corpus, tokenizer)
    return corpus.memo(("coco-ptb", tokenizer), compute)


def _tokens(corpus: Corpus, tokenizer: str) -> tuple[list[str], list[list[str]]]:
    refs = [present_refs(r) for r in corpus.references]
    if tokenizer == "none":
        return [p.strip() for p in corpus.predictions], [[r.strip() for r in rs] for rs in refs]
    flat_refs, predictions = [r for rs in refs for r in rs], list(corpus.predictions)
    if tokenizer == "ptb-java":
        # two JVM starts (~0.15 s each) overlap instead of queueing; the pure-Python lexer
        # stays sequential: two threads of it contend for the GIL and took twice as long
        with ThreadPoolExecutor(1) as pool:
            refs_job = pool.submit(ptb.tokenize, flat_refs, tokenizer)
            tokenized = ptb.tokenize(predictions, tokenizer)
            flat = refs_job.result()
    else:
        flat, tokenized = ptb.tokenize(flat_refs, tokenizer), ptb.tokenize(predictions, tokenizer)
    grouped, at = [], 0
    for rs in refs:
        grouped.append(flat[at:at + len(rs)])
        at += len(rs)
    return tokenized, grouped


def coco_ngrams(corpus: Corpus, tokenizer: str):

    def compute():
        tokens = coco_tokens(corpus, tokenizer)
        with gc_paused():
            return CocoNgrams.build(*tokens)
    return corpus.memo(("coco-ngrams", tokenizer), compute)


@dataclass(frozen=True)
class CocoOptions:
    tokenizer: str = option("auto", "auto (Java PTBTokenizer if java is on PATH, else ptb-python) | "
                                    "ptb-java | ptb-python | none (already tokenized: strip only)",
                            choices=ptb.TOKENIZERS)


class CocoMetric(SummableMetric):
    Options = CocoOptions
    signature_fields: ClassVar[tuple[tuple[str, str], ...]] = ()  # the metric's fixed settings

    def __init__(self, **options: Any):
        super().__init__(**options)
        self._tokenizer: str | None = None

    @property
    def tokenizer(self) -> str:
        """The tokenizer actually used (``auto`` resolved once per metric)."""
        if self._tokenizer is None:
            self._tokenizer = ptb.resolve(self.options.tokenizer)
        return self._tokenizer

    def signature(self, corpus: Corpus) -> Signature:
        return Signature.of(self.name, *self.signature_fields, ("tok", self.tokenizer),
                            ("nrefs", nrefs(corpus.references)),
                            ("version", f"pycocoevalcap-{package_version('pycocoevalcap')}"))


@metrics.register("cider")
class CIDEr(CocoMetric, MeanMetric):
    """CIDEr-D (pycocoevalcap Cider: sigma 6, clipping, length penalty, x10) x 100."""

    name = "cider"
    description = "CIDEr-D as pycocoevalcap, x100 (COCO captioning)"
    signature_fields = (("variant", "D"), ("sigma", "6"), ("n", "4"), ("df", "scored-refs"))

    def statistics(self, corpus: Corpus) -> np.ndarray:
        check_corpus(corpus)
        return cider_d(coco_ngrams(corpus, self.tokenizer))[:, None]


def _coco_bleu_stats(corpus: Corpus, tokenizer: str) -> np.ndarray:
    return corpus.memo(("coco-bleu-stats", tokenizer), lambda: bleu_stats(coco_ngrams(corpus, tokenizer)))


class CocoBLEU(CocoMetric):
    """pycocoevalcap BLEU-n: corpus level, closest reference length, its 1e-9 / 1e-15 guards."""

    order: ClassVar[int] = 4
    signature_fields = (("reflen", "closest"),)

    def statistics(self, corpus: Corpus) -> np.ndarray:
        check_corpus(corpus)
        return _coco_bleu_stats(corpus, self.tokenizer)

    def n_columns(self) -> int:
        return 2 + 2 * 4  # every order shares the 4-gram statistics (CocoNgrams.build's n)

    def score_totals(self, totals: np.ndarray, n_rows: int) -> np.ndarray:
        return 100.0 * bleu_from_stats(totals, self.order)

    def per_example(self, stats: np.ndarray) -> np.ndarray:
        """Per-image BLEU as pycocoevalcap reports it (its own per-image brevity penalty)."""
        return 100.0 * bleu_from_stats(stats, self.order)

    def details(self, stats: np.ndarray) -> dict:
        total = stats.sum(axis=0)
        n = (len(total) - 2) // 2
        return {"testlen": int(total[0]), "reflen": int(total[1]),
                "guess": [int(x) for x in total[2:2 + n]], "correct": [int(x) for x in total[2 + n:]]}


def _register_bleu(order: int) -> type:
    name = f"coco_bleu{order}"
    return metrics.register(name)(type(f"CocoBLEU{order}", (CocoBLEU,), {
        "name": name, "order": order, "__module__": __name__,
        "description": f"BLEU-{order} as pycocoevalcap (COCO captioning), x100"}))


CocoBLEU1, CocoBLEU2, CocoBLEU3, CocoBLEU4 = (_register_bleu(order) for order in (1, 2, 3, 4))


def coco_rouge_l(hypothesis: str, references: list[str], beta: float = ROUGE_BETA) -> float:
    """pycocoevalcap Rouge.calc_score: tokens are ``split(" ")``; best P and best R apart."""
    candidate = hypothesis.split(" ")
    precisions, recalls = [], []
    for reference in references:
        tokens = reference.split(" ")
        lcs = lcs_length(tokens, candidate)
        precisions.append(lcs / float(len(candidate)))
        recalls.append(lcs / float(len(tokens)))
    p, r = max(precisions), max(recalls)
    if p != 0 and r != 0:
        return ((1 + beta ** 2) * p * r) / float(r + beta ** 2 * p)
    return 0.0


@metrics.register("coco_rougeL")
class CocoRougeL(CocoMetric, MeanMetric):
    """ROUGE-L as pycocoevalcap (β = 1.2, averaged over images), x100."""

    name = "coco_rougeL"
    description = "ROUGE-L as pycocoevalcap (beta 1.2), x100"
    signature_fields = (("beta", "1.2"),)

    def statistics(self, corpus: Corpus) -> np.ndarray:
        check_corpus(corpus)
        hyps, refs = coco_tokens(corpus, self.tokenizer)
        return np.array([coco_rouge_l(h, r) for h, r in zip(hyps, refs)], dtype=np.float64)[:, None]


@metrics.register("meteor")
class METEOR(CocoMetric):
    """METEOR 1.5 through pycocoevalcap's jar (``-l en -norm``); needs Java.

    Statistics are METEOR's per-segment sufficient statistics; the jar scores their sums,
    so the corpus score equals pycocoevalcap's and resamples are scored in one call.
    """

    name = "meteor"
    description = "METEOR 1.5 as pycocoevalcap (needs Java), x100"
    signature_fields = (("jar", "meteor-1.5"), ("lang", "en"), ("norm", "yes"))

    @property
    def scorer(self):
        return shared_scorer()

    def statistics(self, corpus: Corpus) -> np.ndarray:
        check_corpus(corpus)
        hyps, refs = coco_tokens(corpus, self.tokenizer)
        return self.scorer.statistics(hyps, refs)

    def score_totals(self, totals: np.ndarray, n_rows: int) -> np.ndarray:
        return 100.0 * self.scorer.score_rows(totals)

    def per_example(self, stats: np.ndarray) -> np.ndarray:
        return 100.0 * self.scorer.score_rows(stats)
