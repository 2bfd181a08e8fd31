"""The run record: everything needed to trust, compare and reproduce one task's scores.

One record per (model, task, run), stored as ``run.json`` in the run's folder (see
``harness.record.store``). Frozen pydantic models: the record is what crosses from the pipeline to
the reports, and what is written and read back; ``run_record.schema.json`` beside this file
is generated from these classes (``python -m harness.record``).
"""
from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, PrivateAttr

from harness.errors import DataError, MissingDependency, UsageError, did_you_mean
from harness.record.key import RunKey, metric_entries
from harness.types import GenerateConfig

SCHEMA_VERSION = 2
MAX_LISTED_ERRORS = 20  # the record lists the first few; samples.jsonl has every one

Status = Literal["complete", "partial", "failed"]


class Section(BaseModel):
    # unknown keys are refused: a record a newer harness wrote says so instead of
    # silently losing fields
    model_config = ConfigDict(frozen=True, extra="forbid", use_attribute_docstrings=True)


class TaskInfo(Section):
    """The task as it was run: definition, data and how many examples were asked for."""

    name: str
    version: int
    family: str
    """translation | summarization | captioning"""
    source: str
    """Where the task's examples come from, e.g. ``hf:wmt/wmt14/de-en:test``."""
    metrics: list[str] = []
    """The task's own metric names (what was scored is in ``scores``)."""
    description: str = ""
    data_fingerprint: str
    """sha256 over the examples asked for (ids, inputs, references)."""
    n_examples: int
    """Examples asked for, after --limit."""
    limit: int | None = None
    data_override: str | None = None
    """The --data file that replaced the task's source, if any."""


class ModelInfo(Section):
    spec: str
    """As given: ``hf-seq2seq:t5-small``, ``predictions:preds.jsonl``, ``lead-3``."""
    kind: str
    locator: str
    args: dict[str, Any] = {}
    """--model-args."""
    fingerprint: dict[str, str] = {}
    """Identifies the weights: locator, resolved revision, content hash where known."""
    runtime: dict[str, Any] = {}
    """How the adapter ran: device, dtype, threads, attn_implementation, ... (as it reports)."""
    name: str | None = None
    """What reports call the system instead of ``spec``: ``harness score --name`` (by default
    the outputs file's stem); None: the spec. The run key holds it as the model's ``name=``
    argument, so two names of one file are two runs, never one run's two labels."""

    @property
    def label(self) -> str:
        """The system as reports name it."""
        return self.name or self.spec


class Score(Section):
    """One metric's corpus score with everything needed to compare and recompute it."""

    spec: dict[str, Any] | None
    """The metric as built: ``{"name": "bleu", "tokenize": "13a"}``; rebuild it with
    ``harness.metrics.scoring.build_metric``. None only in records converted from schema 1."""
    score: float
    """0-100 scale (CIDEr x100, as papers print it)."""
    signature: str
    """Names everything that changes the number; equal signatures mean comparable scores."""
    ci95: tuple[float, float] | None = None
    """Seeded bootstrap 95% interval over the statistics rows; None when turned off."""
    higher_is_better: bool = True
    details: dict[str, Any] = {}
    stats: str | None = None
    """The per-example statistics matrix (.npy) the score aggregates, relative to the run folder."""

    def metric(self):
        """The metric object that aggregates this score's statistics."""
        from harness.metrics.scoring import build_metric
        if self.spec is None:
            raise DataError(f"score {self.signature!r} comes from a schema-1 record, which did not "
                            f"store metric options; rerun the task to get a rebuildable metric")
        return build_metric(self.spec)


class Timings(Section):
    """Seconds per phase of one task; one name each (load happens once per model: the first
    task carries it, including weights an adapter loads lazily on its first batch)."""

    load_s: float = 0.0
    """Loading the model: its constructor plus any lazy loading during generation."""
    prepare_s: float = 0.0
    """Examples, fingerprints, requests."""
    generate_s: float = 0.0
    """Generation wall time, without loading."""
    model_s: float | None = None
    """Inside the network's forward passes (batched models only)."""
    overhead_s: float | None = None
    """generate_s - model_s: batching, cache, progress, pre-processing not overlapped."""
    score_s: float = 0.0
    """Metrics, bootstrap CIs."""
    total_s: float = 0.0
    """load_s + prepare_s + generate_s + score_s."""


