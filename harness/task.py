"""Tasks: where examples come from, how a model is asked, how outputs are cleaned and scored.

Declarative tasks are YAML files (the shipped ones live in ``tasks/``; any file can be
passed by path); tasks that need code subclass ``Task`` and register with
``@tasks.register("name")``.
"""
from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

import yaml

from harness import data
from harness.errors import DataError, UsageError, did_you_mean
from harness.registry import tasks
from harness.types import Example, GenerateConfig, InputKind, Request

FAMILIES = ("translation", "summarization", "captioning")
REQUIRED = ("name", "family", "source", "metrics")
KNOWN_KEYS = set(REQUIRED) | {"version", "description", "fields", "prompt", "generation",
                              "postprocess"}


def _sentences_to_lines(text: str) -> str:
    # rougeLsum scores sentence by sentence; outputs on one line would collapse it to rougeL
    return "\n".join(s for s in re.split(r"(?<=[.!?])\s+", text.strip()) if s)


POSTPROCESS: dict[str, Callable[[str], str]] = {
    "strip": str.strip,
    "first_line": lambda t: t.strip().split("\n", 1)[0] if t.strip() else "",
    "lowercase": str.lower,
    "collapse_whitespace": lambda t: " ".join(t.split()),
    "sentences_to_lines": _sentences_to_lines,
}


@dataclass(frozen=True)
class TaskSpec:
    """A task definition as written in YAML; ``path`` is where it was read from."""

    name: str
    family: str
    source: Mapping[str, Any]
    metrics: tuple[Any, ...]
    version: int = 1
    description: str = ""
    fields: Mapping[str, Any] = field(default_factory=lambda: dict(data.LOCAL_SCHEMA))
    prompt: Mapping[str, Any] = field(default_factory=dict)
    generation: Mapping[str, Any] = field(default_factory=dict)
    postprocess: tuple[str, ...] = ("strip",)
    path: Path | None = None


class Task:
    def __init__(self, spec: TaskSpec):
        self.spec = spec

    name = property(lambda self: self.spec.name)
    version = property(lambda self: self.spec.version)
    family = property(lambda self: self.spec.family)

    def data_source(self) -> str:
        src = self.spec.source
        if "dataset" in src:
            cfg = f"/{src['config']}" if src.get("config") else ""
            return f"hf:{src['dataset']}{cfg}:{src.get('split', 'test')}"
        return f"file:{src['path']}"

    def metric_names(self) -> list[str]:
        return [m if isinstance(m, str) else m["name"] for m in self.spec.metrics]

    # -- examples ---------------------------------------------------------------------------
    def load_examples(self, override: Path | None = None, limit: int | None = None) -> list[Example]:
        """The task's examples in canonical order; ``override`` is a local file in the
        documented schema that replaces the task's source."""
        if override is not None:
            examples = data.load_file(Path(override))
        else:
            examples = self._load_source(self.spec.source.get("split", "test"))
        return examples[:limit] if limit is not None else examples

    def _load_source(self, split: str) -> list[Example]:
        src = self.spec.source
        if "path" in src or split.endswith((".jsonl", ".tsv", ".csv")):
            path = self._resolve(split if split.endswith((".jsonl", ".tsv", ".csv")) else src["path"])
            fields = self.spec.fields if "path" in src else data.LOCAL_SCHEMA
            return data.load_file(path, fields)
        rows = data.load_dataset_rows(src["dataset"], src.get("config"), split,
                                      src.get("revision"), src.get("filter"))
        origin = f"{src['dataset']}:{split}"
        examples = [data.row_to_example(row, self.spec.fields, i, f"{origin}[{i}]")
                    for i, row in rows]
        data.check_unique(examples)
        return examples

    def _resolve(self, relative: str) -> Path:
        base = self.spec.path.parent if self.spec.path else Path.cwd()
        return (base / relative).resolve()

    # -- requests ---------------------------------------------------------------------------
    def generate_config(self, overrides: Mapping[str, Any] = {}, seed: int = 0) -> GenerateConfig:
        return GenerateConfig(seed=seed).updated(self.spec.generation).updated(overrides)

    def requests(self, examples: Sequence[Example], input_kind: InputKind,
                 config: GenerateConfig) -> list[Request]:
        prompt = self.spec.prompt
        chat = str(prompt.get("chat", "auto")).lower() in ("auto", "true")
        shots = self._fewshot(examples) if input_kind == InputKind.PROMPT else ""
        out = []
        for ex in examples:
            if input_kind == InputKind.IMAGE:
                if ex.image is None:
                    raise DataError(f"{ex.origin}: example {ex.id!r} has no 'image' for a vision model")
                text = prompt.get("image_prompt")
            elif input_kind == InputKind.NONE:
                text = None
            elif input_kind == InputKind.SOURCE:
                text = (prompt.get("source_prefix") or "") + (ex.source or "")
            else:
                text = shots + self._render(prompt.get("template", "{source}"), ex)
            out.append(Request(example_id=ex.id, prompt=text, config=config, image=ex.image,
                               chat=chat))
        return out

    def _render(self, template: str, ex: Example, reference: str | None = None) -> str:
        values = {**ex.extra, "source": ex.source or "", "id": ex.id,
                  "reference": reference if reference is not None else ""}
        try:
            return template.format_map(values)
        except KeyError as err:
            raise DataError(f"{self.spec.path or self.name}: prompt template uses {{{err.args[0]}}}, "
                            f"which example {ex.id!r} ({ex.origin}) does not have") from None

    def _fewshot(self, examples: Sequence[Example]) -> str:
        cfg = self.spec.prompt.get("fewshot") or {}
        k = int(cfg.get("k", 0))
        if k <= 0:
            return ""
        pool = self._load_source(cfg.get("split", "validation"))
        if len(pool) < k:
            raise DataError(f"{self.spec.path or self.name}: few-shot k={k} but split "
                            f"{cfg.get('split')!r} has {len(pool)} examples")
        # one fixed draw for the whole run: every example sees the same shots, and a rerun too
        shots = random.Random(int(cfg.get("seed", 1234))).sample(list(pool), k)
        template = cfg.get("example_template", "{source}\n{reference}")
        sep = cfg.get("separator", "\n\n")
        return sep.join(self._render(template, s, s.references[0]) for s in shots) + sep

    def postprocess(self, text: str) -> str:
        for step in self.spec.postprocess:
            text = POSTPROCESS[step](text)
        return text

    def describe(self) -> dict:
        return {"name": self.name, "version": self.version, "family": self.family,
                "source": self.data_source(), "metrics": self.metric_names(),
                "description": self.spec.description}


