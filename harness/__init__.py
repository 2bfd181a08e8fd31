"""harness: evaluate text generation models on translation, summarization and captioning."""
from __future__ import annotations

__version__ = "0.1.0"
__all__ = ["evaluate", "RunOptions", "Task", "get_task", "models", "metrics", "tasks",
           "Example", "Request", "Generation", "GenerateConfig", "MetricResult", "RunRecord",
           "load_runs", "Signature", "__version__"]

from harness.machine import wait_passively

wait_passively()  # before anything imports torch: OpenMP reads it once, at load

from harness.registry import metrics, models, tasks  # noqa: E402
from harness.types import Example, GenerateConfig, Generation, MetricResult, Request  # noqa: E402


def __getattr__(name: str):
    # the run layer pulls in yaml, the task registry and the metrics; load it on first use
    if name in ("evaluate", "RunOptions"):
        from harness import run as module
        return getattr(module, name)
    if name in ("Task", "get_task"):
        from harness import task as module
        return getattr(module, name)
    if name == "load_runs":
        from harness.record.store import load_runs
        return load_runs
    if name == "RunRecord":
        from harness.record import RunRecord
        return RunRecord
    if name == "Signature":
        from harness.signature import Signature
        return Signature
    raise AttributeError(name)
