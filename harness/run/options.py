"""What a run is asked for and what planning makes of it: the records the run layer passes
from planning (``plan``) to generation (``evaluate``), scoring (``score``), a job array's
shards (``shard``) and their merge (``merge``)."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping

from harness.errors import UsageError
from harness.task import Task
from harness.types import Example, GenerateConfig, InputKind, Request

SPEC = re.compile(r"^\s*(-?\d+)\s*/\s*(-?\d+)\s*$")


@dataclass(frozen=True)
class Shard:
    """Shard ``index`` of ``count``, counting from 0, as Kubernetes indexed jobs and
    ``--array=0-N-1`` Slurm arrays number their tasks."""

    index: int
    count: int
    key: str | None = None  # --shard-key; None: derived from what makes the run

    @classmethod
    def parse(cls, text: str, key: str | None = None) -> "Shard":
        """``"2/4"`` → Shard(2, 4); a usage error that says the numbering otherwise."""
        match = SPEC.match(text or "")
        if not match:
            raise UsageError(f"--shard {text!r}: expected I/N, shard I of N counting from 0 "
                             f"(0/4, 1/4, 2/4, 3/4), e.g. --shard $SLURM_ARRAY_TASK_ID/4 with "
                             f"#SBATCH --array=0-3, or --shard $JOB_COMPLETION_INDEX/4")
        shard = cls(int(match[1]), int(match[2]), key)
        problems = shard.problems()
        if problems:
            raise UsageError(problems[0])
        return shard

    def problems(self) -> list[str]:
        if self.count < 1:
            return [f"--shard {self}: N, the number of shards, must be 1 or more"]
        if not 0 <= self.index < self.count:
            return [f"--shard {self}: shards count from 0, so I is one of 0..{self.count - 1}; "
                    f"with an array numbered from 1 (#SBATCH --array=1-{self.count}) give "
                    f"--shard $((SLURM_ARRAY_TASK_ID - 1))/{self.count}"]
        if self.key is not None and not self.key.strip():
            return ["--shard-key: empty; give a name (e.g. $SLURM_ARRAY_JOB_ID) or leave it out"]
        return []

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


@dataclass(frozen=True)
class RunOptions:
    """What one `harness run` asks for, besides the model and the tasks."""

    limit: int | None = None
    # subset (or extension) of each task's metrics: names, or {name, option: value}
    metrics: tuple[str | Mapping[str, Any], ...] = ()
    gen_kwargs: Mapping[str, Any] = field(default_factory=dict)
    seed: int = 12345  # sacrebleu's default, so bootstrap CIs match its --confidence
    data: Path | None = None  # a local JSONL replacing the task's source
    output: Path = Path("results")
    n_bootstrap: int = 1000
    write: bool = True
    # "task" (the task's steps), "none", or "strip,first_line"; None: "none" for a file of
    # predictions (final output, scored as written), "task" for models that generate
    postprocess: str | None = None
    # images and a task file's data outside the data file's (task file's) folder
    allow_outside_paths: bool = False
    # evaluate shard I of N and keep its part for the merge (run/shard.py)
    shard: Shard | None = None
    # a generic task (translation, summarization, captioning) bound to --data: the name its
    # records carry (None: the data file's name) and, for translation, SRC-TGT
    task_name: str | None = None
    language_pair: str | None = None


@dataclass(frozen=True)
class Postprocess:
    """The steps applied to outputs before scoring, as recorded, and the function doing it."""

    steps: tuple[str, ...]
    apply: Callable[[str], str]


@dataclass(frozen=True)
class Planned:
    """One task as checked before the model loads: its examples, config and steps."""

    task: Task
    examples: list[Example]
    config: GenerateConfig
    post: Postprocess
    input_kind: InputKind  # the model's (model_input_kind), which the requests were built for
    requests: list[Request]
    prepare_s: float
