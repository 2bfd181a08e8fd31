"""What every metric that runs a network shares: options, weights, placement, batches,
signature fields.

BERTScore, CLIPScore, RefCLIPScore, COMET and MetricX each score with a network of their own.
Each of them, as a ``LearnedMetric``:

* takes ``LearnedOptions``: ``model`` (a hub id or a folder), ``device`` (auto: the first GPU
  when there is one, else the CPU), ``batch_size`` (auto, or inputs per forward pass) and
  ``dtype``;
* finds its weights with ``locate``: a local folder as it is, else the Hugging Face hub cache,
  else a download unless the hub is offline; ``Weights`` knows the folder, the hub revision
  and a content hash of the files transformers loads;
* checks before a run's generation model loads (``check_installed``): its packages, its device
  and batch size, and ``preflight``: weights that cannot be had are a UsageError naming the
  model and the command that downloads them;
* runs its forward passes through ``Placement.run``: inputs sorted longest first (padding is
  then the tokens between a batch's shortest and longest input, and the batch most likely to
  run out of memory runs first), cut by ``batch_size`` inputs, or under auto by a budget of
  padded tokens; an out-of-memory error halves the batch and holds the later ones to the size
  that fitted, as the generation engine does; an input that does not fit alone is an error
  naming its example;
* names in its signature what changes its numbers (``model_fields``): model, hub revision,
  weights hash, precision, the batch size where it changes scores (half precision: padding
  changes the sums; in float32 the tests show equal scores at 1, 7 and auto), the versions of
  torch, transformers and Python, and the weights' licence.
"""
from __future__ import annotations

import hashlib
import importlib.util
import platform
import re
from contextlib import contextmanager
from dataclasses import dataclass
from fnmatch import fnmatch
from functools import cached_property
from pathlib import Path
from typing import Callable, ClassVar, Iterator, Sequence

from harness.errors import DataError, MissingDependency, UsageError
from harness.metrics.base import AcceleratorOptions, Metric
from harness.metrics.common import package_version
from harness.models.hf.common import (free_accelerator_memory, hub_offline, is_out_of_memory,
                                      resolve_device, resolve_dtype)
from harness.models.hf.weights import file_sha256, model_files
from harness.options import option

# padded tokens per forward pass under batch_size=auto: what a 12 GB GPU holds for a
# 24-layer, 1024-wide encoder in float32, and on a CPU where a batch's cost grows with its
# tokens, not its rows, so bigger batches gain nothing
AUTO_TOKENS = {"cpu": 8192, "cuda": 65536}
AUTO_WORDS = ("auto", "0")  # 0: how the first learned metrics wrote auto
DTYPES = ("float32", "bfloat16", "float16", "auto")
HUB_ID = re.compile(r"^[\w.-]+(/[\w.-]+)?$")  # legacy ids have no owner: roberta-large
# weights for TensorFlow, Flax, Rust, ONNX...: never loaded here, so neither fetched nor hashed
OTHER_FRAMEWORKS = ("*.h5", "*.msgpack", "*.ot", "*.onnx", "*.tflite", "onnx/*", "openvino/*", "coreml/*")
# what a tokenizer and a config are made of: an encoder whose weights come from elsewhere
# (COMET's checkpoint), or a tokenizer alone, is fetched without weights
CONFIG_AND_TOKENIZER = ["*.json", "*.model", "*.txt"]


@dataclass(frozen=True)
class LearnedOptions(AcceleratorOptions):
    """Options of a metric with a network; subclasses set ``model``'s default and add theirs."""

    model: str = option("", "a Hugging Face hub id or a local folder of the scoring model")
    dtype: str = option("float32", "precision of the network; half precision is faster on a GPU "
                                   "and changes scores slightly (the signature names it); auto: "
                                   "bfloat16 or float16 on a GPU, float32 on a CPU", choices=DTYPES)


@dataclass(frozen=True)
class Weights:
    """A network's files: ``model`` as the user named it, ``folder`` where they are."""

    model: str
    folder: Path
    revision: str  # the hub commit of a cached snapshot; "local" for a folder given by path

    @property
    def name(self) -> str:
        """As signatures name it: the hub id, or a local folder's name (not its path)."""
        return self.folder.name if self.revision == "local" else self.model

    @cached_property
    def sha256(self) -> str:
        """``sha256:<hex>`` over the names and contents of the files transformers loads
        (memoised per file on disk): other frameworks' copies of the weights, which one
        download has and another lacks, do not change the hash."""
        files = [p for p in model_files(self.folder) if not other_framework(p.relative_to(self.folder))]
        lines = [f"{p.relative_to(self.folder).as_posix()} {file_sha256(p)}" for p in files]
        return "sha256:" + hashlib.sha256("\n".join(lines).encode()).hexdigest()


