"""Fault injection, so the engine's recovery paths can be exercised on any machine.

Faults come from the environment (for subprocesses and manual checks) or from ``inject()``
(for tests in the same process); ``inject`` wins. The engine consults ``check_batch``
right before each batch reaches the model and ``after_commit`` once a batch is stored.

    HARNESS_FAULT_OOM_ABOVE_ROWS=4   a batch of more than 4 rows (beams count) runs out of memory
    HARNESS_FAULT_BATCH_DELAY_S=0.5  sleep after every committed batch (to kill a run mid-way)
"""
from __future__ import annotations

import os
import time
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Iterator


@dataclass(frozen=True)
class Faults:
    oom_above_rows: int | None = None
    batch_delay_s: float = 0.0


_injected: Faults | None = None


def active() -> Faults:
    if _injected is not None:
        return _injected
    rows = os.environ.get("HARNESS_FAULT_OOM_ABOVE_ROWS")
    delay = os.environ.get("HARNESS_FAULT_BATCH_DELAY_S")
    return Faults(oom_above_rows=int(rows) if rows else None,
                  batch_delay_s=float(delay) if delay else 0.0)


@contextmanager
def inject(**faults) -> Iterator[Faults]:
    """``with inject(oom_above_rows=4): ...`` — faults active inside the block only."""
    global _injected
    previous = _injected
    _injected = replace(Faults(), **faults)
    try:
        yield _injected
    finally:
        _injected = previous


def check_batch(rows: int) -> None:
    """Raise the out-of-memory error CUDA would raise, when a fault asks for it."""
    limit = active().oom_above_rows
    if limit is not None and rows > limit:
        import torch
        raise torch.cuda.OutOfMemoryError(
            f"CUDA out of memory (injected fault: batch of {rows} rows > {limit})")


def after_commit() -> None:
    delay = active().batch_delay_s
    if delay:
        time.sleep(delay)
