"""What every metric that runs a network shares: weights, placement, batches, signature fields.

BERTScore, CLIPScore and the COMET family score with a model of their own. Each of them:

* finds its weights with ``locate_weights(model)``: a local folder as it is, else the
  Hugging Face hub cache (never the network while ``HF_HUB_OFFLINE`` is set); ``Weights``
  knows the folder, the hub revision and a content hash of the files;
* checks them before a run's generation model loads (``preflight(model)`` from the
  metric's ``check_installed``): offline and not cached is a UsageError that names the
  model and the command that downloads it;
* places its network with ``device_of(options.device)`` and ``dtype_of(options.dtype)``;
* runs its forward passes through ``in_batches(lengths, options.batch_size, forward)``:
  longest first (padding is then shortest, and an out-of-memory error shows on the first
  batch), halving the batch after an out-of-memory error as the generation engine does;
* names in its signature what changes its numbers: ``model_fields(weights, dtype)`` (model,
  revision, weights hash, precision, torch, transformers and Python versions).

A metric subclasses ``LearnedMetric`` (its ``weights()``, its pre-flight in
``check_installed``) and takes its options from ``LearnedOptions`` (``AcceleratorOptions``
plus ``model`` and ``dtype``).
The batch size never enters a signature here: the tests show equal scores at 1, 7 and
auto (0); a metric whose numbers do move with it adds ``("bs", size)`` itself.
"""
from __future__ import annotations

import gc
import hashlib
import os
import platform
import sys
from dataclasses import dataclass
from fnmatch import fnmatch
from functools import cached_property
from pathlib import Path
from typing import Callable, Sequence, TypeVar

from harness.errors import HarnessError, MissingDependency, UsageError
from harness.metrics.base import AcceleratorOptions, Metric
from harness.metrics.common import package_version
from harness.models.hf.weights import file_sha256, model_files
from harness.options import option

R = TypeVar("R")
AUTO_BATCH = 64  # rows a batch starts with under batch_size=0 (auto); out-of-memory halves it
DTYPES = ("float32", "float16", "bfloat16")
TRUE_WORDS = ("1", "on", "yes", "true")  # how huggingface_hub reads HF_HUB_OFFLINE
# weights for TensorFlow, Flax, Rust, ONNX...: never loaded here, so neither fetched nor hashed
OTHER_FRAMEWORKS = ("*.h5", "*.msgpack", "*.ot", "*.onnx", "*.tflite", "onnx/*", "openvino/*", "coreml/*")


@dataclass(frozen=True)
class LearnedOptions(AcceleratorOptions):
    """Options of a metric with a network; subclasses set ``model``'s default and add theirs."""

    model: str = option("", "a Hugging Face hub id or a local folder of the scoring model")
    dtype: str = option("float32", "precision of the scoring model (recorded in the signature)",
                        choices=DTYPES)


class LearnedMetric(Metric):
    """Base of a metric with a network: its weights found once, checked before a run starts.

    Subclasses declare ``Options`` (a LearnedOptions), override ``check_packages`` to raise
    MissingDependency for what they import, and call ``self.weights()`` where they load.
    """

    Options = LearnedOptions
    needs_accelerator = True
    estimate_sample = 8

    def __init__(self, **options):
        super().__init__(**options)
        self._weights: Weights | None = None
        # the subclass's loaded network, kept so the time estimate's sample and the corpus
        # share one load
        self._loaded: object | None = None

    def check_packages(self) -> None:
        """Raise MissingDependency for a package the metric imports and this machine lacks."""

    def check_installed(self) -> None:
        self.check_packages()
        batch_rows(self.options.batch_size)
        preflight(self.options.model, self.name)

    def licence_details(self) -> dict:
        """The default weights' licence, for the record, when those are the weights used."""
        default = type(self.options)().model
        return {"licence": self.licence} if self.licence and self.options.model == default else {}

    def weights(self) -> Weights:
        if self._weights is None:
            self._weights = locate_weights(self.options.model, self.name)
        return self._weights


def hub_offline() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in TRUE_WORDS


def download_command(model: str) -> str:
    return f"hf download {model}"


@dataclass(frozen=True)
class Weights:
    """A scoring model's files: ``name`` as the user gave it, ``folder`` where they are."""

    name: str
    folder: Path
    revision: str  # the hub commit of a cached snapshot; "local" for a folder given by path

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


