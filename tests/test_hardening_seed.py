"""``--seed`` keys a generation only where sampling reads it: greedy and beam-search requests
ignore it, so changing the bootstrap seed regenerates nothing; sampled requests stay keyed by it
(a new seed is a new sample)."""
import pytest

from harness.task import get_task
from harness.types import GenerateConfig, Request


def _key(**config):
    return Request(example_id="a", prompt="Das Haus", config=GenerateConfig(**config)).key()


@pytest.mark.parametrize("settings", [{}, {"num_beams": 4}, {"do_sample": False, "temperature": 0.7}])
def test_greedy_and_beam_keys_ignore_the_seed(settings):
    assert _key(seed=1, **settings) == _key(seed=12345, **settings)


@pytest.mark.parametrize("settings", [{"do_sample": True}, {"do_sample": True, "num_beams": 2}])
def test_sampled_keys_depend_on_the_seed(settings):
    assert _key(seed=1, **settings) != _key(seed=2, **settings)
    assert _key(seed=1, **settings) == _key(seed=1, **settings)


def test_the_run_seed_reaches_the_config_and_only_sampling_keys_change():
    task = get_task("demo-translation")
    greedy = [task.generate_config({}, seed=s) for s in (1, 2)]
    sampled = [task.generate_config({"do_sample": "true"}, seed=s) for s in (1, 2)]
    assert [c.seed for c in greedy] == [1, 2]  # recorded in run.json as used
    assert greedy[0].key() == greedy[1].key()
    assert sampled[0].key() != sampled[1].key()
