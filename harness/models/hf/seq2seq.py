"""Encoder-decoder transformers models (T5, BART, Marian, ...): ``hf-seq2seq:<hub id or folder>``.

The source (with any task prefix) is right-padded. A source longer than ``max_length``
(default: the model's position limit, e.g. 512 for T5, 1024 for BART) keeps its start —
the lead of an article, the first words of a sentence — and its closing special token, and
is recorded as truncated.
"""
from __future__ import annotations

from typing import Any, Sequence

from harness.models.batched import Batch, BatchResult, Encoded
from harness.models.hf.common import HFModel, TextOptions, max_positions, pad_id, padded
from harness.registry import models
from harness.types import InputKind, Request

UNLIMITED = 1 << 30


@models.register("hf-seq2seq")
class HFSeq2Seq(HFModel):
    description = "encoder-decoder transformers model: a hub id or a save_pretrained folder"
    input_kind = InputKind.SOURCE
    padding_side = "right"
    auto_class = "AutoModelForSeq2SeqLM"
    Options = TextOptions

    def output_settings(self) -> dict[str, Any]:
        return {**super().output_settings(), "max_length": self.options.max_length}

    def load_tokenizer(self):
        tokenizer = super().load_tokenizer()
        tokenizer.padding_side = "right"
        return tokenizer

    def input_limit(self) -> int:
        if self.options.max_length:
            return self.options.max_length
        from transformers import AutoConfig
        config = AutoConfig.from_pretrained(self.folder(),
                                            trust_remote_code=self.options.trust_remote_code)
        limit = max_positions(config)
        if limit is None:  # relative positions (T5): the tokenizer knows what it was trained on
            declared = getattr(self.tokenizer, "model_max_length", UNLIMITED)
            limit = declared if declared < UNLIMITED else UNLIMITED
        return limit

    def encode(self, requests: Sequence[Request]) -> list[Encoded]:
        rows = self.tokenizer([r.prompt or "" for r in requests])["input_ids"]
        limit = self.input_limit()
        eos = self.tokenizer.eos_token_id
        out = []
        for ids in rows:
            if len(ids) <= limit:
                out.append(Encoded(len(ids), False, ids))
                continue
            keep_last = eos is not None and ids[-1] == eos and limit > 1
            kept = ids[:limit - 1] + ids[-1:] if keep_last else ids[:limit]
            out.append(Encoded(len(kept), True, kept))
        return out

    def prepare(self, batch: Batch) -> dict:
        return padded([e.payload for e in batch.encoded], pad_id(self.tokenizer), "right")

    def generate_batch(self, batch: Batch, prepared: dict) -> BatchResult:
        # decoder rows begin with the decoder start token, then the generated ones
        from harness.models.hf.decoding import run_generate
        return run_generate(self, batch, prepared, start=1)
