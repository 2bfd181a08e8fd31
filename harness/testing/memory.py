"""The memory of a process and of every process it started, as a job limit counts it.

A Slurm ``--mem`` or a Kubernetes limit holds a whole process tree: the run, its scoring
workers, a vLLM engine. ``ru_maxrss`` sees one process (or the largest child), so the bench
scripts sample ``/proc/<pid>/smaps_rollup`` of the process and all its descendants instead:

    with TreeMemory(process.pid) as memory:
        process.wait()
    memory.peak.pss, memory.peak.rss, memory.peak.main_rss   # bytes

RSS counts the pages processes share (libraries, pages a forked worker has not written yet)
once per process, so a tree's RSS overstates it; PSS splits each shared page between its
sharers, so it sums to what the tree holds, which is what a cgroup limit (Slurm's, a
container's) charges. A peak shorter than the sampling period can be missed. Linux only.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path


def descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (children, their children, ...), from /proc: each
    thread's ``children`` file where the kernel has them, else a scan of every process."""
    if not Path(f"/proc/{pid}/task/{pid}/children").exists():
        return _scanned_descendants(pid)
    out, todo = [], [pid]
    while todo:
        below = []
        for children in Path(f"/proc/{todo.pop()}/task").glob("*/children"):
            try:
                below += [int(child) for child in children.read_text().split()]
            except OSError:
                continue  # gone meanwhile
        out += below
        todo += below
    return out


def _scanned_descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue  # gone meanwhile
            # the command name may hold spaces and parentheses: the fields start after the last ")"
            parent = int(stat[stat.rindex(")") + 2:].split()[1])
            children.setdefault(parent, []).append(int(entry.name))
    out, todo = [], [pid]
    while todo:
        below = children.get(todo.pop(), [])
        out += below
        todo += below
    return out


def rss_pss(pid: int) -> tuple[int, int]:
    """(RSS, PSS) of one process in bytes; (0, 0) once it is gone."""
    rss = pss = 0
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Rss:"):
                rss = int(line.split()[1]) * 1024
            elif line.startswith("Pss:"):
                pss = int(line.split()[1]) * 1024
    except (OSError, ValueError):
        return 0, 0
    return rss, pss


@dataclass
class Usage:
    """One moment's figures in bytes, or each figure's peak over a run (not one moment's)."""

    rss: int = 0  # the tree's RSS, summed
    pss: int = 0  # the tree's PSS, summed
    main_rss: int = 0  # the process itself
    worker_rss: int = 0  # its largest descendant

    def peaks(self, other: "Usage") -> "Usage":
        return Usage(*(max(a, b) for a, b in zip(vars(self).values(), vars(other).values())))

    def mb(self) -> dict[str, float]:
        return {name: value / 2**20 for name, value in vars(self).items()}


def tree_memory(pid: int, children: bool = True) -> Usage:
    """``pid`` and, unless ``children`` is false, all its descendants now."""
    main_rss, main_pss = rss_pss(pid)
    usage = Usage(main_rss, main_pss, main_rss, 0)
    for child in descendants(pid) if children else ():
        rss, pss = rss_pss(child)
        usage.rss, usage.pss = usage.rss + rss, usage.pss + pss
        usage.worker_rss = max(usage.worker_rss, rss)
    return usage


class TreeMemory:
    """``peak``: the peak of each ``tree_memory`` figure of ``pid``, sampled every ``every_s``
    seconds while in use. A peak shorter than that can be missed: a large run's peaks (its
    records, its statistics) last seconds, a small run's bootstrap blocks do not."""

    def __init__(self, pid: int, every_s: float = 0.25, children: bool = True):
        self.pid, self.every_s, self.children = pid, every_s, children
        self.peak = Usage()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while True:
            self.peak = self.peak.peaks(tree_memory(self.pid, self.children))
            if self._stop.wait(self.every_s):
                return

    def __enter__(self) -> "TreeMemory":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