class Throughput(Section):
    examples_per_s: float | None = None
    """Generated (not cached) examples per second of generate_s; None when nothing was generated."""
    generated_tokens_per_s: float | None = None
    """None when the model reports no tokens (a predictions file, a baseline)."""
    generated_tokens: int = 0
    padding_efficiency: float | None = None
    """Real / processed tokens in batches (batched models only)."""
    peak_memory_bytes: int | None = None
    peak_memory_kind: str | None = None
    """``cuda max allocated`` or ``process peak RSS``."""


class Batches(Section):
    count: int
    batch_size: int | str
    """--batch-size: ``auto`` or the fixed count asked for."""
    mean_rows: float
    max_rows: int
    oom_retries: int = 0
    token_budget_start: int | None = None
    token_budget_end: int | None = None
    """The budget out-of-memory back-off left, kept for the model's later tasks."""


class EngineCounts(Section):
    n_requests: int = 0
    n_cached: int = 0
    """Answered from the generation cache."""
    n_generated: int = 0
    n_errors: int = 0
    """Examples the model could not answer (recorded under --on-error skip; retried by a rerun)."""
    n_truncated: int = 0
    """Inputs cut to fit the model's maximum length."""
    retries: int = 0
    """Transient errors retried (concurrent adapters: rate limits, dropped connections)."""
    batches: Batches | None = None
    cache: str | None = None
    """The generation cache file, when used."""
    world_size: int = 1
    """Processes that generated the requests, each its share (torchrun ranks); 1: one process."""


class ExampleError(Section):
    id: str
    error: str


class GitRevision(Section):
    commit: str
    dirty: bool
    """harness/ or tasks/ had uncommitted edits."""


class Hardware(Section):
    machine: str
    cpus: int | None = None
    processor: str | None = None
    gpus: list[str] | None = None
    torch_threads: int | None = None


class Environment(Section):
    python: str
    platform: str
    packages: dict[str, str] = {}
    harness_git: GitRevision | None = None
    hardware: Hardware
    command: list[str] = []
    user: str | None = None


class Files(Section):
    samples: str = "samples.jsonl"
    """Per example: id, input, prediction, raw output, references, scores, error, ..."""


class MergedFrom(Section):
    """The shards a run was merged from (``harness run --shard I/N``, ``harness merge``)."""

    key: str
    """What the shards had in common: ``--shard-key``, or a hash of the model, task, data and
    settings; their partial records are in ``<model>/<task>/shards/<key>/``."""
    count: int
    """N: how many shards the examples were split into."""
    run_ids: list[str]
    """Each shard's own run id, shard 0 first."""


