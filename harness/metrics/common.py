"""Small helpers shared by the metric families: corpus checks, worker processes, reference
layout, and the pieces every signature names."""
from __future__ import annotations

import gc
from contextlib import contextmanager
from functools import lru_cache
from importlib.metadata import PackageNotFoundError, version
from typing import Any, Callable, Iterator, Sequence

import numpy as np

from harness.errors import DataError
from harness.metrics.base import Metric
from harness.metrics.bootstrap import resample_totals


def check_corpus(corpus) -> None:
    """Raise DataError naming the first example whose prediction or references are unusable."""
    if len(corpus.references) != len(corpus.predictions):
        raise DataError(f"{len(corpus.predictions)} predictions but {len(corpus.references)} "
                        f"reference lists; every example needs both")
    if corpus.sources is not None and len(corpus.sources) != len(corpus.predictions):
        raise DataError(f"{len(corpus.predictions)} predictions but {len(corpus.sources)} sources; "
                        f"give one source per example, or none")
    if all(type(p) is str for p in corpus.predictions) and all(map(_usable_refs, corpus.references)):
        return  # the common case, checked without building messages
    for i, (pred, refs) in enumerate(zip(corpus.predictions, corpus.references)):
        where = f"example {corpus.ids[i]!r}" if i < len(corpus.ids) else f"example #{i}"
        if not isinstance(pred, str):
            raise DataError(f"{where}: prediction is {type(pred).__name__}, not text")
        if isinstance(refs, str) or not isinstance(refs, Sequence):
            raise DataError(f"{where}: references must be a list of strings, got {type(refs).__name__}")
        present = [r for r in refs if r is not None]
        if not present:
            raise DataError(f"{where}: has no references; drop it or add at least one")
        if any(not isinstance(r, str) for r in present):
            raise DataError(f"{where}: a reference is not text")


def _usable_refs(refs) -> bool:
    return (type(refs) in (list, tuple) and len(refs) > 0
            and all(type(r) is str for r in refs))


