"""What the Hugging Face adapters share: settings, locating and loading, fingerprints, budgets.

Nothing here imports torch or transformers at module level; loading happens on first use
(``tokenizer`` / ``network``) and is timed into ``load_timer``.
"""
from __future__ import annotations

import importlib.util
import os
import re
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from harness import machine
from harness.errors import HarnessError, MissingDependency, UsageError
from harness.machine import available_cpus
from harness.models.base import ErrorAction, ErrorDecision, Model
from harness.models.batched import CPU_TOKEN_BUDGET, BatchedModel
from harness.models.hf.weights import folder_sha256
from harness.options import option

DTYPES = {"float32": "float32", "fp32": "float32", "bfloat16": "bfloat16", "bf16": "bfloat16",
          "float16": "float16", "fp16": "float16", "auto": "auto"}
# Bumped when a change to these adapters can change an output for the same weights and
# request (decoding, truncation, templates): the generation cache then regenerates.
ADAPTER_VERSION = 1
HUB_ID = re.compile(r"^[\w.-]+(/[\w.-]+)?$")
# Files a model repository may also carry that a PyTorch load never reads
SKIP_ON_DOWNLOAD = ["*.h5", "*.msgpack", "*.ot", "*.onnx", "*.onnx_data", "*.tflite", "*.gguf",
                    "*.mlmodel", "onnx/*", "coreml/*", "flax_model*", "tf_model*", "rust_model*"]


@dataclass(frozen=True)
class HFOptions:
    """--model-args of every transformers adapter (each adds what its own code reads)."""

    revision: str | None = option(None, "hub branch, tag or commit to load (default: main); "
                                        "recorded as the resolved commit")
    dtype: str = option("auto", "auto (bfloat16 on GPUs that support it, else float16; float32 on "
                                "CPU), float32, bfloat16 or float16", choices=tuple(DTYPES))
    device: str = option("auto", "auto (cuda when present: a torchrun rank's own GPU; else cpu), "
                                 "cpu, cuda, cuda:N or mps")
    device_map: str | None = option(None, "spread a model too big for one device with accelerate, "
                                          "e.g. device_map=auto")
    trust_remote_code: bool = option(False, "run model code shipped in the hub repository")
    threads: int | None = option(None, "CPU threads for torch (default: the cores available, "
                                       "waiting passively; ignored on GPU)")
    attn_implementation: str | None = option(None, "attention kernels: sdpa (default), eager, "
                                                   "flash_attention_2")
    static_cache: bool = option(False, "preallocated key/value cache (opt-in)")
    compile: bool = option(False, "torch.compile the decoding step; implies static_cache (opt-in)")

    def __post_init__(self):
        object.__setattr__(self, "dtype", DTYPES[self.dtype])  # fp32 -> float32, ...
        if self.device_map and machine.world_size() > 1:  # every rank would fill every GPU
            raise UsageError(f"--model-args device_map={self.device_map}: under torchrun each "
                             f"rank runs its own copy of the model on its own GPU; leave "
                             f"device_map out, or run a model too big for one GPU as one process")


@dataclass(frozen=True)
class TextOptions(HFOptions):
    """--model-args of the adapters that tokenize a text input, and so can cut it."""

    max_length: int | None = option(None, "input tokens kept; longer inputs are cut (causal: keep "
                                          "the end, seq2seq: keep the start) and marked truncated")


