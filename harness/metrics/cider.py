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

from harness.metrics.ngrams import count_ngrams

SIGMA = 6.0
BLEU_SMALL, BLEU_TINY = 1e-9, 1e-15  # pycocoevalcap's guards against zero division


@dataclass(frozen=True)
class OrderGroups:
    """One order's (n-gram, sentence) pairs with their (n-gram, image) group."""

    count: np.ndarray
    gram: np.ndarray
    image: np.ndarray  # image of the pair's sentence
    ref: np.ndarray  # pair's sentence is a reference (bool); the hypothesis row comes first
    ref_index: np.ndarray  # reference number (for references; -1 for hypotheses)
    group: np.ndarray  # (n-gram, image) group index, non-decreasing
    group_starts: np.ndarray
    n_grams: int


@dataclass(frozen=True)
class CocoNgrams:
    n_images: int
    ref_image: np.ndarray  # image of each reference (references numbered image by image)
    hyp_length: np.ndarray  # words per hypothesis
    ref_length: np.ndarray  # words per reference
    orders: tuple[OrderGroups, ...]

    @classmethod
    def build(cls, hypotheses: Sequence[str], references: Sequence[Sequence[str]], n: int = 4) -> "CocoNgrams":
        n_refs = np.array([len(r) for r in references], dtype=np.int64)
        sentences = [s for hyp, refs in zip(hypotheses, references) for s in (hyp, *refs)]
        per_image = n_refs + 1
        image_of = np.repeat(np.arange(len(hypotheses)), per_image)
        first = np.cumsum(per_image) - per_image
        is_ref = np.ones(len(sentences), dtype=bool)
        is_ref[first] = False
        ref_number = np.full(len(sentences), -1, dtype=np.int64)
        ref_number[is_ref] = np.arange(int(is_ref.sum()))
        counts = count_ngrams(sentences, n)
        orders = tuple(_image_groups(o.sentence, o.count, o.gram, o.n_grams, image_of, is_ref, ref_number)
                       for o in counts.orders)
        return cls(n_images=len(hypotheses), ref_image=image_of[is_ref],
                   hyp_length=counts.lengths[first], ref_length=counts.lengths[is_ref], orders=orders)


def _image_groups(sentence, count, gram, n_grams, image_of, is_ref, ref_number) -> OrderGroups:
    image = image_of[sentence]
    new = np.ones(len(sentence), dtype=bool)
    new[1:] = (gram[1:] != gram[:-1]) | (image[1:] != image[:-1])
    group_starts = np.flatnonzero(new)
    return OrderGroups(count=count, gram=gram, image=image, ref=is_ref[sentence],
                       ref_index=ref_number[sentence], group=np.cumsum(new) - 1,
                       group_starts=group_starts, n_grams=n_grams)


def cider_d(ng: CocoNgrams, sigma: float = SIGMA) -> np.ndarray:
    """Per-image CIDEr-D on pycocoevalcap's scale (x10), document frequencies from these refs."""
    n, n_refs = len(ng.orders), len(ng.ref_image)
    sim = np.zeros((n_refs, n))
    norm_hyp = np.zeros((ng.n_images, n))
    norm_ref = np.zeros((n_refs, n))
    log_images = np.log(float(ng.n_images))
    for k, o in enumerate(ng.orders):
        hyp = ~o.ref
        has_ref = np.bincount(o.group, weights=o.ref, minlength=len(o.group_starts)) > 0
        df = np.bincount(o.gram[o.group_starts[has_ref]], minlength=o.n_grams)
        value = o.count * (log_images - np.log(np.maximum(1.0, df)))[o.gram]
        norm_hyp[:, k] = np.bincount(o.image[hyp], weights=value[hyp] ** 2, minlength=ng.n_images)
        norm_ref[:, k] = np.bincount(o.ref_index[o.ref], weights=value[o.ref] ** 2, minlength=n_refs)
        hyp_value = np.zeros(len(o.group_starts))
        hyp_value[o.group[hyp]] = value[hyp]
        ref_value = value[o.ref]
        clipped = np.minimum(hyp_value[o.group[o.ref]], ref_value) * ref_value
        sim[:, k] = np.bincount(o.ref_index[o.ref], weights=clipped, minlength=n_refs)
    norm_hyp, norm_ref = np.sqrt(norm_hyp)[ng.ref_image], np.sqrt(norm_ref)
    both = (norm_hyp != 0) & (norm_ref != 0)
    sim[both] /= norm_hyp[both] * norm_ref[both]
    bigrams_hyp = np.maximum(ng.hyp_length - 1, 0).astype(np.float64)
    delta = bigrams_hyp[ng.ref_image] - np.maximum(ng.ref_length - 1, 0)
    sim *= np.exp(-(delta ** 2) / (2 * sigma ** 2))[:, None]
    per_image = np.zeros((ng.n_images, n))
    for k in range(n):
        per_image[:, k] = np.bincount(ng.ref_image, weights=sim[:, k], minlength=ng.n_images)
    refs_per_image = np.bincount(ng.ref_image, minlength=ng.n_images)
    return per_image.mean(axis=1) / np.maximum(refs_per_image, 1) * 10.0


def bleu_stats(ng: CocoNgrams) -> np.ndarray:
    """(n_images, 2 + 2n): testlen, closest reflen, guess[1..n], correct[1..n]."""
    n = len(ng.orders)
    testlen = ng.hyp_length
    # closest reference length, ties to the shorter: minimise (|l - testlen|, l)
    big = np.int64(1) << 32
    rank = np.abs(ng.ref_length - testlen[ng.ref_image]) * big + ng.ref_length
    best = np.full(ng.n_images, np.iinfo(np.int64).max)
    np.minimum.at(best, ng.ref_image, rank)
    reflen = np.where(best == np.iinfo(np.int64).max, 0, best % big)
    guess = np.maximum(0, testlen[:, None] - np.arange(n)[None, :])
    correct = np.zeros((ng.n_images, n))
    for k, o in enumerate(ng.orders):
        # a hypothesis count is clipped by the n-gram's largest count in any one reference
        max_ref = np.maximum.reduceat(np.where(o.ref, o.count, 0), o.group_starts) if len(o.count) else o.count
        hyp = ~o.ref
        clipped = np.minimum(o.count[hyp], max_ref[o.group[hyp]])
        correct[:, k] = np.bincount(o.image[hyp], weights=clipped, minlength=ng.n_images)
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
