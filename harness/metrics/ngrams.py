"""Vectorised n-gram counting for the COCO scorers (CIDEr-D and COCO BLEU).

pycocoevalcap counts n-grams of ``sentence.split()`` in one Python dictionary per
sentence. Here each order's n-gram occurrences are grouped with one 16-bit radix pass
(numpy's stable sort of uint16 is a radix sort): the k-grams are the (k-1)-grams already
grouped, re-sorted stably by their last word. Equal n-grams end up adjacent, and within
one n-gram the occurrences stay in text order — so a caller that lays sentences out
image by image finds each image's occurrences of an n-gram side by side.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

_SEP = "\x00"  # not whitespace for str.split, so it survives as a sentence boundary marker


@dataclass(frozen=True)
class OrderCounts:
    """Distinct (n-gram, sentence) pairs of one order, equal n-grams adjacent, sentences ascending.

    With documents (groups of consecutive sentences), ``group`` numbers the (n-gram,
    document) groups the pairs fall in and ``group_starts`` holds each group's first pair.
    """

    sentence: np.ndarray  # sentence index
    count: np.ndarray  # occurrences of the n-gram in that sentence
    gram: np.ndarray  # dense n-gram id within this order, non-decreasing
    n_grams: int
    group: np.ndarray | None = None
    group_starts: np.ndarray | None = None


@dataclass(frozen=True)
class NgramCounts:
    lengths: np.ndarray  # words per sentence (``len(sentence.split())``)
    orders: tuple[OrderCounts, ...]  # orders 1..n


def word_ids(sentences: Sequence[str]) -> tuple[np.ndarray, np.ndarray, int]:
    """(ids of all words in order, words per sentence, vocabulary size); ids are deterministic."""
    if any(_SEP in s for s in sentences):
        words = [s.split() for s in sentences]
        flat = [w for ws in words for w in ws]
        lengths = np.fromiter(map(len, words), dtype=np.int64, count=len(words))
    else:  # one split of the joined text is much faster than one per sentence
        flat = f" {_SEP} ".join(sentences).split() if sentences else []
        lengths = None
    vocab = {w: i for i, w in enumerate(sorted(set(flat)))}
    ids = np.fromiter(map(vocab.__getitem__, flat), dtype=np.int32, count=len(flat))
    if lengths is None:
        sep = vocab.get(_SEP, -1)
        marks = np.flatnonzero(ids == sep)
        lengths = np.diff(np.concatenate([[-1], marks, [len(ids)]])) - 1
        ids = ids[ids != sep]
    return ids, lengths.astype(np.int64), len(vocab)


def stable_argsort(keys: np.ndarray, max_key: int) -> np.ndarray:
    """Stable argsort of non-negative ints by 16-bit LSD radix passes."""
    if max_key < 1 << 16:
        return np.argsort(keys.astype(np.uint16), kind="stable")
    order = np.arange(len(keys))
    shift = 0
    while max_key >> shift:
        digit = ((keys[order] >> shift) & 0xFFFF).astype(np.uint16)
        order = order[np.argsort(digit, kind="stable")]
        shift += 16
    return order


def count_ngrams(sentences: Sequence[str], n: int = 4, document: np.ndarray | None = None) -> NgramCounts:
    """n-gram counts per sentence; ``document[s]`` (non-decreasing) also groups them per document."""
    ids, lengths, vocab_size = word_ids(sentences)
    sentence_of = np.repeat(np.arange(len(lengths), dtype=np.int32), lengths)
    document_of = None if document is None else np.repeat(np.asarray(document, dtype=np.int32), lengths)
    ends = np.cumsum(lengths)
    # words from a position to its sentence end
    remaining = (np.repeat(ends, lengths) - np.arange(ids.size)).astype(np.int32)
    gram_at = np.zeros(ids.size, dtype=np.int32)  # id of the current order's n-gram starting there
    rows = np.arange(ids.size, dtype=np.int32)
    orders = []
    for k in range(1, n + 1):
        previous = None
        if k > 1:
            rows = rows[remaining[rows] >= k]
            previous = gram_at[rows]
        last = ids[rows + (k - 1)]
        perm = stable_argsort(last, vocab_size)
        rows, last = rows[perm], last[perm]
        new_gram = np.empty(len(rows), dtype=bool)
        new_gram[:1] = True
        np.not_equal(last[1:], last[:-1], out=new_gram[1:])
        if previous is not None:
            previous = previous[perm]
            new_gram[1:] |= previous[1:] != previous[:-1]
        gram = np.cumsum(new_gram, dtype=np.int32) - 1
        gram_at[rows] = gram
        orders.append(_group(gram, new_gram, sentence_of[rows],
                             None if document_of is None else document_of[rows]))
    return NgramCounts(lengths=lengths, orders=tuple(orders))


def _boundaries(new: np.ndarray, key: np.ndarray) -> np.ndarray:
    out = new.copy()
    out[1:] |= key[1:] != key[:-1]
    return out


def _group(gram: np.ndarray, new_gram: np.ndarray, sentence: np.ndarray, document: np.ndarray | None) -> OrderCounts:
    new_pair = _boundaries(new_gram, sentence)
    first = np.flatnonzero(new_pair)
    count = np.diff(first, append=len(gram)).astype(np.int32)
    n_grams = int(gram[-1]) + 1 if len(gram) else 0
    if document is None:
        return OrderCounts(sentence=sentence[first], count=count, gram=gram[first], n_grams=n_grams)
    new_group = _boundaries(new_gram, document)[first]
    return OrderCounts(sentence=sentence[first], count=count, gram=gram[first], n_grams=n_grams,
                       group=np.cumsum(new_group, dtype=np.int32) - 1, group_starts=np.flatnonzero(new_group))
