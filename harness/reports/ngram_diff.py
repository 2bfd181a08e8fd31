"""The reference n-grams one system matches more often than another (compare-mt's n-gram view).

For every example, each n-gram (1 to 4 tokens) of the references counts as matched by a system
as often as the system's output has it, clipped at the most any one reference has it (BLEU's
clipping), and the counts are summed over the test set. An n-gram leans towards the system
whose smoothed share of the matches, (m + 1) / (m_baseline + m_system + 2), is the larger;
compare-mt ranks by the same smoothed ratio, so an n-gram both systems match 40 times apart
outranks one matched once by one of them.

Tokens are words (runs of letters and digits), single punctuation marks and, in scripts written
without spaces (Chinese, Japanese, Thai), single characters, all lowercased: one tokenizer for
every task, so the view needs nothing beyond the samples.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Sequence

MAX_N = 4
_UNSPACED = r"\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_TOKEN = re.compile(rf"[{_UNSPACED}]|[^\W{_UNSPACED}]+|[^\w\s]")


def tokens(text: str) -> list[str]:
    return _TOKEN.findall(str(text or "").lower())


def ngrams(words: Sequence[str], max_n: int = MAX_N) -> Counter:
    return Counter(" ".join(words[i:i + n]) for n in range(1, max_n + 1) for i in range(len(words) - n + 1))


@dataclass(frozen=True)
class NgramCount:
    ngram: str
    baseline: int  # matches of the baseline's outputs over the test set
    system: int
    ids: tuple[str, ...] = ()  # the examples where the two match it a different number of times


@dataclass(frozen=True)
class NgramDiff:
    system_more: tuple[NgramCount, ...]  # the n-grams the system matches more often, most telling first
    baseline_more: tuple[NgramCount, ...]

    def to_dict(self) -> dict:
        def rows(counts):
            return [{"ngram": c.ngram, "baseline": c.baseline, "system": c.system, "ids": list(c.ids)}
                    for c in counts]
        return {"system_more": rows(self.system_more), "baseline_more": rows(self.baseline_more)}


@lru_cache(maxsize=200_000)
def _ngrams_of(text: str) -> Counter:
    # a report sets every system beside several others: each text is counted once (never mutated)
    return ngrams(tokens(text))


@lru_cache(maxsize=50_000)
def _reference_ngrams(references: tuple[str, ...]) -> Counter:
    most: Counter = Counter()
    for ref in references:
        most |= _ngrams_of(ref)  # union: the largest count any one reference has
    return most


def ngram_diff(ids: Sequence[str], references: Sequence[Sequence[str]], baseline: Sequence[str],
               system: Sequence[str], k: int = 10) -> NgramDiff:
    """The ``k`` reference n-grams each side matches more often than the other, each with the
    examples where the two differ on it."""
    matched_a: Counter = Counter()
    matched_b: Counter = Counter()
    per_example = []
    for refs, a, b in zip(references, baseline, system):
        most = _reference_ngrams(tuple(refs))
        per_example.append((_ngrams_of(a) & most, _ngrams_of(b) & most))  # intersection: the clipped matches
        matched_a.update(per_example[-1][0])
        matched_b.update(per_example[-1][1])
    # only n-grams the two match a different number of times lean either way
    counts = [NgramCount(g, matched_a[g], matched_b[g]) for g in (matched_a - matched_b) | (matched_b - matched_a)]

    def leaning(more: str, less: str) -> tuple[NgramCount, ...]:
        share = [(c, (getattr(c, more) + 1) / (c.baseline + c.system + 2)) for c in counts
                 if getattr(c, more) > getattr(c, less)]
        share.sort(key=lambda x: (-x[1], -getattr(x[0], more), x[0].ngram))
        return tuple(replace(c, ids=tuple(i for i, (a, b) in zip(ids, per_example) if a[c.ngram] != b[c.ngram]))
                     for c, _ in share[:k])
    return NgramDiff(leaning("system", "baseline"), leaning("baseline", "system"))
