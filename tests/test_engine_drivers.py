"""How the engine drives each kind of adapter: concurrent requests with retries, and
per-example errors under --on-error fail and skip."""
import random
import threading
import time

import pytest

from harness.engine import EngineSettings, generate
from harness.engine.concurrent import BACKOFF_MAX_S, backoff_s
from harness.errors import HarnessError
from harness.models.base import (ConcurrentModel, ErrorAction, ErrorDecision, ExampleError, Model,
                                 StreamModel)
from harness.types import GenerateConfig, Generation, Request


class Busy(Exception):
    """What a rate-limited server answers."""

    def __init__(self, retry_after_s=None):
        super().__init__("429 too many requests")
        self.retry_after_s = retry_after_s


class Endpoint(Model, ConcurrentModel):
    """A concurrent adapter whose server is busy for the first ``busy`` tries of each request
    and refuses the prompts listed in ``refuse``."""

    concurrency = 4

    def __init__(self, busy=0, refuse=(), max_retries=3, retry_after_s=0.0):
        super().__init__("endpoint")
        self.busy, self.refuse, self.max_retries = busy, set(refuse), max_retries
        self.retry_after_s = retry_after_s
        self.tries: dict[str, int] = {}
        self.in_flight = self.most_in_flight = 0
        self.lock = threading.Lock()

    def generate_one(self, request):
        with self.lock:
            self.tries[request.example_id] = self.tries.get(request.example_id, 0) + 1
            tries = self.tries[request.example_id]
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            time.sleep(0.002)
            if request.example_id in self.refuse:
                raise ExampleError(request.example_id, "the server refused this prompt")
            if tries <= self.busy:
                raise Busy(self.retry_after_s)
            return Generation(request.example_id, request.prompt.upper(), num_tokens=3)
        finally:
            with self.lock:
                self.in_flight -= 1

    def classify_error(self, exc):
        if isinstance(exc, Busy):
            return ErrorDecision(ErrorAction.RETRY, exc.retry_after_s)
        return super().classify_error(exc)


def requests(n):
    return [Request(f"ex{i}", f"prompt {i}", GenerateConfig()) for i in range(n)]


def settings(tmp_path, **kw):
    return EngineSettings(cache_dir=tmp_path / "cache", progress=False, **kw)


def test_transient_errors_are_retried_until_every_request_is_answered_once(tmp_path):
    model = Endpoint(busy=2)
    out, accounting = generate(model, requests(40), settings(tmp_path))
    assert [g.text for g in out] == [f"PROMPT {i}" for i in range(40)]
    assert accounting.retries == 80 and accounting.n_errors == 0
    assert set(model.tries.values()) == {3}  # nothing asked twice once it had succeeded
    assert 1 < model.most_in_flight <= 4


def test_a_request_still_failing_after_its_retries_is_a_per_example_error(tmp_path):
    out, accounting = generate(Endpoint(busy=9, max_retries=2), requests(3),
                               settings(tmp_path, on_error="skip"))
    assert all(g.error and "429" in g.error for g in out) and accounting.n_errors == 3
    again, accounting = generate(Endpoint(), requests(3), settings(tmp_path))
    assert accounting.n_generated == 3 and all(g.error is None for g in again)


def test_skip_records_the_refused_example_and_a_rerun_asks_only_for_it(tmp_path):
    out, accounting = generate(Endpoint(refuse={"ex3"}), requests(6), settings(tmp_path, on_error="skip"))
    assert [g.example_id for g in out if g.error] == ["ex3"] and out[3].text == ""
    assert "refused" in out[3].error and accounting.n_errors == 1
    model = Endpoint()
    again, accounting = generate(model, requests(6), settings(tmp_path))
    assert list(model.tries) == ["ex3"] and accounting.n_cached == 5
    assert again[3].text == "PROMPT 3"


def test_fail_stops_naming_the_example_and_keeps_what_was_answered(tmp_path):
    with pytest.raises(HarnessError, match="example 'ex3'.*refused.*--on-error skip"):
        generate(Endpoint(refuse={"ex3"}), requests(6), settings(tmp_path))
    model = Endpoint()
    generate(model, requests(6), settings(tmp_path))
    # those in flight with it were answered and kept; only the rest is asked again
    assert "ex3" in model.tries and not {"ex0", "ex1", "ex2"} & set(model.tries)


def test_an_unclassified_error_stops_the_run_as_it_is(tmp_path):
    class Broken(Endpoint):
        def generate_one(self, request):
            raise KeyError("bug in the adapter")
    with pytest.raises(KeyError, match="bug in the adapter"):
        generate(Broken(), requests(5), settings(tmp_path, on_error="skip"))


def test_backoff_honours_retry_after_and_otherwise_grows_with_full_jitter():
    rng = random.Random(0)
    assert backoff_s(0, 2.5, rng) == 2.5 and backoff_s(5, 999.0, rng) == BACKOFF_MAX_S
    draws = [backoff_s(attempt, None, rng) for attempt in range(12) for _ in range(50)]
    assert all(0 <= d <= BACKOFF_MAX_S for d in draws)
    assert max(draws[:50]) <= 0.5 < max(draws[-50:])


def test_bad_on_error_value_is_a_usage_error():
    with pytest.raises(HarnessError, match="--on-error must be one of fail, skip"):
        EngineSettings(on_error="ignore")


class Scheduler(Model, StreamModel):
    """A stream adapter (vLLM-like) that schedules the whole list and reports a failed
    request in its Generation rather than raising."""

    def generate(self, requests):
        for request in requests:
            error = "prompt too long for the engine" if request.example_id == "ex1" else None
            yield Generation(request.example_id, "" if error else request.prompt, error=error)


def test_a_stream_adapters_failed_generation_follows_on_error(tmp_path):
    out, accounting = generate(Scheduler("s"), requests(3), settings(tmp_path, on_error="skip"))
    assert [g.error for g in out] == [None, "prompt too long for the engine", None]
    assert accounting.n_errors == 1 and accounting.n_generated == 2
    with pytest.raises(HarnessError, match="example 'ex1': prompt too long"):
        generate(Scheduler("s"), requests(3), settings(tmp_path / "other"))
