"""Data parallel over the ranks of ``torchrun`` or ``accelerate launch``.

    torchrun --nproc-per-node 4 -m harness run --model hf-causal:gpt2 --tasks wmt14-en-de

Each rank loads the model on its own device, generates its share of every task's requests
(``engine.shards.assign``: balanced by length, the same on every rank), and sends its
generations to rank 0, which puts them back in order, scores once and writes one record.
The generation cache is keyed by content, so a run killed with any number of ranks resumes
with any other number.

Every rank leaves ``Group.together`` through exactly one more exchange than it has made,
carrying its generations or its error, so a rank that fails never leaves the others waiting:
all of them stop at that exchange and rank 0 names the rank and its error. A failing rank
also posts its error in the launcher's store, where rank 0 looks every second: rank 0 then
prints it and exits at once, and the launcher stops the other ranks, so nobody finishes a
long task for nothing. Ranks wait for each other at most ``HARNESS_DIST_TIMEOUT_S`` (a rank
done early waits for the slowest one, which may take hours on a long task).
"""
from __future__ import annotations

import atexit
import os
import socket
import sys
import threading
import time
import traceback
from contextlib import contextmanager
from dataclasses import dataclass, fields, replace
from datetime import timedelta
from typing import Any, Iterator, Sequence

from harness.engine import Accounting, EngineSettings
from harness.engine import generate as generate_here
from harness.engine.shards import assign
from harness.errors import HarnessError, UsageError
from harness.machine import cuda_device, rank, world_size
from harness.models.base import Model
from harness.types import Generation, Request

TIMEOUT_ENV = "HARNESS_DIST_TIMEOUT_S"
DEFAULT_TIMEOUT_S = 6 * 3600.0
WATCH_EVERY_S = 1.0
# + rank: where a failing rank posts its error; torchrun keeps its store across restarts
FAILED_KEY = f"harness/{os.environ.get('TORCHELASTIC_RESTART_COUNT', '0')}/failed/"


class RankFailed(HarnessError):
    """A rank's error, raised on every rank; ``shown`` when rank 0 prints it for all of them."""

    def __init__(self, message: str, shown: bool = False):
        super().__init__(message)
        self.shown = shown


def timeout_s() -> float:
    text = os.environ.get(TIMEOUT_ENV, "")
    try:
        value = float(text) if text else DEFAULT_TIMEOUT_S
    except ValueError:
        value = -1.0
    if value <= 0:
        raise UsageError(f"{TIMEOUT_ENV}={text!r}: give the seconds ranks may wait for each "
                         f"other, a positive number (default {DEFAULT_TIMEOUT_S:.0f})")
    return value


@dataclass(frozen=True)
class _Item:
    """What a rank sends at an exchange: its payload, or why it stopped."""

    payload: Any = None
    error: str | None = None
    where: str = ""