# -- YAML -----------------------------------------------------------------------------------
def _line_of(text: str, needle: str) -> int:
    for number, line in enumerate(text.splitlines(), 1):
        if needle in line:
            return number
    return 1


def load_yaml_task(path: Path) -> Task:
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as err:
        line = getattr(getattr(err, "problem_mark", None), "line", 0) + 1
        raise UsageError(f"{path}:{line}: invalid YAML: {getattr(err, 'problem', err)}") from None
    if not isinstance(raw, dict):
        raise UsageError(f"{path}:1: a task file is a mapping with keys {', '.join(REQUIRED)}")
    for key in raw:
        if key not in KNOWN_KEYS:
            raise UsageError(f"{path}:{_line_of(text, key + ':')}: unknown key {key!r}"
                             f"{did_you_mean(key, KNOWN_KEYS)}")
    for key in REQUIRED:
        if key not in raw:
            raise UsageError(f"{path}:1: missing required key {key!r}")
    if raw["family"] not in FAMILIES:
        raise UsageError(f"{path}:{_line_of(text, 'family:')}: family {raw['family']!r} is not one "
                         f"of {', '.join(FAMILIES)}")
    src = raw["source"]
    if not isinstance(src, dict) or ("dataset" in src) == ("path" in src):
        raise UsageError(f"{path}:{_line_of(text, 'source:')}: 'source' needs exactly one of "
                         f"'dataset' (a Hugging Face datasets id) or 'path' (a local file)")
    for step in raw.get("postprocess") or []:
        if step not in POSTPROCESS:
            raise UsageError(f"{path}:{_line_of(text, step)}: unknown postprocess step {step!r}"
                             f"{did_you_mean(step, POSTPROCESS)}; steps: {', '.join(POSTPROCESS)}")
    _check_metrics(raw["metrics"], path, text)
    if "generation" in raw:
        try:
            GenerateConfig().updated(raw["generation"] or {})
        except UsageError as err:
            raise UsageError(f"{path}:{_line_of(text, 'generation:')}: {err}") from None
    spec = TaskSpec(
        name=str(raw["name"]), family=raw["family"], source=src,
        metrics=tuple(raw["metrics"]), version=int(raw.get("version", 1)),
        description=raw.get("description", ""),
        fields=raw.get("fields") or dict(data.LOCAL_SCHEMA), prompt=raw.get("prompt") or {},
        generation=raw.get("generation") or {},
        postprocess=tuple(raw.get("postprocess") or ("strip",)), path=path.resolve())
    return Task(spec)


def _check_metrics(specs: Any, path: Path, text: str) -> None:
    from harness.registry import metrics
    if not isinstance(specs, list) or not specs:
        raise UsageError(f"{path}:{_line_of(text, 'metrics:')}: 'metrics' is a non-empty list")
    for spec in specs:
        name = spec if isinstance(spec, str) else (spec or {}).get("name")
        if name not in metrics.names():
            raise UsageError(f"{path}:{_line_of(text, str(name))}: unknown metric {name!r}"
                             f"{did_you_mean(str(name), metrics.names())}")


def shipped_tasks_dir() -> Path:
    """``tasks/`` inside the wheel (harness/_tasks) or beside the package in a checkout."""
    here = Path(__file__).resolve().parent
    return here / "_tasks" if (here / "_tasks").is_dir() else here.parent / "tasks"


def _register_shipped() -> None:
    folder = shipped_tasks_dir()
    for path in sorted(folder.glob("*.yaml")) if folder.is_dir() else []:
        name = path.stem
        tasks.register(name)(_LazyYamlTask(path))


class _LazyYamlTask:
    """Defers parsing (and metric validation) of a shipped YAML until the task is used."""

    def __init__(self, path: Path):
        self.path = path

    def __call__(self) -> Task:
        return load_yaml_task(self.path)


def get_task(name_or_path: str) -> Task:
    """A registered task by name, or a YAML task file by path."""
    if name_or_path.endswith((".yaml", ".yml")) or "/" in name_or_path:
        path = Path(name_or_path)
        if not path.is_file():
            raise UsageError(f"{name_or_path}: no such task file")
        return load_yaml_task(path)
    obj = tasks.get(name_or_path)
    if isinstance(obj, Task):
        return obj
    task = obj()  # a Task subclass, or a lazy YAML loader
    if task.name != name_or_path and isinstance(obj, _LazyYamlTask):
        raise UsageError(f"{obj.path}: task file is named {obj.path.stem!r} but declares "
                         f"name {task.name!r}; make them equal")
    return task


_register_shipped()
