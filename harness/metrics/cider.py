"""CIDEr-D and COCO BLEU statistics, vectorised, with pycocoevalcap's exact semantics.

Both work on ``CocoNgrams``: the n-gram counts of PTB-tokenized text laid out image by
image (each image's hypothesis, then its references), so every image's occurrences of an
n-gram are adjacent with the hypothesis first.

CIDEr-D (pycocoevalcap ``CiderScorer``): n = 1..4, tf-idf vectors with document
frequencies counted over the references of the scored set (an n-gram counts once per
image), idf = log(#images) - log(max(1, df)); per order the clipped similarity
sum(min(h, r) * r) / (|h| |r|) times the Gaussian length penalty exp(-d² / 2σ²), σ = 6,
where "length" is what pycocoevalcap counts: bigrams, i.e. ``max(words - 1, 0)``;
averaged over orders, then over references, times 10.

COCO BLEU (pycocoevalcap ``BleuScorer``, ``option='closest'``): per image the hypothesis
length, the closest reference length (ties to the shorter), guesses and clipped matches.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from harness.metrics.ngrams import NgramCounts, count_ngrams

SIGMA = 6.0
BLEU_SMALL, BLEU_TINY = 1e-9, 1e-15  # pycocoevalcap's guards against zero division


@dataclass(frozen=True)
class CocoNgrams:
    """n-gram counts of hypotheses and references laid out image by image: sentence
    ``hyp_sentence[i]`` is image i's hypothesis, its references follow it."""

    n_images: int
    image_of: np.ndarray  # image of each sentence
    is_ref: np.ndarray  # each sentence: a reference (True) or the hypothesis (False)
    hyp_sentence: np.ndarray  # sentence index of each image's hypothesis
    ref_sentence: np.ndarray  # sentence index of each reference, image by image
    counts: NgramCounts

    @classmethod
    def build(cls, hypotheses: Sequence[str], references: Sequence[Sequence[str]], n: int = 4) -> "CocoNgrams":
        per_image = np.array([len(r) + 1 for r in references], dtype=np.int64)
        sentences = [s for hyp, refs in zip(hypotheses, references) for s in (hyp, *refs)]
        image_of = np.repeat(np.arange(len(hypotheses), dtype=np.int32), per_image)
        first = np.cumsum(per_image) - per_image
        is_ref = np.ones(len(sentences), dtype=bool)
        is_ref[first] = False
        return cls(n_images=len(hypotheses), image_of=image_of, is_ref=is_ref, hyp_sentence=first,
                   ref_sentence=np.flatnonzero(is_ref), counts=count_ngrams(sentences, n, document=image_of))

    @property
    def ref_image(self) -> np.ndarray:
        return self.image_of[self.ref_sentence]


def cider_d(ng: CocoNgrams, sigma: float = SIGMA) -> np.ndarray:
    """Per-image CIDEr-D on pycocoevalcap's scale (x10), document frequencies from these refs."""
    n_sent, n = len(ng.is_ref), len(ng.counts.orders)
    sim, norm = np.zeros((n_sent, n)), np.zeros((n_sent, n))
    log_images = np.log(float(ng.n_images))
    for k, o in enumerate(ng.counts.orders):
        ref = ng.is_ref[o.sentence]
        starts = o.group_starts
        # the hypothesis comes first in its (n-gram, image) group: a longer group has references
        has_ref = (np.diff(starts, append=len(o.gram)) > 1) | ref[starts]
        df = np.bincount(o.gram[starts[has_ref]], minlength=o.n_grams)
        value = o.count * (log_images - np.log(np.maximum(1.0, df)))[o.gram]
        norm[:, k] = np.bincount(o.sentence, weights=value * value, minlength=n_sent)
        hyp_value = np.where(ref[starts], 0.0, value[starts])[o.group]
        clipped = np.minimum(hyp_value, value) * value
        clipped[~ref] = 0.0
        sim[:, k] = np.bincount(o.sentence, weights=clipped, minlength=n_sent)
    norm = np.sqrt(norm)
    ref_image = ng.ref_image
    norm_hyp, norm_ref = norm[ng.hyp_sentence][ref_image], norm[ng.ref_sentence]
    sim = sim[ng.ref_sentence]
    both = (norm_hyp != 0) & (norm_ref != 0)
    sim[both] /= norm_hyp[both] * norm_ref[both]
    bigrams = np.maximum(ng.counts.lengths - 1, 0).astype(np.float64)  # pycocoevalcap's "length"
    delta = bigrams[ng.hyp_sentence][ref_image] - bigrams[ng.ref_sentence]
    sim *= np.exp(-(delta ** 2) / (2 * sigma ** 2))[:, None]
    per_image = np.zeros((ng.n_images, n))
    for k in range(n):
        per_image[:, k] = np.bincount(ref_image, weights=sim[:, k], minlength=ng.n_images)
    refs_per_image = np.bincount(ref_image, minlength=ng.n_images)
    return per_image.mean(axis=1) / np.maximum(refs_per_image, 1) * 10.0


def bleu_stats(ng: CocoNgrams) -> np.ndarray:
    """(n_images, 2 + 2n): testlen, closest reflen, guess[1..n], correct[1..n]."""
    n = len(ng.counts.orders)
    lengths = ng.counts.lengths
    testlen, ref_len, ref_image = lengths[ng.hyp_sentence], lengths[ng.ref_sentence], ng.ref_image
    # closest reference length, ties to the shorter: minimise (|l - testlen|, l)
    big = np.int64(1) << 32
    rank = np.abs(ref_len - testlen[ref_image]) * big + ref_len
    best = np.full(ng.n_images, np.iinfo(np.int64).max)
    np.minimum.at(best, ref_image, rank)
    reflen = np.where(best == np.iinfo(np.int64).max, 0, best % big)
    guess = np.maximum(0, testlen[:, None] - np.arange(n)[None, :])
    correct = np.zeros((ng.n_images, n))
    for k, o in enumerate(ng.counts.orders):
        ref = ng.is_ref[o.sentence]
        # a hypothesis count is clipped by the n-gram's largest count in any one reference
        max_ref = np.maximum.reduceat(np.where(ref, o.count, 0), o.group_starts) if len(o.count) else o.count
        hyp = ~ref
        clipped = np.minimum(o.count[hyp], max_ref[o.group[hyp]])
        correct[:, k] = np.bincount(ng.image_of[o.sentence[hyp]], weights=clipped, minlength=ng.n_images)
    return np.column_stack([testlen, reflen, guess, correct]).astype(np.float64)


def bleu_from_stats(totals: np.ndarray, order: int) -> np.ndarray:
    """pycocoevalcap's BLEU-``order`` from summed stats rows (r, 2 + 2n), vectorised."""
    n = (totals.shape[1] - 2) // 2
    testlen, reflen = totals[:, 0], totals[:, 1]
    guess, correct = totals[:, 2:2 + n], totals[:, 2 + n:]
    bleu = np.ones(len(totals))
    for k in range(order):
        bleu = bleu * (correct[:, k] + BLEU_TINY) / (guess[:, k] + BLEU_SMALL)
    score = bleu ** (1.0 / order)
    ratio = (testlen + BLEU_TINY) / (reflen + BLEU_SMALL)
    short = ratio < 1
    penalty = np.ones(len(totals))
    penalty[short] = np.exp(1 - 1 / ratio[short])
    return score * penalty