class RunRecord(Section):
    schema_version: Literal[2] = SCHEMA_VERSION
    run_id: str
    """Sortable UTC start time and a random suffix, e.g. ``20261130T115103Z-3fa9c1``; the
    tasks of one ``harness run`` share it."""
    status: Status
    """complete; partial: some examples failed and were not scored; failed: see ``error``."""
    created: datetime
    task: TaskInfo
    model: ModelInfo
    generation: GenerateConfig
    seed: int
    postprocess: list[str] | None = []
    """Steps applied to the outputs before scoring, in order; empty: scored as written;
    None: not recorded (converted from schema 1, which applied the task's steps)."""
    n_scored: int = 0
    """Examples scored: n_examples less those that failed."""
    n_errors: int = 0
    errors: list[ExampleError] = []
    """The first failed examples (MAX_LISTED_ERRORS); samples.jsonl has all."""
    error: str | None = None
    """Why a failed run failed."""
    scores: dict[str, Score] = {}
    """Metric name -> score."""
    timings: Timings = Timings()
    throughput: Throughput = Throughput()
    engine: EngineCounts = EngineCounts()
    environment: Environment
    files: Files = Files()
    key: RunKey | None = None
    """What makes this run the run it is (``harness.record.key``); None in records written
    before it was stored, for which ``identity()`` derives it from the other fields."""
    merged_from: MergedFrom | None = None
    """Set when the run was evaluated as N shards and merged; None: one process ran it.
    Timings, throughput and engine counts then add up the shards' (work, not wall time), and
    ``environment`` is shard 0's."""

    # where the record was written or read, and statistics not yet written; not stored
    _folder: Path | None = PrivateAttr(default=None)
    _stats: dict[str, Any] = PrivateAttr(default_factory=dict)

    @property
    def folder(self) -> Path | None:
        """The run folder this record lives in (None until written)."""
        return self._folder

    def score(self, metric: str) -> Score:
        if metric not in self.scores:
            raise UsageError(f"run {self.run_id} ({self.model.spec} on {self.task.name}) has no "
                             f"score {metric!r}{did_you_mean(metric, self.scores)}; it has: "
                             f"{', '.join(self.scores) or 'none'}")
        return self.scores[metric]

    def identity(self) -> RunKey:
        """The run key: as stored, or, for an older record, rebuilt from what it recorded
        (without the adapter's output settings and the bootstrap size, which it did not)."""
        if self.key is not None:
            return self.key
        specs = [s.spec or {"name": name} for name, s in self.scores.items()]
        return RunKey(model=self.model.spec, model_args=self.model.args,
                      weights=self.model.fingerprint, task=self.task.name,
                      task_version=self.task.version, data=self.task.data_fingerprint,
                      limit=self.task.limit, generation=json.loads(self.generation.key()),
                      postprocess=list(self.postprocess or []), metrics=metric_entries(specs),
                      seed=self.seed, n_bootstrap=0)

    def stats(self, metric: str):
        """The per-example statistics matrix ``metric``'s score aggregates (rows = examples).

        Read from disk, it is checked before any report uses it: a readable 2-D ``.npy`` with
        one row per scored example and the metric's number of columns; anything else is a
        DataError naming the file, never a traceback from deep inside a test statistic.
        """
        import numpy as np

        entry = self.score(metric)
        if metric in self._stats:
            return np.asarray(self._stats[metric], dtype=np.float64)
        if entry.stats is None or self._folder is None:
            raise DataError(f"run {self.run_id}: the statistics of {metric!r} were not written "
                            f"(evaluate with write=True, or read the record with store.load_runs)")
        path = self._folder / entry.stats
        if not path.is_file():
            raise DataError(f"{path}: missing; the run folder is incomplete, rerun the task")
        return _checked_matrix(self, metric, path)

    def to_dict(self) -> dict:
        return self.model_dump(mode="json")

    def to_json(self) -> str:
        return self.model_dump_json(indent=2)


def _checked_matrix(record: RunRecord, metric: str, path: Path):
    import numpy as np

    fix = "the run folder is damaged; rerun the task to write it again"
    try:
        matrix = np.load(path, allow_pickle=False)  # never unpickle what a results folder holds
    except (OSError, ValueError, EOFError) as err:
        raise DataError(f"{path}: not a readable .npy statistics file ({err}); {fix}") from None
    if not isinstance(matrix, np.ndarray) or matrix.ndim != 2 or matrix.dtype.kind not in "biuf":
        what = f"{matrix.ndim}-D {matrix.dtype}" if isinstance(matrix, np.ndarray) else "an .npz archive"
        raise DataError(f"{path}: holds {what}, not a 2-D numeric statistics matrix; {fix}")
    if len(matrix) != record.n_scored:
        raise DataError(f"{path}: {len(matrix)} rows of statistics, but the run scored "
                        f"{record.n_scored} examples (run.json n_scored); {fix}")
    try:  # a schema-1 score stores no options, and a plugin may not be installed here
        entry = record.scores[metric]
        columns = entry.metric().n_columns() if entry.spec is not None else None
    except (UsageError, MissingDependency):
        columns = None  # aggregating the matrix will say why the metric cannot be built
    if columns is not None and matrix.shape[1] != columns:
        shared = [n for n, e in record.scores.items() if n != metric and e.stats == entry.stats]
        also = f" (it is also {', '.join(shared)}'s file: an older harness gave them one name)" if shared else ""
        raise DataError(f"{path}: {matrix.shape[1]} columns of statistics, but {metric} under its "
                        f"stored options has {columns}{also}; {fix}")
    return matrix.astype(np.float64, copy=False)
