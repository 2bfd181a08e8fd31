"""How many CPUs this process may use."""
from __future__ import annotations

import os


def available_cpus() -> int:
    """The CPUs this process may run on (a container or ``taskset`` limit counts, which
    ``os.cpu_count`` ignores); at least 1."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)
