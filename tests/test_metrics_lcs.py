"""The fast LCS routines give the reference implementations' integers exactly."""
from __future__ import annotations

import random

import pytest
from pycocoevalcap.rouge.rouge import my_lcs
from rouge_score.rouge_scorer import _lcs_table

from harness.metrics.lcs import lcs_length, lcs_table


def _random_pairs(n: int, seed: int = 11):
    rng = random.Random(seed)
    for _ in range(n):
        alphabet = "abcdef"[:rng.randint(1, 6)]
        yield ([rng.choice(alphabet) for _ in range(rng.randint(0, 70))],
               [rng.choice(alphabet) for _ in range(rng.randint(0, 70))])


@pytest.mark.parametrize("a, b", list(_random_pairs(400)))
def test_equal_to_pycocoevalcap_and_rouge_score(a, b):
    reference = _lcs_table(a, b)
    assert lcs_table(a, b) == reference
    assert lcs_length(a, b) == my_lcs(a, b) == reference[-1][-1]


def test_words_longer_than_machine_words():
    a = [f"w{i % 97}" for i in range(300)]
    b = [f"w{(i * 7) % 97}" for i in range(250)]
    assert lcs_length(a, b) == my_lcs(a, b)
