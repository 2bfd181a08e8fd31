"""Image-to-text encoder-decoder models (VisionEncoderDecoder: ViT-GPT2 captioners, TrOCR,
Donut, ...): ``hf-vision2seq:<hub id or folder>``.

Images are read, decoded and preprocessed by a thread pool inside ``prepare``, which the
engine runs one batch ahead in the background, so the network does not wait on JPEG
decoding. An unreadable image raises an ExampleError naming the example and the path.
``Request.prompt``, when set, is a text prefix the decoder continues from.
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Sequence

from harness.errors import HarnessError
from harness.models.base import ExampleError
from harness.models.batched import Batch, BatchResult, Encoded
from harness.models.hf.common import HFModel, HFOptions, transformers_module
from harness.options import option
from harness.registry import models
from harness.types import InputKind, Request

URL_TIMEOUT_S = 30


@dataclass(frozen=True)
class VisionOptions(HFOptions):
    image_workers: int = option(4, "threads reading and preprocessing images")


@models.register("hf-vision2seq")
class HFVision2Seq(HFModel):
    description = "image-to-text encoder-decoder (VisionEncoderDecoder): a hub id or a folder"
    input_kind = InputKind.IMAGE
    padding_side = "right"
    auto_class = "AutoModelForImageTextToText"
    Options = VisionOptions

    def __init__(self, locator: str, **args: Any):
        super().__init__(locator, **args)
        self.image_workers = max(1, self.options.image_workers)
        self._processor = None
        self._pool: ThreadPoolExecutor | None = None

    def load_tokenizer(self):
        tokenizer = super().load_tokenizer()
        self._processor = self.load_processor("AutoImageProcessor", "the image processor")
        return tokenizer

    def load_processor(self, auto_class: str, what: str):
        """``transformers.<auto_class>`` from the model's folder; also picks the model class
        this transformers version names."""
        transformers = transformers_module()
        if not hasattr(transformers, self.auto_class):  # transformers 4.x name
            self.auto_class = "AutoModelForVision2Seq"
        try:
            return getattr(transformers, auto_class).from_pretrained(
                self.folder(), trust_remote_code=self.options.trust_remote_code)
        except Exception as exc:
            raise HarnessError(f"{self.locator}: cannot load {what} from {self.folder()}: "
                               f"{exc}") from exc

    def group_key(self, request: Request) -> str:
        return f"{request.config.key()}|{request.prompt or ''}"  # one decoder prefix per batch

    def encode(self, requests: Sequence[Request]) -> list[Encoded]:
        tokenizer = self.tokenizer
        image_tokens = self._image_tokens()
        out = []
        for request in requests:
            prefix = (tokenizer(request.prompt, add_special_tokens=False)["input_ids"]
                      if request.prompt else [])
            out.append(Encoded(image_tokens + len(prefix), False, (request.image, prefix)))
        return out

    def _image_tokens(self) -> int:
        from transformers import AutoConfig
        config = AutoConfig.from_pretrained(self.folder(),
                                            trust_remote_code=self.options.trust_remote_code)
        encoder = getattr(config, "encoder", None) or getattr(config, "vision_config", None)
        size, patch = getattr(encoder, "image_size", None), getattr(encoder, "patch_size", None)
        if isinstance(size, int) and isinstance(patch, int) and patch:
            return (size // patch) ** 2 + 1
        return 256

    def prepare(self, batch: Batch) -> dict:
        torch = __import__("torch")
        if self._pool is None:
            self._pool = ThreadPoolExecutor(self.image_workers, thread_name_prefix="harness-images")
        jobs = [self._pool.submit(self._read, request.example_id, encoded.payload[0])
                for request, encoded in zip(batch.requests, batch.encoded)]
        images = [job.result() for job in jobs]
        pixels = self._processor(images=images, return_tensors="pt")["pixel_values"]
        start = self._decoder_start()
        prefix = batch.encoded[0].payload[1]  # the same for the whole batch (group_key)
        decoder_ids = torch.tensor([[start, *prefix]] * len(images), dtype=torch.long)
        # no row is padded; saying so keeps transformers from warning when start == pad
        return {"pixel_values": pixels, "decoder_input_ids": decoder_ids,
                "decoder_attention_mask": torch.ones_like(decoder_ids)}

    def _read(self, example_id: str, location: str | None):
        from PIL import Image
        if not location:
            raise ExampleError(example_id, "no image to caption")
        try:
            if location.startswith(("http://", "https://")):
                import io
                import urllib.request
                with urllib.request.urlopen(location, timeout=URL_TIMEOUT_S) as response:
                    image = Image.open(io.BytesIO(response.read()))
            else:
                image = Image.open(location)
            return image.convert("RGB")  # decodes now, in this worker thread
        except Exception as exc:
            raise ExampleError(example_id, f"cannot read image {location}: "
                                           f"{type(exc).__name__}: {exc}") from exc

    def _decoder_start(self) -> int:
        config = self.network.config
        for value in (getattr(config, "decoder_start_token_id", None),
                      self.network.generation_config.decoder_start_token_id,
                      self.tokenizer.bos_token_id):
            if value is not None:
                return value
        raise HarnessError(f"{self.locator}: the model config sets no decoder_start_token_id")

    def generate_batch(self, batch: Batch, prepared: dict) -> BatchResult:
        start = prepared["decoder_input_ids"].shape[1]
        from harness.models.hf.decoding import run_generate
        return run_generate(self, batch, prepared, start=start)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False)
            self._pool = None
        super().close()
