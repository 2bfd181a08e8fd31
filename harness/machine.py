"""This process's share of the machine: the CPUs it may use, and, under torchrun, its rank
and the GPU that goes with it (read from the launcher's environment, so adapters can ask
without joining the ranks' group); and which process on which host owns a file the harness
leaves while it works, and whether that process is gone."""
from __future__ import annotations

import os
import re
import socket
import sys
from dataclasses import dataclass
from typing import Any

from harness.errors import UsageError


def available_cpus() -> int:
    """The CPUs this process may run on (a container or ``taskset`` limit counts, which
    ``os.cpu_count`` ignores); at least 1."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


def seconds_from_env(name: str, default: float) -> float:
    """A duration in seconds set by the environment variable ``name``, else ``default``; a
    value that is not a number ≥ 0 is a usage error naming the variable."""
    value = os.environ.get(name)
    if not value:
        return default
    try:
        seconds = float(value)
    except ValueError:
        seconds = -1.0
    if not seconds >= 0:  # NaN too
        raise UsageError(f"{name}={value!r}: not a number of seconds; give a number ≥ 0, "
                         f"e.g. {name}={default:g}, or unset it for the default ({default:g} s)")
    return seconds


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


def pid_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: it exists
        return True
    return True


_TAG = re.compile(r"\.(\d+)@([A-Za-z0-9._-]+)$")


@dataclass(frozen=True)
class Owner:
    """A process on a host: who holds a lock or writes a temporary file."""

    pid: int
    host: str

    @classmethod
    def me(cls) -> "Owner":
        # the host as a file name may hold it, so a name's tag and a lock's text compare
        return cls(os.getpid(), re.sub(r"[^A-Za-z0-9.-]+", "_", socket.gethostname()))

    @property
    def tag(self) -> str:
        """``.4242@node7``: what a temporary's name ends with, so whoever finds it after a
        crash can tell whose it was without opening it."""
        return f".{self.pid}@{self.host}"

    @classmethod
    def of_name(cls, name: str) -> "Owner | None":
        """The owner a name's tag names; None for a name without one (an older harness's)."""
        found = _TAG.search(name)
        return cls(int(found.group(1)), found.group(2)) if found else None

    def gone(self, quiet_s: float, stale_s: float) -> bool:
        """Provably gone: on this host, its pid no longer exists; on another, its file has
        not been touched for ``stale_s`` (``quiet_s`` ago). A pid reused on this host keeps
        the file until ``stale_s`` passes too, so callers also apply their age rule."""
        if self.host == Owner.me().host:
            return not pid_exists(self.pid)
        return quiet_s > stale_s
