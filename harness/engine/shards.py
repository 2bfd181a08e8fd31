"""Which part of a run's requests each of N workers generates: ranks of one ``torchrun`` job or
shards of a job array.

Every worker computes the same assignment from the requests alone, with no coordination:
identical requests (one content key) go to one worker, and the work is balanced by length
(a long article costs more than a short sentence), longest first onto the least loaded
worker. Ties are broken by key, so the assignment depends on the requests and N only, never
on their order, the host or the time.
"""
from __future__ import annotations

import heapq
from typing import Sequence

from harness.types import Request

IMAGE_COST = 256  # characters an image counts as: about what a prompt of a caption task costs


def cost(request: Request) -> int:
    """The work a request is expected to take, in prompt characters (plus a fixed image cost)."""
    return len(request.prompt or "") + (IMAGE_COST if request.image is not None else 0) + 1


def assign(requests: Sequence[Request], n: int) -> list[int]:
    """The worker (``0..n-1``) of each request, in the requests' order."""
    if n < 1:
        raise ValueError(f"the number of workers must be at least 1, not {n}")
    keys = [r.key() for r in requests]
    costs: dict[str, int] = {}
    for key, request in zip(keys, requests):
        costs.setdefault(key, cost(request))
    load = [(0, worker) for worker in range(n)]  # a heap of (assigned cost, worker)
    worker_of: dict[str, int] = {}
    for key in sorted(costs, key=lambda k: (-costs[k], k)):
        total, worker = heapq.heappop(load)
        worker_of[key] = worker
        heapq.heappush(load, (total + costs[key], worker))
    return [worker_of[key] for key in keys]


def positions(requests: Sequence[Request], worker: int, n: int) -> list[int]:
    """The positions in ``requests`` that ``worker`` of ``n`` generates, in order."""
    if not 0 <= worker < n:
        raise ValueError(f"worker {worker} is not one of 0..{n - 1}")
    return [i for i, w in enumerate(assign(requests, n)) if w == worker]