def default_threads() -> int:
    """The cores this process may use, with OpenMP threads that sleep while they wait
    (``harness.machine.wait_passively``, OMP_WAIT_POLICY=PASSIVE). Spinning threads made CPU
    generation 8-24x slower below, even before another process wanted the cores. Measured with
    ``bench/generation.py --contention --repeats 3 --requests 12 --reps 2`` (tiny causal model,
    12 requests x 32 new tokens, 2 cores, "busy" = 2 extra spinning processes; other users'
    jobs kept the load average at 7.7-11.8, so "quiet" was not quiet), median seconds:

        setting                       quiet   busy
        2 threads, libgomp's spin      3.40   9.24
        2 threads, ACTIVE              2.70  13.92
        2 threads, PASSIVE             0.23   0.72   (the default; a second copy of it in
        harness default (the same)     0.41   0.38    the same run shows the noise)
        1 thread                       0.66   2.23

    Beside a second harness run instead (``--load generation``, 2 rounds), quiet/busy:
    spin 2.68/4.54, ACTIVE 1.83/1.48, PASSIVE 0.27/0.23 and 0.18/0.34, 1 thread 0.34/0.37.
    Passive waiting keeps every core and is the fastest or within noise of it both quiet and
    busy; one thread gives up half the machine for no gain. Set threads=N to leave cores to
    other work, OMP_WAIT_POLICY yourself to choose otherwise. Ranks of one node (torchrun)
    share its cores."""
    return max(1, available_cpus() // machine.local_ranks()[1])


class HFModel(Model, BatchedModel):
    """Base of the transformers adapters: locating, loading, fingerprint, memory budget."""

    auto_class: ClassVar[str] = "AutoModelForCausalLM"
    padding_side: ClassVar[str] = "left"  # "left" for decoder-only, "right" for encoder-decoders
    Options = HFOptions

    def __init__(self, locator: str, **args: Any):
        super().__init__(locator, **args)
        self._folder: Path | None = None
        self._commit: str | None = None
        self._fingerprint: dict[str, str] | None = None
        self._tokenizer = None
        self._network = None

    # --- locating -------------------------------------------------------------------------
    @classmethod
    def location_problems(cls, spec: str, locator: str, revision: str | None) -> list[HarnessError]:
        # before the location: finding a hub id needs huggingface_hub, which transformers brings
        return missing_libraries() or weights_location_problems(spec, locator, revision)

    def folder(self) -> Path:
        """The local folder holding the model: the locator, or the hub snapshot it resolves to."""
        if self._folder is None:
            self._folder, self._commit = resolve(self.locator, self.options.revision)
        return self._folder

    def fingerprint(self) -> dict[str, str]:
        if self._fingerprint is None:
            folder = self.folder()
            self._fingerprint = {
                "locator": self.locator,
                "revision": self._commit or self.options.revision or "",
                "weights": folder_sha256(folder),
            }
        return self._fingerprint

    def output_settings(self) -> dict[str, Any]:
        """Resolved, not as asked: dtype=auto is float32 on CPU and bfloat16 on most GPUs."""
        s = self.options
        device = resolve_device(s.device)
        return {**super().output_settings(), "adapter_version": ADAPTER_VERSION,
                "transformers": transformers_module().__version__,
                "dtype": str(resolve_dtype(s.dtype, device)).replace("torch.", ""),
                "device": device.split(":")[0], "device_map": s.device_map,
                "trust_remote_code": s.trust_remote_code,
                "attn_implementation": s.attn_implementation or "default",
                "static_cache": s.static_cache or s.compile, "compile": s.compile}

    # --- loading --------------------------------------------------------------------------
    @property
    def tokenizer(self):
        if self._tokenizer is None:
            with self.load_timer.timed():
                self._tokenizer = self.load_tokenizer()
        return self._tokenizer

    @property
    def network(self):
        if self._network is None:
            self.tokenizer  # noqa: B018 - tokenizer first: its load time counts too
            with self.load_timer.timed():
                self._network = self.load_network()
        return self._network

    def load_tokenizer(self):
        transformers = transformers_module()
        try:
            return transformers.AutoTokenizer.from_pretrained(
                self.folder(), trust_remote_code=self.options.trust_remote_code)
        except Exception as exc:
            raise HarnessError(f"{self.locator}: cannot load the tokenizer from {self.folder()}: "
                               f"{exc}") from exc

    def load_network(self):
        torch, transformers = _torch(), transformers_module()
        s = self.options
        device = resolve_device(s.device)
        if device.startswith("cpu"):
            torch.set_num_threads(s.threads or default_threads())
        kwargs: dict[str, Any] = {"dtype": resolve_dtype(s.dtype, device),
                                  "trust_remote_code": s.trust_remote_code}
        if s.attn_implementation:
            kwargs["attn_implementation"] = s.attn_implementation
        if s.device_map:
            kwargs["device_map"] = s.device_map
        from transformers.utils import logging as hf_logging
        hf_logging.disable_progress_bar()  # the engine's bar is the one the user watches
        try:
            network = getattr(transformers, self.auto_class).from_pretrained(self.folder(), **kwargs)
        except Exception as exc:
            raise HarnessError(f"{self.locator}: cannot load the model from {self.folder()} "
                               f"as {self.auto_class}: {exc}") from exc
        finally:
            hf_logging.enable_progress_bar()
        if not s.device_map:
            network.to(device)
        network.eval()
        if s.static_cache or s.compile:
            network.generation_config.cache_implementation = "static"
            if s.compile:
                network.generation_config.compile_config = transformers.CompileConfig(
                    fullgraph=False)
                network.generation_config.compile_config._compile_all_devices = True
            else:
                network.generation_config.disable_compile = True
        return network

    # --- accounting -----------------------------------------------------------------------
    def token_budget(self) -> int:
        network, torch = self.network, _torch()
        device = network.device
        if device.type != "cuda":
            return CPU_TOKEN_BUDGET
        free, _total = torch.cuda.mem_get_info(device)
        per_token = bytes_per_token(network)
        # keep a fifth free for the allocator's fragmentation and the logits of a whole batch
        return int(max(1024, min(1 << 21, 0.8 * free / per_token)))

    def describe(self) -> dict[str, Any]:
        if self._network is None:
            return {}
        torch, network = _torch(), self._network
        device = str(network.device)
        if network.device.type == "cuda":
            device += f" ({torch.cuda.get_device_name(network.device)})"
        return {"device": device, "dtype": str(network.dtype).replace("torch.", ""),
                "threads": torch.get_num_threads() if network.device.type == "cpu" else None,
                "omp_wait_policy": (os.environ.get("OMP_WAIT_POLICY") or "unset")
                if network.device.type == "cpu" else None,
                "attn_implementation": getattr(network.config, "_attn_implementation", None),
                "static_cache": self.options.static_cache or self.options.compile,
                "compile": self.options.compile, "device_map": self.options.device_map}

    def close(self) -> None:
        if self._network is None:
            return
        alive = weakref.ref(self._network)
        self._network = None
        # collect only when a reference cycle still holds the network, so its memory is free
        # before the next model loads: a full collection costs ~0.2 s even with nothing to
        # free, and transformers models normally go with their last reference
        free_accelerator_memory(collect=alive() is not None)

    def free_memory(self) -> None:
        free_accelerator_memory()

    def classify_error(self, exc: BaseException) -> ErrorDecision:
        if is_out_of_memory(exc):
            return ErrorDecision(ErrorAction.SHRINK)
        return super().classify_error(exc)


def is_out_of_memory(exc: BaseException) -> bool:
    import torch
    if isinstance(exc, torch.OutOfMemoryError):
        return True
    return isinstance(exc, RuntimeError) and "out of memory" in str(exc).lower()


def free_accelerator_memory(collect: bool = True) -> None:
    """Return cached GPU blocks to the driver; ``collect`` first frees objects held in cycles."""
    import gc

    import torch
    if collect:
        gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()


def resolve(locator: str, revision: str | None) -> tuple[Path, str | None]:
    """(local folder, resolved commit or None) for a path or a hub id."""
    path = Path(locator).expanduser()
    if path.exists():
        if not path.is_dir():
            raise UsageError(f"model {locator!r} is a file; give the folder written by "
                             f"save_pretrained (config.json, weights, tokenizer)")
        return path.resolve(), None
    if not HUB_ID.match(locator):
        raise UsageError(f"model {locator!r}: no such folder, and not a hub id (org/name)")
    try:
        from huggingface_hub import snapshot_download
        offline = hub_offline()
        skips = SKIP_ON_DOWNLOAD if offline else _skips(locator, revision)
        folder = Path(snapshot_download(locator, revision=revision, ignore_patterns=skips,
                                        local_files_only=offline))
    except Exception as exc:
        raise UsageError(
            f"model {locator!r}: no such local folder, and the hub download failed "
            f"({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}); check the "
            f"name and revision, log in for gated models, or pass a local folder") from exc
    commit = folder.name if folder.parent.name == "snapshots" else None
    return folder, commit


def _skips(locator: str, revision: str | None) -> list[str]:
    # repositories often carry both safetensors and pickled weights: fetch only one
    try:
        from huggingface_hub import HfApi
        files = HfApi().list_repo_files(locator, revision=revision)
    except Exception:
        return SKIP_ON_DOWNLOAD
    has_safetensors = any(f.endswith(".safetensors") for f in files)
    return SKIP_ON_DOWNLOAD + (["*.bin", "*.pt", "*.pth"] if has_safetensors else [])


def resolve_device(device: str) -> str:
    torch = _torch()
    if device != "auto":
        if device.startswith("cuda") and not torch.cuda.is_available():
            raise UsageError(f"--model-args device={device}: no CUDA device is available here")
        return device
    return machine.cuda_device(torch) if torch.cuda.is_available() else "cpu"


def resolve_dtype(dtype: str, device: str):
    torch = _torch()
    if dtype != "auto":
        return getattr(torch, dtype)
    if device.startswith("cuda"):
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    return torch.float32  # CPU half precision is slow and lossy


def bytes_per_token(network) -> int:
    """Rough memory per batch token: key/value cache (self and cross attention) plus activations."""
    config = network.config
    text = config.get_text_config(decoder=True) if hasattr(config, "get_text_config") else config
    hidden = getattr(text, "hidden_size", 1024)
    layers = getattr(text, "num_hidden_layers", 24)
    heads = getattr(text, "num_attention_heads", 16) or 16
    kv_heads = getattr(text, "num_key_value_heads", None) or heads
    head_dim = getattr(text, "head_dim", None) or getattr(text, "d_kv", None) or hidden // heads
    element = network.dtype.itemsize if hasattr(network.dtype, "itemsize") else 2
    kv = 2 * layers * kv_heads * head_dim * element
    if getattr(config, "is_encoder_decoder", False):
        kv *= 2  # cross-attention keeps keys/values of every input token per layer too
    return kv + 16 * hidden * element


MODEL_LIBRARIES = ("torch", "transformers")  # the `models` extra (pyproject.toml)


def missing_libraries() -> list[HarnessError]:
    """The `models` extra's libraries this environment lacks, found without importing them
    (a light install scores predictions without them), as one error naming the install line."""
    missing = tuple(name for name in MODEL_LIBRARIES if importlib.util.find_spec(name) is None)
    if not missing:
        return []
    return [MissingDependency(missing, extra="models", why="to run Hugging Face models")]


def _torch():
    try:
        import torch
    except ImportError as exc:
        raise MissingDependency("torch", extra="models", why="to run Hugging Face models") from exc
    return torch


def transformers_module():
    try:
        import transformers
    except ImportError as exc:
        raise MissingDependency("transformers", extra="models",
                                why="to run Hugging Face models") from exc
    return transformers


def eos_ids(network, tokenizer) -> set[int]:
    ids = network.generation_config.eos_token_id
    found = set(ids if isinstance(ids, list) else [ids] if ids is not None else [])
    if tokenizer.eos_token_id is not None:
        found.add(tokenizer.eos_token_id)
    return found


def pad_id(tokenizer) -> int:
    # decoder-only checkpoints often have no pad token; any id works under the attention mask
    for candidate in (tokenizer.pad_token_id, tokenizer.eos_token_id, tokenizer.unk_token_id, 0):
        if candidate is not None:
            return candidate
    return 0


def max_positions(config) -> int | None:
    for name in ("max_position_embeddings", "n_positions", "max_sequence_length", "seq_length"):
        value = getattr(config, name, None)
        if isinstance(value, int) and value > 0:
            return value
    return None


def padded(rows: list[list[int]], pad: int, side: str) -> dict:
    """input_ids and attention_mask tensors, padded on ``side``."""
    torch = _torch()
    width = max(len(r) for r in rows)
    ids = torch.full((len(rows), width), pad, dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    for i, row in enumerate(rows):
        span = slice(width - len(row), width) if side == "left" else slice(0, len(row))
        ids[i, span] = torch.tensor(row, dtype=torch.long)
        mask[i, span] = 1
    return {"input_ids": ids, "attention_mask": mask}


def weights_location_problems(spec: str, locator: str, revision: str | None) -> list[HarnessError]:
    """A folder that exists, or a hub id (offline: one in the local hub cache)."""
    path = Path(locator).expanduser()
    if path.exists():
        return [] if path.is_dir() else [UsageError(
            f"model {spec!r}: {locator} is a file; give the folder written by save_pretrained "
            f"(config.json, weights, tokenizer)")]
    if locator.startswith((".", "/", "~")) or not HUB_ID.match(locator):
        return [UsageError(f"model {spec!r}: no folder {locator}, and not a hub id (org/name); "
                           f"give an existing folder or a hub id")]
    from huggingface_hub import constants, try_to_load_from_cache
    if not hub_offline() or isinstance(try_to_load_from_cache(locator, "config.json",
                                                              revision=revision), str):
        return []  # online, the hub is asked when the model loads
    at = f" (revision {revision})" if revision else ""
    return [UsageError(f"model {spec!r}: offline (HF_HUB_OFFLINE), and {locator}{at} is not in "
                       f"the local hub cache ({constants.HF_HUB_CACHE}); download it once "
                       f"online (`hf download {locator}`), or give a local folder")]


def hub_offline() -> bool:
    from huggingface_hub import constants

    # read at call time too: the library reads the variables once, at its import
    return bool(constants.HF_HUB_OFFLINE) or any(os.environ.get(v, "").lower() in (
        "1", "true", "yes", "on") for v in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"))