def _cached_snapshot(model: str) -> Path | None:
    try:
        from huggingface_hub import snapshot_download
        from huggingface_hub.errors import LocalEntryNotFoundError
    except ImportError as exc:
        raise MissingDependency("huggingface_hub", extra="models", why="to find scoring models") from exc
    try:
        return Path(snapshot_download(model, local_files_only=True))
    except (LocalEntryNotFoundError, OSError, ValueError):
        return None


def preflight(model: str, metric: str) -> None:
    """Before anything loads: weights that cannot be had are a UsageError naming the fix."""
    if Path(model).expanduser().is_dir():
        return
    if looks_like_path(model):
        raise UsageError(f"metric {metric!r}: model={model}: no such folder; give a folder "
                         f"with the model's files or a hub id")
    if hub_offline() and _cached_snapshot(model) is None:
        raise UsageError(f"metric {metric!r}: model {model!r} is not in the Hugging Face cache "
                         f"and HF_HUB_OFFLINE is set; download it first: {download_command(model)}")


def looks_like_path(model: str) -> bool:
    return model.startswith((".", "/", "~")) or model.count("/") > 1


def locate_weights(model: str, metric: str) -> Weights:
    """The folder of ``model`` (a path, or a hub id: cached, else downloaded unless offline)."""
    folder = Path(model).expanduser()
    if folder.is_dir():
        return Weights(model, folder.resolve(), "local")
    preflight(model, metric)
    snapshot = _cached_snapshot(model)
    if snapshot is None:
        from huggingface_hub import snapshot_download
        try:
            snapshot = Path(snapshot_download(model, ignore_patterns=list(OTHER_FRAMEWORKS)))
        except Exception as exc:  # noqa: BLE001 - network, auth and unknown ids alike
            raise UsageError(f"metric {metric!r}: cannot download {model!r} ({exc}); "
                             f"download it yourself with {download_command(model)}") from exc
    return Weights(model, snapshot, snapshot.name)


def model_fields(weights: Weights, dtype: str) -> list[tuple[str, str]]:
    """Signature fields naming the exact model (name, hub revision, content hash), its
    precision, and the versions of what runs it (as sacreCOMET records them)."""
    return [("model", weights.name), ("rev", weights.revision[:12]),
            ("weights", weights.sha256.removeprefix("sha256:")[:12]), ("dtype", dtype),
            ("torch", package_version("torch")), ("transformers", package_version("transformers")),
            ("py", platform.python_version())]


def device_of(device: str | None) -> str:
    """``device`` as given, else the first GPU when there is one, else the CPU."""
    import torch
    if device not in (None, "", "auto"):
        return device
    return "cuda" if torch.cuda.is_available() else "cpu"


def dtype_of(name: str):
    import torch
    return getattr(torch, name)


def batch_rows(batch_size: int) -> int | None:
    """The batch size option as rows; None for auto (0)."""
    if batch_size < 0:
        raise UsageError(f"batch_size={batch_size}: give a positive number of texts, or 0 for auto")
    return batch_size or None


def _is_oom(exc: BaseException) -> bool:
    torch = sys.modules.get("torch")  # not imported: the error cannot be torch's
    return isinstance(exc, MemoryError) or (torch is not None and isinstance(exc, torch.OutOfMemoryError))


def in_batches(lengths: Sequence[int], batch_size: int,
               forward: Callable[[list[int]], Sequence[R]],
               label: Callable[[int], str] = lambda i: f"item #{i}") -> list[R]:
    """``forward(indices)`` over batches of indices, longest first; results in input order.

    An out-of-memory error puts the batch back and halves the rows of every later batch;
    one item that does not fit alone is a HarnessError naming it.
    """
    order = sorted(range(len(lengths)), key=lambda i: -lengths[i])
    rows = batch_rows(batch_size) or AUTO_BATCH
    out: list = [None] * len(lengths)
    at = 0
    while at < len(order):
        indices = order[at:at + rows]
        try:
            results, failed = forward(indices), None
        except Exception as exc:  # noqa: BLE001 - anything but out-of-memory is re-raised
            results, failed = None, exc
        if failed is None:
            for i, result in zip(indices, results):
                out[i] = result
            at += len(indices)
            continue
        # outside the except block: the traceback no longer pins the batch's tensors
        if not _is_oom(failed):
            raise failed
        if rows == 1:
            raise HarnessError(f"{label(indices[0])} ({lengths[indices[0]]} tokens): out of memory "
                               f"even alone; use device=cpu or a smaller dtype")
        rows = max(1, min(rows, len(indices)) // 2)
        _free_accelerator()
    return out


def _free_accelerator() -> None:
    gc.collect()
    torch = sys.modules.get("torch")
    if torch is not None and torch.cuda.is_available():
        torch.cuda.empty_cache()
