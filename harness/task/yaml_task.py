"""Declarative tasks: a validated task file (``spec.TaskSpec``) behind the Task surface."""
from __future__ import annotations

import random
import sys
from pathlib import Path

from harness import data
from harness.errors import DataError
from harness.task.base import MetricSpec, Task
from harness.task.spec import TaskSpec
from harness.task.yaml_file import read_task_file
from harness.types import Example

LOCAL_FILE = (".jsonl", ".tsv", ".csv")


class YamlTask(Task):
    """A task defined by a file; ``path`` anchors the relative paths in it."""

    allow_outside = False  # data and images outside the task's or data file's folder
    _fallback_used: str | None = None  # the fallback's source, once examples came from it

    def __init__(self, spec: TaskSpec, path: Path | None = None):
        self.spec = spec
        self.path = Path(path).resolve() if path is not None else None

    # the settings come from the file, not from class attributes
    name = property(lambda self: self.spec.name)
    version = property(lambda self: self.spec.version)
    family = property(lambda self: self.spec.family)
    description = property(lambda self: self.spec.description)
    generation = property(lambda self: self.spec.generation_overrides())
    postprocess_steps = property(lambda self: self.spec.postprocess)
    template = property(lambda self: self.spec.prompt.template)
    source_prefix = property(lambda self: self.spec.prompt.source_prefix)
    image_prompt = property(lambda self: self.spec.prompt.image_prompt)
    chat = property(lambda self: self.spec.prompt.chat)
    metrics = property(lambda self: tuple(self.spec.metric_specs()))

    def location(self) -> str:
        return str(self.path or f"task {self.name!r}")

    def metric_specs(self) -> list[MetricSpec]:
        return self.spec.metric_specs()

    def data_source(self) -> str:
        src = self.spec.source
        if self._fallback_used:
            return self._fallback_used
        if src.dataset is not None:
            cfg = f"/{src.config}" if src.config else ""
            return f"hf:{src.dataset}{cfg}:{src.split}"
        return f"file:{src.path}"

    def examples(self) -> list[Example]:
        return self._load_split(self.spec.source.split)

    def load_examples(self, override: Path | None = None, limit: int | None = None,
                      allow_outside: bool = False) -> list[Example]:
        self.allow_outside = allow_outside  # also for the few-shot pool, read with the requests
        return super().load_examples(override, limit, allow_outside)

    def _load_split(self, split: str) -> list[Example]:
        """A split of the source; a split named like a local file is that file (few-shot pools)."""
        src, fields = self.spec.source, self.spec.fields.model_dump()
        if src.path is not None or split.endswith(LOCAL_FILE):
            file = split if split.endswith(LOCAL_FILE) else src.path
            return data.load_file(self._resolve(file),
                                  fields if src.path is not None else data.LOCAL_SCHEMA,
                                  self.allow_outside)
        try:
            examples = self._hub_examples(src.dataset, src.config, split, src.revision)
        except data.SourceUnavailable as err:
            if src.fallback is None:
                raise
            examples = self._fallback_examples(split, err)
        data.check_unique(examples)
        return examples

    def _hub_examples(self, dataset: str, config: str | None, split: str,
                      revision: str | None) -> list[Example]:
        src, fields = self.spec.source, self.spec.fields.model_dump()
        rows = data.load_dataset_rows(dataset, config, split, revision, src.filter, task=self.name)
        origin = f"{dataset}:{split}"
        return [data.row_to_example(row, fields, i, f"{origin}[{i}]") for i, row in rows]

    def _fallback_examples(self, split: str, primary: data.SourceUnavailable) -> list[Example]:
        """The same split from the task's fallback copy, said out loud and recorded as the
        source: a hub conversion branch or repository can disappear."""
        fb = self.spec.source.fallback
        # the fallback's split name stands for the scored split only (few-shot pools keep theirs)
        fb_split = fb.split if fb.split and split == self.spec.source.split else split
        at = f"@{fb.revision}" if fb.revision else ""
        print(f"harness: warning: {primary}\nharness: warning: reading the task's fallback copy "
              f"{fb.dataset}{at}, split {fb_split!r}, instead", file=sys.stderr)
        try:
            examples = self._hub_examples(fb.dataset, fb.config, fb_split, fb.revision)
        except data.SourceUnavailable as err:
            raise data.SourceUnavailable(f"{primary}\nThe fallback failed too: {err}") from None
        cfg = f"/{fb.config}" if fb.config else ""
        self._fallback_used = f"hf:{fb.dataset}{cfg}:{fb_split}{at} (fallback)"
        return examples

    def _resolve(self, relative: str) -> Path:
        """A data file named by the task file: in the task file's folder or below, unless
        --allow-outside-paths (a shared task file must not read /etc/passwd)."""
        base = (self.path.parent if self.path else Path.cwd()).resolve()
        found = (base / relative).resolve()
        if not self.allow_outside and base not in (found, *found.parents):
            raise DataError(f"{self.location()}: data file {relative!r} is outside the task file's "
                            f"folder ({base}); move it there, pass it with --data, or rerun with "
                            f"--allow-outside-paths")
        return found

    def fewshot_prefix(self) -> str:
        cfg = self.spec.prompt.fewshot
        if cfg.k <= 0:
            return ""
        pool = self._load_split(cfg.split)
        if len(pool) < cfg.k:
            raise DataError(f"{self.location()}: few-shot k={cfg.k} but split {cfg.split!r} has "
                            f"{len(pool)} examples")
        # one fixed draw for the whole run: every example sees the same shots, and a rerun too
        shots = random.Random(cfg.seed).sample(list(pool), cfg.k)
        return cfg.separator.join(self.render(cfg.example_template, s, s.references[0])
                                  for s in shots) + cfg.separator


def load_yaml_task(path: Path | str) -> YamlTask:
    """A task file, validated whole; errors name the file and line."""
    path = Path(path)
    return YamlTask(read_task_file(path), path)
