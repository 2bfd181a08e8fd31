"""chrF's character n-gram statistics for a chunk of segments at once, sacrebleu's exactly.

sacrebleu builds a ``Counter`` of every character n-gram of every segment and intersects
them in Python: ~2.5 ms a segment, most of an hour for a million. The same numbers are a
few array operations: every n-gram gets an integer id (an order-n gram is a pair of an
order-(n-1) gram and one more character, so ids are built order by order and stay exact),
and a segment's matches are the sum over its distinct grams of the smaller of the two counts,
which is ``_get_match_statistics``. Rows are [hyp, ref, match] per order, as sacrebleu's;
with several references the row kept is the first with the best ``_compute_f_score``.
Word n-grams (chrF++) stay with sacrebleu.
"""
from __future__ import annotations

from typing import Callable, Sequence

import numpy as np


def chrf_rows(hypotheses: Sequence[str], references: Sequence[Sequence[str | None]], order: int,
              prepare: Callable[[str], str], f_score: Callable[[list], float]) -> np.ndarray:
    """(len(hypotheses), 3 * order) statistics; ``prepare`` is what sacrebleu does to a
    segment before taking its n-grams (lower-casing, removing whitespace)."""
    hyps = [prepare(h) for h in hypotheses]
    width = max(len(r) for r in references)
    best, best_f = None, None
    for j in range(width):
        have = np.array([j < len(r) and r[j] is not None for r in references])
        if not have.any():
            continue
        refs = [prepare(r[j]) if ok else "" for r, ok in zip(references, have.tolist())]
        rows = _rows(hyps, refs, order)
        if width == 1:
            return rows
        if best is None:
            best = rows
            best_f = np.array([f_score(row) if ok else -1.0 for row, ok in
                               zip(rows.astype(np.int64).tolist(), have.tolist())])
            continue
        scores = np.array([f_score(row) if ok else -1.0 for row, ok in
                           zip(rows.astype(np.int64).tolist(), have.tolist())])
        better = scores > best_f  # strictly: a tie keeps the earlier reference, as sacrebleu
        best[better], best_f[better] = rows[better], scores[better]
    return best


def _codes(texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """All texts' code points end to end, and each text's start (plus the total at the end)."""
    lengths = np.fromiter((len(t) for t in texts), dtype=np.int64, count=len(texts))
    starts = np.zeros(len(texts) + 1, dtype=np.int64)
    np.cumsum(lengths, out=starts[1:])
    codes = np.frombuffer("".join(texts).encode("utf-32-le"), dtype=np.uint32).astype(np.int64)
    return codes, starts


def _rows(hyps: list[str], refs: list[str], order: int) -> np.ndarray:
    n = len(hyps)
    codes_h, starts_h = _codes(hyps)
    codes_r, starts_r = _codes(refs)
    codes = np.concatenate([codes_h, codes_r])
    seg = np.concatenate([np.repeat(np.arange(n), np.diff(starts_h)),
                          np.repeat(np.arange(n), np.diff(starts_r))])
    # how many characters of its own segment follow each position (itself included)
    ends = np.concatenate([np.repeat(starts_h[1:], np.diff(starts_h)),
                           len(codes_h) + np.repeat(starts_r[1:], np.diff(starts_r))])
    left = ends - np.arange(len(codes))
    is_hyp = np.arange(len(codes)) < len(codes_h)
    len_h, len_r = np.diff(starts_h), np.diff(starts_r)
    out = np.zeros((n, 3 * order))
    if not len(codes):  # nothing but empty or blank texts: no n-grams, all counts zero
        return out
    gram = np.zeros(len(codes), dtype=np.int64)  # id of the order-(k-1) gram starting here
    base = int(codes.max()) + 1
    for k in range(1, order + 1):
        valid = left >= k  # an order-k gram starts here inside the segment
        nxt = np.zeros(len(codes), dtype=np.int64)
        nxt[:max(len(codes) - k + 1, 0)] = codes[k - 1:]
        pair = np.where(valid, gram * base + nxt, -1)
        _, gram = np.unique(pair, return_inverse=True)  # exact ids: equal grams, equal ids
        gram = gram.reshape(-1).astype(np.int64)
        base = max(base, int(gram.max()) + 1)
        hyp_total = np.maximum(len_h - k + 1, 0)
        ref_total = np.maximum(len_r - k + 1, 0)
        matches = _matches(seg, gram, valid, is_hyp, n)
        # sacrebleu counts no hypothesis n-grams of an order the reference has none of
        out[:, 3 * (k - 1)] = np.where(ref_total > 0, hyp_total, 0)
        out[:, 3 * (k - 1) + 1] = ref_total
        out[:, 3 * (k - 1) + 2] = matches
    return out


def _matches(seg: np.ndarray, gram: np.ndarray, valid: np.ndarray, is_hyp: np.ndarray, n: int) -> np.ndarray:
    """Per segment, the sum over grams of min(count in hypothesis, count in reference)."""
    span = int(gram.max()) + 1
    keys_h, counts_h = np.unique(seg[valid & is_hyp] * span + gram[valid & is_hyp], return_counts=True)
    keys_r, counts_r = np.unique(seg[valid & ~is_hyp] * span + gram[valid & ~is_hyp], return_counts=True)
    _, at_h, at_r = np.intersect1d(keys_h, keys_r, assume_unique=True, return_indices=True)
    both = np.minimum(counts_h[at_h], counts_r[at_r])
    return np.bincount(keys_h[at_h] // span, weights=both, minlength=n)[:n]