@contextmanager
def gc_paused():
    """Pause the cyclic garbage collector while building large lists of lists.

    Their allocation would trigger full collections that walk every object the process
    holds (seconds in a long evaluation run); nothing built here forms reference cycles.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def check_lengths(corpus, max_chars: int, metric: str, cost: str) -> None:
    """Raise DataError naming the first example with a text longer than ``max_chars`` (0: any)."""
    if not max_chars:
        return
    longest = max(map(len, corpus.predictions), default=0)
    longest_ref = max((len(r) for refs in corpus.references for r in refs if r is not None), default=0)
    if max(longest, longest_ref) <= max_chars:
        return  # the common case, without building messages
    for i, (pred, refs) in enumerate(zip(corpus.predictions, corpus.references)):
        sizes = [("prediction", len(pred))] + [("reference", len(r)) for r in refs if r is not None]
        which, size = max(sizes, key=lambda s: s[1])
        if size > max_chars:
            where = f"example {corpus.ids[i]!r}" if i < len(corpus.ids) else f"example #{i}"
            raise DataError(f"{where}: {metric}: the {which} has {size:,} characters, over max_chars="
                            f"{max_chars:,}; {cost}. Shorten or drop it, or raise the metric option "
                            f"max_chars (0 = no limit)")


def chunk_bounds(n: int, workers: int, max_size: int | None = None) -> list[tuple[int, int]]:
    """Non-empty [a, b) ranges, at least four per worker so an uneven chunk does not idle the
    others, and at most ``max_size`` long, so a worker's working set stays one chunk's."""
    parts = workers * 4 if workers > 1 else 1
    if max_size is not None:
        parts = max(parts, -(-n // max_size))
    bounds = np.linspace(0, n, parts + 1).astype(int)
    return [(a, b) for a, b in zip(bounds[:-1].tolist(), bounds[1:].tolist()) if b > a]


_FORKED_JOBS: list = []
TASKS_PER_WORKER = 8  # chunks a forked worker scores before a fresh one replaces it


def _run_forked(task: tuple[Callable, int]) -> Any:
    fn, index = task
    return fn(_FORKED_JOBS[index])


def parallel_map(fn: Callable[[Any], Any], jobs: list, workers: int) -> list:
    """``[fn(job) for job in jobs]`` in worker processes, in order."""
    return list(parallel_imap(fn, jobs, workers))


def parallel_imap(fn: Callable[[Any], Any], jobs: list, workers: int) -> Iterator[Any]:
    """``fn(job) for job in jobs`` in worker processes, yielded in order as they finish, so
    the caller can store each result and drop it before the next arrives.

    With fork, workers inherit the jobs and everything the parent imported: only job
    numbers and results cross the pipes (the texts would otherwise be pickled to them).
    ``fn`` must be a module-level function.
    """
    import multiprocessing
    processes = min(workers, len(jobs))
    if "fork" not in multiprocessing.get_all_start_methods():
        with multiprocessing.get_context("spawn").Pool(processes) as pool:
            yield from pool.imap(fn, jobs)
        return
    global _FORKED_JOBS
    _FORKED_JOBS = jobs
    # a worker's garbage collection would write to every object the run holds (a million
    # examples, their requests and outputs) and so copy all their pages: frozen, it skips them
    gc.freeze()
    try:
        # reading a text writes its reference count, so a worker that lived through every
        # chunk would end up with its own copy of every page of text it read (~350 MB a
        # worker for 1M examples); a fresh fork every few chunks gives those pages back
        with multiprocessing.get_context("fork").Pool(processes, maxtasksperchild=TASKS_PER_WORKER) as pool:
            yield from pool.imap(_run_forked, [(fn, i) for i in range(len(jobs))])
    finally:
        _FORKED_JOBS = []
        gc.unfreeze()


def present_refs(refs: Sequence[str | None]) -> list[str]:
    """The references an example actually has (``None`` marks a gap in a multi-reference set)."""
    return [r for r in refs if r is not None]


def ref_streams(references: Sequence[Sequence[str | None]]) -> list[list[str | None]]:
    """Per-example reference lists → sacrebleu's reference streams, ``None`` where missing."""
    width = max((len(r) for r in references), default=0)
    return [[refs[j] if j < len(refs) else None for refs in references] for j in range(width)]


def nrefs(references: Sequence[Sequence[str | None]]) -> str:
    """References per example for a signature: the count, or ``var`` when it varies."""
    counts = {len(present_refs(r)) for r in references}
    return str(counts.pop()) if len(counts) == 1 else "var"


@lru_cache(maxsize=None)
def package_version(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "missing"


class SummableMetric(Metric):
    """A metric whose corpus score is a function of its statistics' column sums and row count.

    BLEU-style counts are summed; mean-of-examples metrics divide the sum by the count.
    ``score_totals`` scores many such sums at once, which makes bootstrap resamples and
    approximate-randomization trials one matrix product each.
    """

    def score_totals(self, totals: np.ndarray, n_rows: int) -> np.ndarray:
        """(r, k) column sums, each over ``n_rows`` examples → (r,) corpus scores."""
        raise NotImplementedError

    def aggregate(self, stats: np.ndarray) -> float:
        return float(self.score_totals(stats.sum(axis=0, keepdims=True), len(stats))[0])

    def aggregate_many(self, stats: np.ndarray, samples: np.ndarray) -> np.ndarray:
        return self.score_totals(resample_totals(stats, samples), samples.shape[1])


class MeanMetric(SummableMetric):
    """Corpus score = 100 × the mean of one per-example statistic (ROUGE F, CIDEr, ...)."""

    scale: float = 100.0

    def n_columns(self) -> int:
        return 1

    def score_totals(self, totals: np.ndarray, n_rows: int) -> np.ndarray:
        return self.scale * totals[:, 0] / max(n_rows, 1)

    def per_example(self, stats: np.ndarray) -> np.ndarray:
        return self.scale * stats[:, 0]
