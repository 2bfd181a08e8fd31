"""ROUGE-1.5.5's per-summary scores and its bootstrap, with the script's arithmetic.

A ``Measure`` names one ROUGE: ``("N", n)``, ``("L", 0)`` (union LCS over sentences),
``("W", weight)`` (weighted LCS), ``("S", skip)`` and ``("SU", skip)`` (skip-bigrams, without
and with unigrams; skip < 0: no limit). ``document_scores`` gives one summary's
(recall, precision, F) against its references as the script's ``computeNGramScore``,
``computeLCSScore``, ``computeWLCSScore`` and ``computeSkipBigramScore`` do:

* several references: ``A`` pools hits and counts over them (the peer's count once per
  reference), ``B`` keeps the reference with the best recall (the first on ties);
* recall and precision are rounded to 5 decimals, F is computed from the rounded values
  and rounded in turn;
* union-LCS hits are clipped by the unigram counts of both summaries; ROUGE-W raises the
  summed sentence weights to the weight once more, as the script does;
* skip-bigrams with unigrams leave out the last token's unigram, as the script does.

``script_bootstrap`` is the script's own confidence interval: resample ``i`` draws with
Perl's ``srand(i)``/``rand`` (drand48), so its printed averages and bounds come out equal.
"""
from __future__ import annotations

from collections import Counter
from typing import Sequence

import numpy as np

from harness.metrics.lcs import lcs_table
from harness.metrics.rouge155_text import Summary

Measure = tuple[str, float]


def round5(x: float) -> float:
    """The script's ``sprintf("%7.5f")``, read back as a number."""
    return float("%7.5f" % x)


def document_scores(measure: Measure, peer: Summary, models: Sequence[Summary], *,
                    multiref: str = "A", alpha: float = 0.5) -> tuple[float, float, float]:
    kind, arg = measure
    per_model = [_one_model(kind, arg, peer, model) for model in models]
    if multiref == "B":
        best, chosen = -1.0, (0.0, 0.0, 0.0)
        for hit, count, peer_count, score in per_model:
            if score > best:
                best, chosen = score, (hit, count, peer_count)
        hit, count, peer_count = chosen
    else:
        hit = count = peer_count = 0
        for h, c, p, _ in per_model:
            hit, count, peer_count = hit + h, count + c, peer_count + p
    if kind == "W":  # the script compares the weighted hits with weighted counts, then undoes the weight
        recall = round5((hit / count) ** (1 / arg)) if count else 0.0
        precision = round5((hit / peer_count) ** (1 / arg)) if peer_count else 0.0
    else:
        recall = round5(hit / count) if count else 0.0
        precision = round5(hit / peer_count) if peer_count else 0.0
    denominator = (1 - alpha) * precision + alpha * recall
    f = round5(precision * recall / denominator) if denominator > 0 else 0.0
    return recall, precision, f


def _one_model(kind: str, arg: float, peer: Summary, model: Summary) -> tuple[float, float, float, float]:
    """(hits, reference count, peer count, the score that picks the best reference)."""
    if kind in ("N", "S", "SU"):
        if kind == "N":
            peer_grams, model_grams = _ngrams(peer.tokens, int(arg)), _ngrams(model.tokens, int(arg))
        else:
            peer_grams = _skip_bigrams(peer.tokens, int(arg), kind == "SU")
            model_grams = _skip_bigrams(model.tokens, int(arg), kind == "SU")
        hit = sum(min(n, peer_grams[g]) for g, n in model_grams.items() if g in peer_grams)
        count = model_grams.total()
        return hit, count, peer_grams.total(), round5(hit / count) if count else 0.0
    hit, base = _union_lcs(peer, model, arg if kind == "W" else None)
    if kind == "L":
        return hit, base, len(peer.tokens), hit / base if base else 0.0
    # an empty reference makes the script divide by zero; it scores 0 here
    score = (hit / base) ** (1 / arg) if base else 0.0
    return hit, base ** arg, len(peer.tokens) ** arg, score


def _ngrams(tokens: Sequence[str], n: int) -> Counter:
    return Counter(tuple(tokens[i:i + n]) for i in range(len(tokens) - n + 1))


def _skip_bigrams(tokens: Sequence[str], skip: int, unigrams: bool) -> Counter:
    grams: Counter = Counter()
    last = len(tokens) - 1
    for i in range(last):  # not the last token: neither its unigram nor a pair starts there
        if unigrams:
            grams[(tokens[i],)] += 1
        end = last if skip < 0 else min(last, i + skip + 1)
        for j in range(i + 1, end + 1):
            grams[(tokens[i], tokens[j])] += 1
    return grams