class Group:
    """The ranks of this job; a single process is a group of one that exchanges nothing."""

    def __init__(self, rank_: int, size: int):
        self.rank, self.size = rank_, size
        self.host = socket.gethostname()
        self._lock = threading.Lock()
        self._reported = False  # rank 0 reports one failure: its watcher's or its own

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @contextmanager
    def together(self) -> Iterator[Group]:
        """Run the body on every rank; whatever happens, leave through one exchange more."""
        global _current
        previous, _current = _current, self
        stop = threading.Event()
        if self.size > 1 and self.is_main:
            threading.Thread(target=self._watch, args=(stop,), daemon=True).start()
        try:
            yield self
        except RankFailed:
            raise  # seen at an exchange: every rank knows already
        except BaseException as err:
            if self.size > 1:
                self._leave(err)
            raise
        else:
            if self.size > 1:
                self.exchange(None)
        finally:
            stop.set()
            _current = previous

    def _watch(self, stop: threading.Event) -> None:
        """Rank 0: stop the run as soon as another rank posts its error, instead of when
        rank 0 reaches the next exchange (the end of its share of the task)."""
        keys = [f"{FAILED_KEY}{r}" for r in range(1, self.size)]
        while not stop.wait(WATCH_EVERY_S):
            try:
                store = _store()
                posted = [(int(k[len(FAILED_KEY):]), store.get(k)) for k in keys if store.check([k])]
            except Exception:  # the store went away: the exchanges will say what happened
                return
            if posted and self._report():
                failures = [(r, _Item(error=text.decode().partition("\t")[2],
                                      where=text.decode().partition("\t")[0]))
                            for r, text in posted]
                print(f"harness: error: {self._describe(failures)}", file=sys.stderr, flush=True)
                os._exit(2)  # the launcher stops the other ranks; finished batches are cached

    def _report(self) -> bool:
        with self._lock:
            reported, self._reported = self._reported, True
        return not reported

    def _report_or_wait(self) -> None:
        if not self._report():
            threading.Event().wait()  # the watcher is printing the error and ending the process

    def exchange(self, payload: Any) -> list[Any] | None:
        """Every rank's payload, in rank order, on rank 0 (None on the others); raises
        ``RankFailed`` on every rank when any rank sent an error instead."""
        gathered, failures = self._exchange(_Item(payload=payload, where=self._where()))
        if failures:
            self._report_or_wait()
            raise RankFailed(self._describe(failures), shown=not self.is_main)
        return [item.payload for item in gathered] if self.is_main else None

    def _leave(self, err: BaseException) -> None:
        text = str(err) if isinstance(err, HarnessError) else \
            "".join(traceback.format_exception_only(type(err), err)).strip()
        text = text or type(err).__name__
        expected = isinstance(err, (HarnessError, KeyboardInterrupt))
        if self.is_main:
            self._report_or_wait()
        else:
            if not expected:  # the traceback is shown where it happened; rank 0 names the rank
                print(f"harness: rank {self.rank} of {self.size} ({self._where()}) failed:",
                      file=sys.stderr)
                traceback.print_exception(err, file=sys.stderr)
            try:
                _store().set(f"{FAILED_KEY}{self.rank}", f"{self._where()}\t{text}")
            except Exception:
                pass  # the exchange below carries the error too
        try:
            _, failures = self._exchange(_Item(error=text, where=self._where()))
        except RankFailed:
            if self.is_main or expected:
                return  # the group is gone; this rank's own error is what it can still show
            failures = []
        others = [(r, item) for r, item in failures if r != self.rank and item.error != text]
        if self.is_main and others:  # rank 0 raises its own error; the others' differ from it
            print(f"harness: also: {self._describe(others)}", file=sys.stderr)
        if not self.is_main:  # rank 0 prints it, naming this rank
            raise RankFailed(text, shown=True) from err

    def _exchange(self, item: _Item) -> tuple[list[_Item], list[tuple[int, _Item]]]:
        import torch.distributed as dist
        gathered = [None] * self.size if self.is_main else None
        try:
            dist.gather_object(item, gathered, dst=0)
            verdict = [[(r, g) for r, g in enumerate(gathered) if g.error is not None]
                       if self.is_main else None]
            dist.broadcast_object_list(verdict, src=0)
        except Exception as err:  # a rank died or stopped answering within the timeout
            raise RankFailed(f"rank {self.rank} of {self.size} ({self.host}) lost the other "
                             f"ranks: {err}; a rank that died is named by the launcher above. "
                             f"A rank may wait {timeout_s():.0f} s for the others; raise "
                             f"{TIMEOUT_ENV} when a long task needs more") from err
        return gathered or [], verdict[0]

    def _where(self) -> str:
        return f"{self.host}, pid {os.getpid()}"

    def _describe(self, failures: Sequence[tuple[int, _Item]]) -> str:
        return "; ".join(f"rank {r} of {self.size} ({item.where}) failed: {item.error}"
                         for r, item in failures)


def _store():
    from torch.distributed.distributed_c10d import _get_default_store
    return _get_default_store()


_current: Group | None = None
_SINGLE = Group(0, 1)


