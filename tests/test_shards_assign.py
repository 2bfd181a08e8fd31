"""The assignment of requests to workers that ranks and job-array shards share."""
from __future__ import annotations

import random

import pytest

from harness.engine.shards import assign, cost, positions
from harness.types import GenerateConfig, Request

CONFIG = GenerateConfig(max_new_tokens=8)


def _requests(n: int, seed: int = 0) -> list[Request]:
    rng = random.Random(seed)
    return [Request(example_id=str(i), prompt="w" * rng.randint(1, 400), config=CONFIG) for i in range(n)]


@pytest.mark.parametrize("workers", [1, 2, 3, 8])
def test_every_request_goes_to_exactly_one_worker_whatever_the_order(workers):
    requests = _requests(200)
    parts = [positions(requests, w, workers) for w in range(workers)]
    assert sorted(p for part in parts for p in part) == list(range(len(requests)))
    shuffled = requests[:]
    random.Random(1).shuffle(shuffled)
    by_id = dict(zip((r.example_id for r in requests), assign(requests, workers)))
    assert all(by_id[r.example_id] == w for r, w in zip(shuffled, assign(shuffled, workers)))


def test_work_is_balanced_by_length_not_by_count():
    # one long article and many short sentences: the article's worker gets few of them
    requests = [Request(example_id="long", prompt="x" * 4000, config=CONFIG)] + [
        Request(example_id=str(i), prompt=f"{i:03d}" + "x" * 47, config=CONFIG) for i in range(100)]
    workers = assign(requests, 2)
    loads = [sum(cost(r) for r, w in zip(requests, workers) if w == k) for k in (0, 1)]
    assert abs(loads[0] - loads[1]) <= max(cost(r) for r in requests[1:])
    assert workers.count(workers[0]) < 25  # by count it would be 50


def test_identical_requests_share_a_worker():
    requests = [Request(example_id=str(i), prompt=f"p{i % 5}", config=CONFIG) for i in range(40)]
    workers = assign(requests, 3)
    for i, r in enumerate(requests):
        assert workers[i] == workers[i % 5]


@pytest.mark.parametrize("n, worker", [(0, 0), (2, 2), (2, -1)])
def test_impossible_worker_counts_are_refused(n, worker):
    with pytest.raises(ValueError):
        positions(_requests(3), worker, n)
