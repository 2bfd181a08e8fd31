"""This process's share of the machine: the CPUs it may use, and, under torchrun, its rank
and the GPU that goes with it (read from the launcher's environment, so adapters can ask
without joining the ranks' group)."""
from __future__ import annotations

import os
import sys
from typing import Any


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


def rank() -> int:
    return int(os.environ.get("RANK", "0"))


def world_size() -> int:
    return int(os.environ.get("WORLD_SIZE", "1"))


def local_ranks() -> tuple[int, int]:
    """(this rank on its node, ranks on the node), as torchrun sets them; (0, 1) without it."""
    return int(os.environ.get("LOCAL_RANK", "0")), int(os.environ.get("LOCAL_WORLD_SIZE", "1"))


def cuda_device(torch: Any) -> str:
    """The GPU of this rank: ``cuda:LOCAL_RANK`` (modulo the GPUs this process sees, for
    launchers that give each rank one ``CUDA_VISIBLE_DEVICES``)."""
    if "LOCAL_RANK" not in os.environ:
        return "cuda"
    return f"cuda:{local_ranks()[0] % max(torch.cuda.device_count(), 1)}"
