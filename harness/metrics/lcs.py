"""Longest common subsequence, fast but value-identical to the reference implementations.

LCS lengths are unique, so a bit-parallel computation gives exactly what pycocoevalcap's
``my_lcs`` and rouge-score's ``_lcs_table`` give. Where rouge-score needs the table itself
(rougeLsum backtracks through it to pick one LCS), ``lcs_table`` fills the same integers
without a ``max()`` call per cell.
"""
from __future__ import annotations

from typing import Sequence


def lcs_length(a: Sequence[str], b: Sequence[str]) -> int:
    """Length of the longest common subsequence (Allison-Dix / Hyyrö bit vectors)."""
    if not a or not b:
        return 0
    masks: dict[str, int] = {}
    for i, token in enumerate(b):
        masks[token] = masks.get(token, 0) | (1 << i)
    full = (1 << len(b)) - 1
    v = full
    for token in a:
        u = v & masks.get(token, 0)
        v = ((v + u) | (v - u)) & full
    return len(b) - v.bit_count()


def lcs_table(ref: Sequence[str], can: Sequence[str]) -> list[list[int]]:
    """rouge-score's ``_lcs_table(ref, can)``: (len(ref)+1) x (len(can)+1) prefix LCS lengths."""
    previous = [0] * (len(can) + 1)
    table = [previous]
    for token in ref:
        row = [0]
        left = 0
        for j, other in enumerate(can):
            if token == other:
                left = previous[j] + 1
            else:
                up = previous[j + 1]
                if up > left:
                    left = up
            row.append(left)
        table.append(row)
        previous = row
    return table
