"""The inputs of the learned translation metrics (COMET, MetricX): a checkpoint's own
tokenizer pipeline, one input per (example, reference), and padding."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from harness.metrics.base import Corpus
from harness.metrics.common import present_refs
from harness.metrics.learned import quiet_loading


class TextEncoder:
    """A checkpoint's tokenizer as the reference implementations ran it, on transformers 4:
    ``tokenizer.json``'s pipeline verbatim. transformers 5 rebuilds the pipelines of XLM-R's
    and T5's tokenizers in code, keeping only a SentencePiece normalizer, so a checkpoint's
    own normalizer or pre-tokenizer would be replaced (measured: ``½`` reached COMET's tiny
    encoder as one piece through transformers 5, NFKC-split through unbabel-comet)."""

    def __init__(self, folder: Path, pad_token: str):
        path = folder / "tokenizer.json"
        if path.is_file():
            from tokenizers import Tokenizer
            self.backend = Tokenizer.from_file(str(path))
        else:  # a SentencePiece model only: transformers converts it, as it did for them
            from transformers import AutoTokenizer
            with quiet_loading():
                self.backend = AutoTokenizer.from_pretrained(folder).backend_tokenizer
        self.backend.no_padding()
        self.pad_id = self.backend.token_to_id(pad_token)

    def encode(self, texts: Sequence[str], max_length: int) -> list[list[int]]:
        """Token ids with the special tokens, cut to ``max_length`` tokens in all."""
        self.backend.enable_truncation(max_length)
        return [e.ids for e in self.backend.encode_batch(list(texts))]


@dataclass(frozen=True)
class Inputs:
    """One scored input per (example, reference): an example's score is the mean over its
    references; reference-free, one input per example, its reference None."""

    owner: list[int]  # the example of each input
    references: list[str | None]

    @classmethod
    def of(cls, corpus: Corpus, with_references: bool) -> "Inputs":
        refs = [present_refs(r) if with_references else [None] for r in corpus.references]
        return cls([i for i, rs in enumerate(refs) for _ in rs], [r for rs in refs for r in rs])

    def example(self, corpus: Corpus, j: int) -> str:
        """Input ``j``'s example, as errors name it."""
        i = self.owner[j]
        return f"example {corpus.ids[i]!r}" if i < len(corpus.ids) else f"example #{i}"

    def means(self, scores: Sequence, n_examples: int) -> np.ndarray:
        """(n_examples, k) statistics: each example's mean over its inputs of their score (k=1)
        or row of statistics."""
        rows = np.asarray(scores, dtype=np.float64).reshape(len(self.owner), -1)
        totals = np.zeros((n_examples, rows.shape[1]))
        np.add.at(totals, self.owner, rows)
        return totals / np.bincount(self.owner, minlength=n_examples)[:, None]


def pad(rows: Sequence[Sequence[int]], pad_id: int, device: str):
    """(ids, attention mask) tensors, rows right-padded to the longest."""
    import torch
    width = max(len(r) for r in rows)
    ids = torch.full((len(rows), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    for i, row in enumerate(rows):
        ids[i, :len(row)] = torch.tensor(row, dtype=torch.long)
        mask[i, :len(row)] = 1
    return ids.to(device), mask.to(device)
