"""How many CPUs this process may use."""
from __future__ import annotations

import os
import sys


def available_cpus() -> int:
    """The CPUs this process may run on (a container or ``taskset`` limit counts, which
    ``os.cpu_count`` ignores); at least 1."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


# What OpenMP reads to decide how its threads wait; a user's own setting is left alone.
WAIT_VARIABLES = ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT", "KMP_BLOCKTIME")


def wait_passively() -> None:
    """Have torch's OpenMP threads sleep, not spin, while they wait for work. Spinning threads
    fight any other process for the cores, and CPU generation then runs several times slower
    (figures: ``models/hf/common.py: default_threads``). libgomp reads the policy once, when
    torch loads, so this runs on ``import harness``, before any torch import; a process that
    imported torch first keeps the policy it started with."""
    if "torch" in sys.modules or any(v in os.environ for v in WAIT_VARIABLES):
        return
    os.environ["OMP_WAIT_POLICY"] = "PASSIVE"
