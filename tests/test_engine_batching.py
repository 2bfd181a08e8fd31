"""Batch planning: length order, token budget, fixed counts, out-of-memory shrinking."""
import random

import pytest

from harness.engine.batches import Limits, Planner
from harness.models.batched import Batch, Encoded, batch_cost
from harness.engine import EngineSettings
from harness.errors import HarnessError, UsageError
from harness.types import GenerateConfig, Request


def items(lengths, config=GenerateConfig(max_new_tokens=16)):
    return [(i, Request(example_id=f"ex{i}", prompt=f"p{i}", config=config), Encoded(n, False, None))
            for i, n in enumerate(lengths)]


def drain(planner):
    batches = []
    while (planned := planner.next_batch()) is not None:
        batches.append(planned)
    return batches


def by_config(request):
    return request.config.key()


def test_batches_are_longest_first_and_cover_every_item_once():
    lengths = [random.Random(0).randint(10, 400) for _ in range(200)]
    planner = Planner(items(lengths), by_config, budget=4096, max_rows=256)
    batches = drain(planner)
    seen = [i for indices, _ in batches for i in indices]
    assert sorted(seen) == list(range(200))
    order = [lengths[i] for i in seen]
    assert order == sorted(lengths, reverse=True)


@pytest.mark.parametrize("budget", [500, 2048, 8192])
def test_every_batch_of_several_fits_the_token_budget(budget):
    lengths = [random.Random(1).randint(10, 400) for _ in range(100)]
    config = GenerateConfig(max_new_tokens=32, num_beams=2)
    for indices, batch in drain(Planner(items(lengths, config), by_config, budget, 256)):
        cost = batch_cost(len(indices), max(lengths[i] for i in indices), config)
        assert cost == batch.cost()
        assert len(indices) == 1 or cost <= budget  # beams count: 2 rows per request


def test_fixed_count_without_budget():
    batches = drain(Planner(items([5] * 10), by_config, budget=None, max_rows=4))
    assert [len(ix) for ix, _ in batches] == [4, 4, 2]


def test_requests_with_different_configs_never_share_a_batch():
    short, long = GenerateConfig(max_new_tokens=8), GenerateConfig(max_new_tokens=64)
    mixed = items([10, 20, 30], short) + [(i + 3, r, e) for i, r, e in items([15, 25], long)]
    for _, batch in drain(Planner(mixed, by_config, budget=None, max_rows=100)):
        assert len({r.config for r in batch.requests}) == 1


def test_out_of_memory_requeues_the_batch_and_halves_budget_and_rows():
    planner = Planner(items([100] * 8), by_config, budget=10_000, max_rows=256)
    indices, batch = planner.next_batch()
    assert len(indices) == 8
    planner.requeue(indices, batch)
    planner.shrink_after_oom(batch)
    assert planner.budget == batch.cost() // 2 and planner.max_rows == 4
    batches = drain(planner)
    assert [len(ix) for ix, _ in batches] == [4, 4]
    assert sorted(i for ix, _ in batches for i in ix) == list(range(8))


def test_out_of_memory_with_a_single_request_names_it():
    planner = Planner(items([300]), by_config, budget=None, max_rows=1)
    _, batch = planner.next_batch()
    with pytest.raises(HarnessError, match="ex0.*out of memory even in a batch of one"):
        planner.shrink_after_oom(batch)


def test_batch_rows_count_beams():
    config = GenerateConfig(num_beams=4)
    _, batch = Planner(items([3, 3], config), by_config, None, 10).next_batch()
    assert isinstance(batch, Batch) and batch.rows == 8


class Fresh:  # rows_and_budget asks a model only for its starting budget
    def token_budget(self):
        return 8192


@pytest.mark.parametrize("size", [0, -2, "big"])
def test_bad_batch_size_is_a_usage_error(size):
    with pytest.raises(UsageError, match="--batch-size"):
        EngineSettings(batch_size=size).rows_and_budget(Fresh())


@pytest.mark.parametrize("settings, learned, expected", [
    (dict(), None, (256, 8192)),  # the model's own starting budget
    (dict(), Limits(700, 4), (256, 700)),  # auto: the budget decides, not the rows
    (dict(max_batch_tokens=500), Limits(700, 4), (256, 500)),  # the lower of the two
    (dict(batch_size="8"), None, (8, None)),
    (dict(batch_size="8"), Limits(700, 16), (8, 700)),
    (dict(batch_size=8), Limits(700, 4), (4, 700)),  # a fixed count stays cut
    (dict(batch_size=8), Limits(None, 4), (4, None)),
])
def test_learned_limits_cap_later_runs(settings, learned, expected):
    assert EngineSettings(**settings).rows_and_budget(Fresh(), learned) == expected
