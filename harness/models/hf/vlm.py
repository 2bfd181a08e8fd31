"""Image + prompt models through their ``AutoProcessor``: ``hf-vlm:<hub id or folder>``.

Two ways of asking, chosen by ``style`` (``auto``: chat when the processor has a chat
template):

- ``prefix`` (BLIP, GIT): the image and an optional text prefix ("a picture of") the decoder
  continues; the task's ``image_prompt``, or ``prompt=`` in --model-args.
- ``chat`` (LLaVA, PaliGemma, Idefics3/SmolVLM, Qwen2-VL...): the processor's chat template
  with one user turn holding the image and the instruction: ``prompt=``, else the task's
  ``image_prompt``, else "Describe the image in one sentence."

Batches share one text (``group_key``), so rows differ only in their image; any padding is on
the left, as decoder-only models need. Images are decoded in ``prepare``'s thread pool, as
``hf-vision2seq`` does.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

from harness.errors import HarnessError, UsageError
from harness.models.batched import Batch, BatchResult, Encoded
from harness.models.hf.vision import HFVision2Seq, VisionOptions
from harness.options import option
from harness.registry import models
from harness.types import InputKind, Request

DEFAULT_INSTRUCTION = "Describe the image in one sentence."


@dataclass(frozen=True)
class VLMOptions(VisionOptions):
    style: str = option("auto", "auto (chat when the processor has a chat template, else prefix), "
                                "prefix (BLIP/GIT: a text prefix the decoder continues) or chat "
                                "(an image turn and an instruction)", choices=("auto", "prefix", "chat"))
    prompt: str | None = option(None, "overrides the task's image_prompt: the prefix (prefix "
                                      "style) or the instruction (chat style)")


@models.register("hf-vlm")
class HFVLM(HFVision2Seq):
    description = ("image + prompt model through AutoProcessor (BLIP, GIT, LLaVA, PaliGemma, "
                   "SmolVLM, Qwen2-VL...): a hub id or a folder")
    input_kind = InputKind.IMAGE
    padding_side = "left"
    auto_class = "AutoModelForImageTextToText"
    Options = VLMOptions

    def output_settings(self) -> dict[str, Any]:
        return {**super().output_settings(), "style": self.options.style,
                "prompt": self.options.prompt}

    def load_tokenizer(self):
        self._processor = self.load_processor("AutoProcessor", "the processor (AutoProcessor)")
        tokenizer = getattr(self._processor, "tokenizer", None)
        if tokenizer is None:
            raise HarnessError(f"{self.locator}: the processor has no tokenizer; hf-vlm needs an "
                               f"image + text processor (for image-only encoders use hf-vision2seq)")
        tokenizer.padding_side = "left"
        return tokenizer

    @property
    def processor(self):
        self.tokenizer  # noqa: B018 - loads the processor with it
        return self._processor

    def is_chat(self) -> bool:
        style = self.options.style
        template = getattr(self.processor, "chat_template", None)
        if style == "chat" and not template:
            raise UsageError(f"{self.locator}: style=chat, but the processor has no chat "
                             f"template; use style=prefix")
        return style == "chat" or (style == "auto" and bool(template))

    def text(self, request: Request) -> str:
        """The text half of a request: the prefix, or the rendered chat turn."""
        if not self.is_chat():
            return self.options.prompt or request.prompt or ""
        instruction = self.options.prompt or request.prompt or DEFAULT_INSTRUCTION
        turn = [{"role": "user", "content": [{"type": "image"},
                                             {"type": "text", "text": instruction}]}]
        return self.processor.apply_chat_template(turn, add_generation_prompt=True, tokenize=False)

    def group_key(self, request: Request) -> str:
        return f"{request.config.key()}|{request.prompt or ''}"  # one text per batch

    def encode(self, requests: Sequence[Request]) -> list[Encoded]:
        image_tokens, chat = self._image_tokens(), self.is_chat()
        texts = {request.prompt: self.text(request) for request in requests}
        lengths = {prompt: len(self.tokenizer(text, add_special_tokens=not chat)["input_ids"])
                   for prompt, text in texts.items()}
        return [Encoded(image_tokens + lengths[r.prompt], False, (r.image, texts[r.prompt], chat))
                for r in requests]

    def prepare(self, batch: Batch) -> dict:
        from concurrent.futures import ThreadPoolExecutor
        if self._pool is None:
            self._pool = ThreadPoolExecutor(self.image_workers, thread_name_prefix="harness-images")
        jobs = [self._pool.submit(self._read, request.example_id, encoded.payload[0])
                for request, encoded in zip(batch.requests, batch.encoded)]
        images = [job.result() for job in jobs]
        _, text, chat = batch.encoded[0].payload  # the same for the whole batch (group_key)
        if not text:
            return dict(self.processor(images=images, return_tensors="pt"))
        # a chat template writes its own special tokens, as apply_chat_template(tokenize=True) does
        return dict(self.processor(images=images, text=[text] * len(images), padding=True,
                                   add_special_tokens=not chat, return_tensors="pt"))

    def generate_batch(self, batch: Batch, prepared: dict) -> BatchResult:
        from harness.models.hf.decoding import run_generate
        return run_generate(self, batch, prepared, start=self.output_start(prepared))

    def output_start(self, prepared: dict) -> int:
        """Where the generated tokens begin in what ``generate`` returns (read from each
        architecture's ``generate``; BLIP, BLIP-2 with a decoder-only LM and LLaVA are tested)."""
        config = self.network.config
        width = prepared["input_ids"].shape[1] if "input_ids" in prepared else 0
        if getattr(config.get_text_config(decoder=True), "is_encoder_decoder", False):
            return 1  # a T5 inside BLIP-2 returns its decoder tokens after the start token
        if config.model_type == "blip":
            # BLIP's generate puts its bos first and drops the text's closing [SEP]
            return width - 1 if width else 1
        if not width:  # no text: the model starts from its own tokens
            if config.model_type == "blip-2":  # the query tokens, then bos
                return config.num_query_tokens + 1
            return 1  # generate starts from bos
        return width
