"""What the metrics that run a network share: options, where their weights are, how their
inputs are batched, and the signature fields that name the network.

Inputs are scored in batches sorted by length, longest first: padding is the tokens between
a batch's shortest and longest input, so sorted batches carry little of it, and the longest
batch, the one most likely to run out of memory, runs first. An out-of-memory error halves
the batch and retries, as the generation engine does; a single input that does not fit is
an error naming its example.
"""
from __future__ import annotations

import re
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator, Sequence

import numpy as np

from harness.errors import DataError, MissingDependency, UsageError
from harness.metrics.base import AcceleratorOptions, Corpus
from harness.metrics.common import package_version, present_refs
from harness.models.hf.common import (free_accelerator_memory, hub_offline, is_out_of_memory,
                                      resolve_device, resolve_dtype)
from harness.models.hf.weights import folder_sha256
from harness.options import option

# padded tokens per forward pass under batch_size=auto: what a 12 GB GPU holds for a
# 24-layer, 1024-wide encoder in float32, and on a CPU where a batch's cost grows with its
# tokens, not its rows, so bigger batches gain nothing
AUTO_TOKENS = {"cpu": 8192, "cuda": 65536}
DTYPES = ("float32", "bfloat16", "float16", "auto")
HUB_ID = re.compile(r"^[\w.-]+(/[\w.-]+)?$")  # legacy ids have no owner: xlm-roberta-large
# what a tokenizer and a config are made of: an encoder whose weights come from elsewhere
# (COMET's checkpoint) is fetched without its own
CONFIG_AND_TOKENIZER = ["*.json", "*.model", "*.txt"]


@dataclass(frozen=True)
class LearnedOptions(AcceleratorOptions):
    """Placement, batching and precision of a learned metric's network."""

    device: str = option("auto", "where the network runs: auto (the first GPU when there is one, "
                                 "else cpu), cpu, cuda, cuda:1")
    batch_size: str = option("auto", "inputs per forward pass; auto: as many as fit a budget of "
                                     "padded tokens (8,192 on a CPU, 65,536 on a GPU)")
    dtype: str = option("float32", "precision of the network; half precision is faster on a GPU "
                                   "and changes scores slightly (the signature names it)",
                        choices=DTYPES)


@dataclass(frozen=True)
class Weights:
    """A network's folder and what identifies its content."""

    model: str  # as the user named it: a hub id or a folder
    folder: Path
    revision: str  # the hub commit, or "local"

    def hash(self) -> str:
        return folder_sha256(self.folder).removeprefix("sha256:")[:12]


def locate(model: str, what: str, only: list[str] | None = None) -> Weights:
    """The folder of ``model`` (a folder, or a hub id: the local hub cache, else a download),
    or a UsageError naming the model and the command that fetches it. ``only``: the file
    patterns needed (default: every file)."""
    path = Path(model).expanduser()
    if path.is_dir():
        return Weights(model, path.resolve(), "local")
    if not HUB_ID.match(model):
        raise UsageError(f"{what}: model {model!r} is neither a folder nor a hub id (org/name)")
    from huggingface_hub import snapshot_download
    try:
        folder = Path(snapshot_download(model, local_files_only=True, allow_patterns=only))
    except Exception:  # noqa: BLE001 - not cached: fetched below, or named in the error
        folder = None
    if folder is None and not hub_offline():
        try:
            folder = Path(snapshot_download(model, allow_patterns=only))
        except Exception as exc:  # noqa: BLE001 - the message says what to do
            raise UsageError(f"{what}: could not download {model!r} ({type(exc).__name__}); "
                             f"gated models need `hf auth login` and the licence accepted on "
                             f"the model's page; or pass model=FOLDER") from exc
    if folder is None:
        include = "".join(f" --include '{p}'" for p in only or ())
        raise UsageError(f"{what}: {model!r} is not in the local Hugging Face cache and the hub "
                         f"is offline (HF_HUB_OFFLINE=1); fetch it first with: hf download {model}"
                         f"{include} (or pass model=FOLDER)")
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


def require_libraries(extra: str, why: str) -> None:
    """MissingDependency naming the metric's extra where torch or transformers is absent, found
    without importing them (a light install lists and plans without them)."""
    import importlib.util
    missing = tuple(name for name in ("torch", "transformers", "tokenizers")
                    if importlib.util.find_spec(name) is None)
    if missing:
        raise MissingDependency(missing, extra=extra, why=why)


class Placement:
    """Device, dtype and batching of one scoring network, resolved from the options."""

    def __init__(self, options: LearnedOptions, what: str):
        try:
            self.device = resolve_device(options.device)
        except UsageError:  # worded for a generation model's --model-args
            raise UsageError(f"{what}: device={options.device}: no CUDA device is available "
                             f"here; use device=cpu or auto") from None
        self.dtype = resolve_dtype(options.dtype, self.device)
        if options.batch_size == "auto":
            self.rows, self.tokens = None, AUTO_TOKENS["cpu" if self.device == "cpu" else "cuda"]
        else:
            try:
                self.rows, self.tokens = int(options.batch_size), None
            except ValueError:
                self.rows = 0
            if self.rows < 1:
                raise UsageError(f"{what}: batch_size={options.batch_size!r} is not a positive "
                                 f"whole number or auto")

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
        """``forward(indices)`` over every batch, halving a batch that runs out of memory; the
        batches after it are held to the size that fitted (sorted longest first, none is longer)."""
        scores: list = [0.0] * len(lengths)  # a score per input, or a row of statistics
        pending, cap = list(self.batches(lengths)), None
        while pending:
            batch = pending.pop(0)
            if cap is not None and len(batch) > cap:
                pending[:0] = [batch[i:i + cap] for i in range(0, len(batch), cap)]
                continue
            try:
                values = forward(batch)
            except Exception as exc:  # noqa: BLE001 - only out-of-memory is handled here
                if not is_out_of_memory(exc):
                    raise
                if len(batch) == 1:
                    raise DataError(f"{example_of(batch[0])}: out of memory on {self.device} even "
                                    f"alone; score on a larger device or with dtype=bfloat16") from None
                cap = half = len(batch) // 2
                pending[:0] = [batch[:half], batch[half:]]
                values = None
            if values is None:
                free_accelerator_memory()  # outside the except block: its traceback holds the tensors
                continue
            for i, value in zip(batch, values):
                scores[i] = value
        return scores


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


def network_fields(weights: Weights, precision: str, batch_size: str) -> dict[str, str]:
    """Signature fields naming the network: its id, hub revision, content hash, precision,
    the batch size where it changes scores (half precision: padding changes the sums), and
    the transformers version that ran it."""
    name = weights.model if weights.revision != "local" else weights.folder.name  # not the path
    fields = {"model": name, "rev": weights.revision[:12], "weights": weights.hash(),
              "dtype": precision}
    if precision != "float32":
        fields["bs"] = batch_size
    fields["transformers"] = package_version("transformers")
    return fields


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