def _union_lcs(peer: Summary, model: Summary, weight: float | None) -> tuple[float, float]:
    """The script's ``lcs``/``wlcs``: (hits, weighted reference length) over the reference's
    sentences, each matched against every peer sentence, hits clipped by unigram counts."""
    model_left, peer_left = Counter(model.tokens), Counter(peer.tokens)
    hit = base = 0
    for sentence in model.sentences:
        base += len(sentence) if weight is None else len(sentence) ** weight
        hits = [False] * len(sentence)
        if sentence:
            for other in peer.sentences:
                _mark_lcs(sentence, other, hits, weight)
        run = 0
        for j, token in enumerate(sentence):
            if not hits[j] or model_left[token] <= 0 or peer_left[token] <= 0:
                continue
            model_left[token] -= 1
            peer_left[token] -= 1
            if weight is None:
                hit += 1
                continue
            run += 1  # a run of hits is weighted as a whole where it ends
            if j + 1 == len(sentence) or not hits[j + 1]:
                hit += run ** weight
                run = 0
    return hit, base


def _mark_lcs(model: Sequence[str], peer: Sequence[str], hits: list[bool], weight: float | None) -> None:
    """Mark the reference positions on the script's LCS (or WLCS) path: back from the end,
    diagonal on a match, else up unless left is strictly better."""
    table = lcs_table(model, peer) if weight is None else _wlcs_table(model, peer, weight)
    i, j = len(model), len(peer)
    while i and j:
        if model[i - 1] == peer[j - 1]:
            i, j = i - 1, j - 1
            hits[i] = True
        elif table[i - 1][j] >= table[i][j - 1]:
            i -= 1
        else:
            j -= 1


def _wlcs_table(model: Sequence[str], peer: Sequence[str], weight: float) -> list[list[float]]:
    """The script's ``wlcs_inner`` scores: a match extending a run of k adds (k+1)^w - k^w."""
    previous, previous_runs = [0.0] * (len(peer) + 1), [0] * (len(peer) + 1)
    table = [previous]
    for token in model:
        row, runs = [0.0], [0]
        for j, other in enumerate(peer):
            if token == other:
                k = previous_runs[j]
                row.append(previous[j] + (k + 1) ** weight - k ** weight)
                runs.append(k + 1)
            else:
                row.append(previous[j + 1] if previous[j + 1] >= row[j] else row[j])
                runs.append(0)
        table.append(row)
        previous, previous_runs = row, runs
    return table


_A, _C, _MASK = 0x5DEECE66D, 0xB, (1 << 48) - 1  # Perl's drand48


def script_bootstrap(scores: np.ndarray, resamples: int = 1000, confidence: float = 95.0) -> np.ndarray:
    """The script's printed (average, lower, upper) for each column of ``scores`` (documents in
    the script's order, rows of rounded per-document values): a (3, columns) array.

    Resample ``i`` reseeds Perl's generator with ``srand(i)`` and draws ``int(rand(n))`` n
    times; its mean is summed in draw order, the average of the sorted resample means in
    sorted order, and the bounds interpolate between ranks as the script does.
    """
    n = len(scores)
    state = (0x330E + (np.arange(resamples, dtype=np.uint64) << np.uint64(16))) & np.uint64(_MASK)
    draws = np.empty((resamples, n), dtype=np.int32)
    for k in range(n):
        state = (state * np.uint64(_A) + np.uint64(_C)) & np.uint64(_MASK)
        draws[:, k] = (n * (state.astype(np.float64) * 2.0 ** -48)).astype(np.int32)
    means = np.empty((resamples, scores.shape[1]))
    for a in range(0, resamples, 100):  # 100 resamples at a time: a row of draws per resample
        for c in range(scores.shape[1]):  # cumsum adds in draw order, as the script's loop does
            means[a:a + 100, c] = np.cumsum(scores[draws[a:a + 100], c], axis=1)[:, -1] / n
    ranked = np.sort(means, axis=0)
    delta = resamples * ((100 - confidence) / 2.0) / 100.0
    upper, lower = int(resamples - delta - 1), int(delta)
    ratio = resamples - delta - 1 - upper
    out = np.empty((3, scores.shape[1]))
    for c in range(scores.shape[1]):
        column = ranked[:, c].tolist() + [0.0]  # Perl reads past the end as 0
        out[0, c] = round5(sum(column[:-1]) / resamples)
        out[1, c] = round5(column[lower] + (column[lower + 1] - column[lower]) * ratio)
        out[2, c] = round5(column[upper] + (column[upper + 1] - column[upper]) * ratio)
    return out
