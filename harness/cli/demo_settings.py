"""What the demo does that changes a number, in one place: it prints these first, and the
commands in README.md and docs/reports.md that give its numbers use the same
(``tests/test_demo.py`` parses them and checks).

The demo adds nothing of its own to a run: no ``--gen-kwargs``, no ``--metrics``, the default
seed and bootstrap, so a plain ``harness run`` or ``harness sweep`` on its models gives its
numbers (an earlier demo capped generation at 32 new tokens, and its BLEU then differed from
the sweep command's).
"""
from __future__ import annotations

import json
import shlex
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Mapping

from harness.run.options import RunOptions
from harness.task import get_task
from harness.types import GenerateConfig

DEMO_TASKS = ("demo-translation", "demo-summarization", "demo-captioning")
SWEPT_TASKS = ("demo-translation",)  # the encoder-decoder's checkpoints, step by step
SEQ2SEQ_RUN = "tiny-seq2seq"  # its training run's folder under <output>/models/
# what each built model is evaluated on: the encoder-decoder is the run's last checkpoint
EVALUATED = {"causal": ("demo-translation", "demo-summarization"),
             "seq2seq": ("demo-translation", "demo-summarization"),
             "vision": ("demo-captioning",)}
BASELINES = {"copy-source": ("demo-translation",), "lead-3": ("demo-summarization",)}


@dataclass(frozen=True)
class DemoSettings:
    """Every setting of the demo that changes a number."""

    train_steps: int = 300  # tiny-causal and tiny-vision2seq
    # the tiny encoder-decoder's training run, saved at these steps; the last is the model
    # the demo's tables show, the others draw the sweep's curve
    checkpoints: tuple[int, ...] = (60, 120, 180, 240, 300)
    model_seed: int = 0  # initial weights and training order of every tiny model
    limit: int | None = None  # examples per task (None: all)
    seed: int = 12345  # harness run's default: sampling and the bootstrap
    n_bootstrap: int = 1000  # harness run's default
    gen_kwargs: Mapping[str, Any] = field(default_factory=dict)  # none: each task's own
    metrics: tuple[str, ...] = ()  # none: each task's own

    @classmethod
    def of(cls, quick: bool) -> "DemoSettings":
        """The demo's settings; ``quick``: 20 examples a task, untrained models beside a
        40-step encoder-decoder (numbers near the floor, the pipeline the same)."""
        return cls(train_steps=0, checkpoints=(10, 20, 30, 40), limit=20) if quick else cls()

    def run_options(self, output: Path) -> RunOptions:
        return RunOptions(limit=self.limit, seed=self.seed, output=output, metrics=self.metrics,
                          gen_kwargs=dict(self.gen_kwargs), n_bootstrap=self.n_bootstrap)

    def options_text(self) -> list[str]:
        """The command-line options that give these settings (none for the defaults)."""
        out = []
        if self.limit is not None:
            out += ["--limit", str(self.limit)]
        if self.gen_kwargs:
            out += ["--gen-kwargs", ",".join(f"{k}={v}" for k, v in self.gen_kwargs.items())]
        if self.metrics:
            out += ["--metrics", ",".join(self.metrics)]
        if self.seed != 12345:
            out += ["--seed", str(self.seed)]
        if self.n_bootstrap != 1000:
            out += ["--bootstrap", str(self.n_bootstrap)]
        return out

    def commands(self, models: str) -> list[str]:
        """``harness run`` and ``harness sweep`` commands that give the demo's numbers for
        its encoder-decoder, with its models under the folder ``models``."""
        run = f"{models}/{SEQ2SEQ_RUN}"
        last = f"{run}/checkpoint-{self.checkpoints[-1]}"
        return [shlex.join(["harness", "run", "--model", f"hf-seq2seq:{last}", "--tasks",
                            ",".join(EVALUATED["seq2seq"]), *self.options_text()]),
                shlex.join(["harness", "sweep", run, "--model-type", "hf-seq2seq", "--tasks",
                            ",".join(SWEPT_TASKS), *self.options_text()])]

    def describe(self, models: str) -> list[str]:
        """The lines the demo starts with."""
        steps = ", ".join(map(str, self.checkpoints))
        limit = "all of each task" if self.limit is None else f"the first {self.limit} of each task"
        given = " ".join(self.options_text()) or "none, harness run's defaults"
        rows = [(t, _generation(t, self.gen_kwargs), ", ".join(self.metrics or _metric_names(t)))
                for t in DEMO_TASKS]
        widths = [max(len(r[i]) for r in rows) for i in range(2)]
        return [
            "demo settings (every number below depends on them):",
            f"  models: built here with seed {self.model_seed}; tiny-causal and tiny-vision2seq "
            f"trained {self.train_steps} steps;",
            f"    tiny-seq2seq trained once, saved at steps {steps} (the last is the tables' one)",
            f"  examples: {limit}; seed {self.seed} (sampling, bootstrap); {self.n_bootstrap} "
            f"bootstrap resamples (95% CIs)",
            f"  command-line options: {given}; generation, metrics and post-processing are each task's:",
            *(f"    {t:<{widths[0]}}  {g:<{widths[1]}}  {m}" for t, g, m in rows),
            "  the same numbers for tiny-seq2seq, by hand:",
            *(f"    {c}" for c in self.commands(models)),
        ]


def _generation(task: str, gen_kwargs: Mapping[str, Any]) -> str:
    """The settings that decide a task's outputs, as the run records them."""
    config = get_task(task).generate_config().updated(gen_kwargs)
    default = GenerateConfig()
    shown = [f for f in fields(config) if f.name in ("max_new_tokens", "num_beams")
             or getattr(config, f.name) != getattr(default, f.name)]
    return ", ".join(f"{f.name}={_value(getattr(config, f.name))}" for f in shown)


def _value(value: Any) -> str:
    return json.dumps(list(value)) if isinstance(value, tuple) else str(value)


def _metric_names(task: str) -> list[str]:
    return [m if isinstance(m, str) else m["name"] for m in get_task(task).metrics]
