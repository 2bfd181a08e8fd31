"""A shard's partial record: one part of a run's generations, kept until every shard is in.

``harness run --shard I/N`` writes one per task as
``<output>/<model>/<task>/shards/<key>/shard-I-of-N.json``; ``harness merge`` (or the last
shard to finish) reads all N, checks them against each other, scores once and writes the
normal run record. It holds generations, never scores: a score needs every example.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from harness.record.key import RunKey
from harness.record.run import (EngineCounts, Environment, ModelInfo, Section, TaskInfo, Throughput,
                                Timings)
from harness.types import GenerateConfig, Generation

SHARD_FORMAT = "harness-shard"


class ShardOptions(Section):
    """What the run asked for, besides model and task: enough to plan the task again where
    the shards are merged, and to tell shards of different runs apart."""

    limit: int | None = None
    metrics: list[str | dict[str, Any]] = []
    """--metrics as given (names, or a name with options)."""
    gen_kwargs: dict[str, Any] = {}
    seed: int
    data: str | None = None
    """The --data file, as an absolute path."""
    n_bootstrap: int
    postprocess: str | None = None
    """--postprocess as given (None: the default for the model kind)."""
    allow_outside_paths: bool = False
    task_name: str | None = None
    """--task-name, naming a generic task's data (None: the data file's name)."""
    language_pair: str | None = None
    """--language-pair of the generic translation task."""


class ShardRecord(Section):
    format: Literal["harness-shard"] = SHARD_FORMAT
    format_version: Literal[1] = 1
    run_id: str
    """This shard's own run id; the merged record lists them (``merged_from.run_ids``)."""
    created: datetime
    index: int
    """I, counting from 0."""
    count: int
    """N."""
    key: str
    """The folder the N shards share under ``<model>/<task>/shards/``."""
    run_key: RunKey | None = None
    """The run's key (``harness.record.key``), which the merged record carries; None in
    parts written before it was stored."""
    task_ref: str
    """The task as ``--tasks`` named it (a task file as an absolute path)."""
    options: ShardOptions
    task: TaskInfo
    """The whole task (fingerprint and count of all examples, not only this shard's)."""
    model: ModelInfo
    generation: GenerateConfig
    postprocess: list[str] = []
    timings: Timings = Timings()
    throughput: Throughput = Throughput()
    engine: EngineCounts = EngineCounts()
    environment: Environment
    positions: list[int]
    """Where each generation's example stands in the task's canonical order."""
    generations: list[Generation]
    """Raw outputs with their metadata (tokens, finish reason, truncation, cache, error)."""