def other_framework(path: Path) -> bool:
    return any(fnmatch(path.as_posix(), pattern) for pattern in OTHER_FRAMEWORKS)


def _cached_snapshot(model: str, only: list[str] | None) -> Path | None:
    from huggingface_hub import snapshot_download
    try:
        return Path(snapshot_download(model, local_files_only=True, allow_patterns=only))
    except Exception:  # noqa: BLE001 - not cached, whatever the library calls it
        return None


def _fetch_command(model: str, only: list[str] | None) -> str:
    return f"hf download {model}" + "".join(f" --include '{p}'" for p in only or ())


def preflight(model: str, what: str, only: list[str] | None = None) -> None:
    """Before anything loads: weights that cannot be had are a UsageError naming the fix.
    ``only``: the file patterns needed (default: every file)."""
    if Path(model).expanduser().is_dir():
        return
    if model.startswith((".", "/", "~")) or not HUB_ID.match(model):
        raise UsageError(f"{what}: model={model}: no such folder, and not a hub id (org/name); "
                         f"give a folder with the model's files or a hub id")
    if hub_offline() and _cached_snapshot(model, only) is None:
        raise UsageError(f"{what}: {model!r} is not in the local Hugging Face cache and the hub "
                         f"is offline (HF_HUB_OFFLINE=1); fetch it first with: "
                         f"{_fetch_command(model, only)} (or pass model=FOLDER)")


def locate(model: str, what: str, only: list[str] | None = None) -> Weights:
    """The files of ``model``: a folder, or a hub id from the local hub cache, else downloaded."""
    path = Path(model).expanduser()
    if path.is_dir():
        return Weights(model, path.resolve(), "local")
    preflight(model, what, only)
    folder = _cached_snapshot(model, only)
    if folder is None:
        from huggingface_hub import snapshot_download
        try:
            folder = Path(snapshot_download(model, allow_patterns=only, ignore_patterns=list(OTHER_FRAMEWORKS)))
        except Exception as exc:  # noqa: BLE001 - network, auth and unknown ids alike
            raise UsageError(f"{what}: could not download {model!r} ({type(exc).__name__}); gated "
                             f"models need `hf auth login` and the licence accepted on the model's "
                             f"page; or fetch it yourself: {_fetch_command(model, only)}, or pass "
                             f"model=FOLDER") from exc
    return Weights(model, folder, folder.name if folder.parent.name == "snapshots" else "local")


def model_licence(folder: Path, known: dict[str, str], model: str) -> str:
    """The licence a model card declares (its YAML header), else the one known for its id."""
    card = folder / "README.md"
    if card.is_file():
        found = re.search(r"^license:\s*(\S+)", card.read_text(encoding="utf-8", errors="replace"),
                          re.MULTILINE)
        if found:
            return found.group(1)
    return known.get(model, "unknown")


def require_libraries(extra: str, why: str, also: Sequence[str] = ()) -> None:
    """MissingDependency naming the metric's extra where torch, transformers (or a package in
    ``also``) is absent, found without importing them (a light install lists and plans
    without them)."""
    missing = tuple(name for name in ("torch", "transformers", "tokenizers", *also)
                    if importlib.util.find_spec(name) is None)
    if missing:
        raise MissingDependency(missing, extra=extra, why=why)


def _is_oom(exc: BaseException) -> bool:
    return isinstance(exc, MemoryError) or is_out_of_memory(exc)  # CPU torch raises MemoryError


