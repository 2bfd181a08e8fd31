"""Fault injection, so the engine's recovery paths can be exercised on any machine.

Faults come from the environment (for subprocesses and manual checks) or from ``inject()``
(for tests in the same process); ``inject`` wins. The engine consults ``check_batch``
right before each batch reaches the model and ``after_commit`` once a batch is stored.

    HARNESS_FAULT_OOM_ABOVE_ROWS=4   a batch of more than 4 rows (beams count) runs out of memory
    HARNESS_FAULT_OOM_ABOVE_TOKENS=900  a batch costing more than 900 tokens (batching.batch_cost) does
    HARNESS_FAULT_BATCH_DELAY_S=0.5  sleep after every committed batch (to kill a run mid-way)
    HARNESS_FAULT_HOLD_AFTER_ROWS=4  once this process has committed 4 generations, it stops
                                     there (for HOLD_S) to be killed: mid-run at a known point,
                                     however slow a loaded machine makes each batch
    HARNESS_FAULT_FAIL_RANK=1        the torchrun rank 1 fails before its first batch
    HARNESS_FAULT_SHARD_MERGE_DELAY_S=2  a shard waits after writing its part before looking for
                                     the others (two shards look at once: what the merge lock is for)
"""
from __future__ import annotations

import os
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Iterator


@dataclass(frozen=True)
class Faults:
    oom_above_rows: int | None = None
    oom_above_tokens: int | None = None  # memory grows with tokens, so this is the realistic one
    batch_delay_s: float = 0.0
    fail_rank: int | None = None
    shard_merge_delay_s: float = 0.0
    hold_after_rows: int | None = None


MERGE_DELAY_ENV = "HARNESS_FAULT_SHARD_MERGE_DELAY_S"
_injected: Faults | None = None
_committed = 0  # generations this process has committed, for hold_after_rows
# a held process waits this long for its kill, so one whose test died does not stay forever
HOLD_S = 600.0


def active() -> Faults:
    if _injected is not None:
        return _injected
    rows = os.environ.get("HARNESS_FAULT_OOM_ABOVE_ROWS")
    tokens = os.environ.get("HARNESS_FAULT_OOM_ABOVE_TOKENS")
    delay = os.environ.get("HARNESS_FAULT_BATCH_DELAY_S")
    fail_rank = os.environ.get("HARNESS_FAULT_FAIL_RANK")
    merge_delay = os.environ.get(MERGE_DELAY_ENV)
    hold = os.environ.get("HARNESS_FAULT_HOLD_AFTER_ROWS")
    return Faults(oom_above_rows=int(rows) if rows else None,
                  oom_above_tokens=int(tokens) if tokens else None,
                  batch_delay_s=float(delay) if delay else 0.0,
                  fail_rank=int(fail_rank) if fail_rank else None,
                  shard_merge_delay_s=float(merge_delay) if merge_delay else 0.0,
                  hold_after_rows=int(hold) if hold else None)


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


class InjectedOutOfMemory(MemoryError):
    """What a fault raises in place of an accelerator's out-of-memory error; adapters
    classify every MemoryError as one (``Model.classify_error``)."""


class InjectedFailure(RuntimeError):
    """A crash of one rank, as a bug or a broken device would cause."""


def check_batch(rows: int, tokens: int) -> None:
    """Raise an out-of-memory error or a crash before a batch runs, when a fault asks for it."""
    fault = active()
    if fault.fail_rank is not None and fault.fail_rank == int(os.environ.get("RANK", "0")):
        raise InjectedFailure(f"injected fault: rank {fault.fail_rank} fails")
    too_many_rows = fault.oom_above_rows is not None and rows > fault.oom_above_rows
    too_many_tokens = fault.oom_above_tokens is not None and tokens > fault.oom_above_tokens
    if too_many_rows or too_many_tokens:
        raise InjectedOutOfMemory(f"out of memory (injected fault: batch of {rows} rows, "
                                  f"{tokens} tokens)")


def after_commit(rows: int) -> None:
    """Called with the number of generations a batch just stored."""
    global _committed
    fault = active()
    _committed += rows
    if fault.batch_delay_s:
        time.sleep(fault.batch_delay_s)
    if fault.hold_after_rows is not None and _committed >= fault.hold_after_rows:
        print(f"harness: fault: holding after {_committed} generations", file=sys.stderr, flush=True)
        time.sleep(HOLD_S)


MERGE_HOLD_ENV = "HARNESS_FAULT_MERGE_HOLD_AT"


def merge_step(step: str) -> None:
    """Called at each step of a merge; holds there when a fault names the step, after saying
    so on stderr (the test that kills the process waits for that line)."""
    if os.environ.get(MERGE_HOLD_ENV) == step:
        print(f"harness: fault: merge holding at {step!r}", file=sys.stderr, flush=True)
        time.sleep(HOLD_S)


def before_shard_merge() -> None:
    delay = active().shard_merge_delay_s
    if delay:
        time.sleep(delay)
