"""Decoder-only transformers models (GPT-2, Llama, Qwen, ...): ``hf-causal:<hub id or folder>``.

Inputs are left-padded so every row's continuation starts at the same position. An input
longer than ``max_length`` (default: the model's context minus max_new_tokens) keeps its
end — the instruction or question usually closes a prompt — and its leading special token,
and is recorded as truncated.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

from harness.errors import UsageError
from harness.models.batched import Batch, BatchResult, Encoded
from harness.models.hf.common import HFModel, TextOptions, max_positions, pad_id, padded
from harness.options import option
from harness.registry import models
from harness.types import InputKind, Request


@dataclass(frozen=True)
class CausalOptions(TextOptions):
    chat_template: str = option("auto", "auto (the tokenizer's chat template for chat requests, "
                                        "when it has one), on (always; fail without one) or off",
                                choices=("auto", "on", "off"))


@models.register("hf-causal")
class HFCausal(HFModel):
    description = "decoder-only transformers model: a hub id or a save_pretrained folder"
    input_kind = InputKind.PROMPT
    padding_side = "left"
    auto_class = "AutoModelForCausalLM"
    Options = CausalOptions

    def __init__(self, locator: str, **args: Any):
        super().__init__(locator, **args)
        self.chat_template = self.options.chat_template
        self._limits: dict[int, int] = {}  # max_new_tokens -> input tokens kept

    def output_settings(self) -> dict[str, Any]:
        return {**super().output_settings(), "max_length": self.options.max_length,
                "chat_template": self.chat_template}

    def load_tokenizer(self):
        tokenizer = super().load_tokenizer()
        tokenizer.padding_side = "left"
        return tokenizer

    def _uses_template(self, request: Request) -> bool:
        has_template = bool(getattr(self.tokenizer, "chat_template", None))
        if self.chat_template == "on" and not has_template:
            raise UsageError(f"{self.locator}: chat_template=on, but the tokenizer has no chat "
                             f"template; use chat_template=auto or off")
        wanted = self.chat_template == "on" or (self.chat_template == "auto" and request.chat)
        return wanted and has_template

    def encode(self, requests: Sequence[Request]) -> list[Encoded]:
        tokenizer = self.tokenizer
        chat = [self._uses_template(r) for r in requests]
        texts = [self._render(r.prompt or "") if c else (r.prompt or "") for r, c in zip(requests, chat)]
        ids: list[list[int] | None] = [None] * len(requests)
        for flag in (True, False):  # a chat template writes its own special tokens
            positions = [i for i, c in enumerate(chat) if c == flag]
            if positions:
                found = tokenizer([texts[i] for i in positions], add_special_tokens=not flag)
                for i, row in zip(positions, found["input_ids"]):
                    ids[i] = row
        return [self._truncate(row, r.config.max_new_tokens) for row, r in zip(ids, requests)]

    def _render(self, prompt: str) -> str:
        return self.tokenizer.apply_chat_template([{"role": "user", "content": prompt}],
                                                  add_generation_prompt=True, tokenize=False)

    def input_limit(self, max_new_tokens: int) -> int:
        if self.options.max_length:
            return self.options.max_length
        from transformers import AutoConfig
        context = max_positions(AutoConfig.from_pretrained(
            self.folder(), trust_remote_code=self.options.trust_remote_code))
        if context is None:
            return 1 << 30
        if context <= max_new_tokens:
            raise UsageError(f"{self.locator}: max_new_tokens={max_new_tokens} leaves no room for "
                             f"the prompt in a context of {context} tokens")
        return context - max_new_tokens

    def _truncate(self, ids: list[int], max_new_tokens: int) -> Encoded:
        if max_new_tokens not in self._limits:
            self._limits[max_new_tokens] = self.input_limit(max_new_tokens)
        limit = self._limits[max_new_tokens]
        if len(ids) <= limit:
            return Encoded(len(ids), False, ids)
        bos = self.tokenizer.bos_token_id
        keep_first = bos is not None and ids[0] == bos and limit > 1
        kept = ids[:1] + ids[len(ids) - limit + 1:] if keep_first else ids[len(ids) - limit:]
        return Encoded(len(kept), True, kept)

    def prepare(self, batch: Batch) -> dict:
        return padded([e.payload for e in batch.encoded], pad_id(self.tokenizer), "left")

    def generate_batch(self, batch: Batch, prepared: dict) -> BatchResult:
        from harness.models.hf.decoding import run_generate
        return run_generate(self, batch, prepared, start=prepared["input_ids"].shape[1])