class Placement:
    """Device, dtype and batching of one scoring network, resolved from the options."""

    def __init__(self, options: LearnedOptions, what: str):
        try:
            self.device = resolve_device(options.device or "auto")
        except UsageError:  # worded for a generation model's --model-args
            raise UsageError(f"{what}: device={options.device}: no CUDA device is available "
                             f"here; use device=cpu or auto") from None
        self.dtype = resolve_dtype(options.dtype, self.device)
        size = str(options.batch_size).strip().lower()
        if size in AUTO_WORDS:
            self.rows, self.tokens = None, AUTO_TOKENS["cpu" if self.device == "cpu" else "cuda"]
        else:
            self.rows, self.tokens = int(size) if size.isdigit() else 0, None
            if self.rows < 1:
                raise UsageError(f"{what}: batch_size={options.batch_size}: give a positive "
                                 f"number of inputs, or auto")

    @property
    def precision(self) -> str:
        return str(self.dtype).removeprefix("torch.")

    def batches(self, lengths: Sequence[int]) -> Iterator[list[int]]:
        """Indices of the inputs, longest first, cut into batches of ``rows`` inputs or of
        at most ``tokens`` padded tokens."""
        order = sorted(range(len(lengths)), key=lambda i: -lengths[i])
        batch: list[int] = []
        for i in order:
            full = (len(batch) == self.rows if self.rows else
                    batch and (len(batch) + 1) * lengths[batch[0]] > self.tokens)
            if full:
                yield batch
                batch = []
            batch.append(i)
        if batch:
            yield batch

    def run(self, lengths: Sequence[int], forward: Callable[[list[int]], Sequence],
            example_of: Callable[[int], str]) -> list:
        """``forward(indices)`` over every batch, results in input order, halving a batch that
        runs out of memory; the batches after it are held to the size that fitted (sorted
        longest first, none is longer). ``example_of(i)`` names input ``i`` in errors."""
        out: list = [None] * len(lengths)  # a result per input: a score, a row, a vector
        pending, cap = list(self.batches(lengths)), None
        while pending:
            batch = pending.pop(0)
            if cap is not None and len(batch) > cap:
                pending[:0] = [batch[i:i + cap] for i in range(0, len(batch), cap)]
                continue
            try:
                values, failed = forward(batch), None
            except Exception as exc:  # noqa: BLE001 - anything but out-of-memory is re-raised
                values, failed = None, exc
            if failed is not None:
                # outside the except block: its traceback no longer pins the batch's tensors
                if not _is_oom(failed):
                    raise failed
                if len(batch) == 1:
                    raise DataError(f"{example_of(batch[0])}: out of memory on {self.device} even "
                                    f"alone; score on a larger device or with dtype=bfloat16")
                cap = half = len(batch) // 2
                pending[:0] = [batch[:half], batch[half:]]
                free_accelerator_memory()
                continue
            for i, value in zip(batch, values):
                out[i] = value
        return out


@contextmanager
def quiet_loading():
    """transformers' loading bars and reports (an output layer a metric reads itself shows as
    UNEXPECTED) stay off the run's screen, whose progress lines are the harness's own."""
    from transformers.utils import logging as hf_logging
    level = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        hf_logging.enable_progress_bar()
        hf_logging.set_verbosity(level)


class LearnedMetric(Metric):
    """Base of a metric with a network: its weights found once, checked before a run starts.

    Subclasses declare ``Options`` (a LearnedOptions), ``extra`` (the install extra that brings
    what they import), ``licences`` (of the hub ids they know, for weights whose card does not
    say), and ``load()``, which builds their network from ``self.weights`` on
    ``self.placement``; they score with ``self.network``, loaded once, so the time estimate's
    sample and the corpus share one load.
    """

    Options = LearnedOptions
    needs_accelerator = True
    estimate_sample = 8
    extra: ClassVar[str] = "models"
    licences: ClassVar[dict[str, str]] = {}

    @property
    def what(self) -> str:
        return f"metric {self.name!r}"

    def check_packages(self) -> None:
        """Raise MissingDependency for a package the metric imports and this machine lacks."""
        require_libraries(self.extra, f"for the {self.name} metric")

    def check_installed(self) -> None:
        self.check_packages()
        self.placement  # noqa: B018 - device and batch size usable here
        preflight(self.options.model, self.what)

    @cached_property
    def placement(self) -> Placement:
        return Placement(self.options, self.what)

    def load(self) -> object:
        """The metric's network, on ``self.placement``'s device and dtype."""
        raise NotImplementedError

    @cached_property
    def network(self) -> object:
        return self.load()

    @cached_property
    def weights(self) -> Weights:
        return locate(self.options.model, self.what)

    def weights_licence(self) -> str:
        """The licence of the weights scored with, as their card or ``licences`` says."""
        return model_licence(self.weights.folder, self.licences, self.weights.model)

    def model_fields(self) -> list[tuple[str, str]]:
        """Signature fields naming the exact network, its precision, what runs it (as
        sacreCOMET records them) and the weights' licence."""
        weights, precision = self.weights, self.placement.precision
        return [("model", weights.name), ("rev", weights.revision[:12]),
                ("weights", weights.sha256.removeprefix("sha256:")[:12]), ("dtype", precision),
                *([("bs", str(self.options.batch_size))] if precision != "float32" else []),
                ("torch", package_version("torch")), ("transformers", package_version("transformers")),
                ("py", platform.python_version()), ("licence", self.weights_licence().split()[0])]
