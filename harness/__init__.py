"""harness: evaluate text generation models on translation, summarization and captioning."""
from __future__ import annotations

import importlib

__version__ = "0.1.0"
__all__ = ["evaluate", "RunOptions", "Task", "get_task", "models", "metrics", "tasks",
           "Example", "Request", "Generation", "GenerateConfig", "MetricResult", "RunRecord",
           "load_runs", "Signature", "__version__"]

from harness.machine import wait_passively

wait_passively()  # before anything imports torch: OpenMP reads it once, at load

from harness.registry import metrics, models, tasks  # noqa: E402
from harness.types import Example, GenerateConfig, Generation, MetricResult, Request  # noqa: E402


# where each public name lives: imported on first use, as the run layer pulls in yaml, the task
# registry and the metrics, and `import harness` should stay quick
_HOMES = {"evaluate": "harness.run.runner", "RunOptions": "harness.run.options",
          "Task": "harness.task", "get_task": "harness.task",
          "load_runs": "harness.record.store", "RunRecord": "harness.record",
          "Signature": "harness.signature"}


def __getattr__(name: str):
    if name not in _HOMES:
        raise AttributeError(f"module 'harness' has no attribute {name!r}")
    return getattr(importlib.import_module(_HOMES[name]), name)