def join() -> Group:
    """This process's group: joins torchrun's process group on first use (gloo on CPU, NCCL
    for tensors on GPUs; the exchanges here always go through gloo, as pickled objects)."""
    size = world_size()
    if size <= 1:
        return _SINGLE
    import torch
    import torch.distributed as dist
    if not dist.is_initialized():
        if torch.cuda.is_available():
            torch.cuda.set_device(cuda_device(torch))
        backend = "cpu:gloo,cuda:nccl" if torch.cuda.is_available() else "gloo"
        try:
            dist.init_process_group(backend, timeout=timedelta(seconds=timeout_s()))
        except Exception as err:
            raise HarnessError(
                f"rank {rank()} of {size}: could not join the other ranks at "
                f"{os.environ.get('MASTER_ADDR')}:{os.environ.get('MASTER_PORT')}: {err}; start "
                f"every rank with torchrun (or accelerate launch) and the same rendezvous") from err
        atexit.register(dist.destroy_process_group)
    return Group(dist.get_rank(), dist.get_world_size())


def generate(model: Model, requests: Sequence[Request], settings: EngineSettings,
             desc: str = "") -> tuple[list[Generation], Accounting]:
    """``engine.generate`` over this group's ranks: each generates its share; rank 0 gets
    every generation in the requests' order and the accounting of all; other ranks get their
    own accounting and no generations."""
    group = _current or _SINGLE
    if group.size == 1:
        return generate_here(model, requests, settings, desc)
    started = time.perf_counter()
    owner = assign(requests, group.size)
    mine = [requests[i] for i, w in enumerate(owner) if w == group.rank]
    settings = replace(settings, progress=settings.progress and group.is_main)
    generations, accounting = generate_here(model, mine, settings,
                                            f"{desc} [rank 0 of {group.size}]")
    parts = group.exchange((generations, accounting))
    if parts is None:
        return [], replace(accounting, world_size=group.size)
    ordered: list[Any] = [None] * len(requests)
    for r, (made, _) in enumerate(parts):
        for position, generation in zip((i for i, w in enumerate(owner) if w == r), made):
            ordered[position] = generation
    return ordered, merge([acc for _, acc in parts], time.perf_counter() - started)


def merge(parts: Sequence[Accounting], wall_s: float) -> Accounting:
    """One accounting for the ranks of one task: counts add up; generation time is rank 0's
    wall clock less the slowest lazy load (waiting for the slowest rank included), so rates
    are the whole group's; model time is the mean per rank; peak memory the largest rank's."""
    first = parts[0]
    total = {f.name: sum(getattr(p, f.name) for p in parts) for f in fields(first)
             if f.name.startswith("n_") or f.name in ("retries", "generated_tokens")}
    load_s = max(p.load_s for p in parts)
    generate_s = max(wall_s - load_s, *(p.generate_s for p in parts))
    model_times = [p.model_s for p in parts if p.model_s is not None]
    model_s = sum(model_times) / len(parts) if model_times else None
    generated = [p for p in parts if p.n_generated and p.padding_efficiency is not None]
    padding = (sum(p.padding_efficiency * p.generated_tokens for p in generated)
               / max(sum(p.generated_tokens for p in generated), 1)) if generated else \
        first.padding_efficiency
    return replace(first, **total, load_s=load_s, generate_s=generate_s, model_s=model_s,
                   overhead_s=max(generate_s - model_s, 0.0) if model_s is not None else None,
                   peak_memory_bytes=max(p.peak_memory_bytes for p in parts),
                   padding_efficiency=padding, batches=_batches([p.batches for p in parts]),
                   world_size=len(parts))


def _batches(summaries: Sequence[Any]):
    made = [s for s in summaries if s is not None and s.count]
    if not made:
        return summaries[0]
    count = sum(s.count for s in made)
    return replace(made[0], count=count,
                   mean_rows=sum(s.mean_rows * s.count for s in made) / count,
                   max_rows=max(s.max_rows for s in made),
                   oom_retries=sum(s.oom_retries for s in made))
