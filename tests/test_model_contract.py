"""The model contract: an adapter implements exactly one driver protocol, and what it measured
(model time, lazy loading) comes back as values the engine reports, while what out-of-memory
back-off learned stays with the engine, not on the model."""
import json
import time

import pytest

from conftest import write_jsonl
from harness.engine import EngineSettings, faults, generate, learned_limits
from harness.errors import HarnessError
from harness.models.base import ConcurrentModel, Model, StreamModel
from harness.models.batched import BatchedModel, BatchResult, Encoded
from harness.run import RunOptions, evaluate
from harness.types import GenerateConfig, Generation, InputKind, Request

MODEL_S = 0.25  # what the adapter below says each batch spent inside its network
LOAD_S = 0.05  # what its lazy load sleeps


class Upper(Model, BatchedModel):
    """Answers each source upper-cased; its "weights" load, timed, on its first batch."""

    input_kind = InputKind.SOURCE

    def __init__(self, locator="upper", **args):
        super().__init__(locator, **args)
        self.weights = None

    def encode(self, requests):
        return [Encoded(len((r.prompt or "").split())) for r in requests]

    def generate_batch(self, batch, prepared):
        if self.weights is None:
            with self.load_timer.timed():
                time.sleep(LOAD_S)
                self.weights = "loaded"
        return BatchResult([Generation(r.example_id, (r.prompt or "").upper(), num_tokens=2)
                            for r in batch.requests], MODEL_S)


def requests(n):
    return [Request(example_id=f"ex{i}", prompt=f"sentence {i} " * (1 + i % 3),
                    config=GenerateConfig(max_new_tokens=4)) for i in range(n)]


def settings(**kw):
    return EngineSettings(use_cache=False, progress=False, **kw)


# --- one driver each -----------------------------------------------------------------------

class StreamAndBatches(Upper):
    def generate(self, requests):
        yield from ()


class StreamAndConcurrent(Model, StreamModel, ConcurrentModel):
    def generate(self, requests):
        yield from ()

    def generate_one(self, request):
        return Generation(request.example_id, "")


class Nothing(Model):
    """Identity only: no way to generate."""


class HalfConcurrent(Model):
    """generate_one, but neither concurrency nor max_retries (not a ConcurrentModel)."""

    def generate_one(self, request):
        return Generation(request.example_id, "")


@pytest.mark.parametrize("adapter, message", [
    (StreamAndBatches, r"'StreamAndBatches' \(test_model_contract.StreamAndBatches\) implements "
                       r"generate_batch and generate; an adapter implements exactly one of: "
                       r"generate_batch \(harness.models.batched.BatchedModel\), generate "
                       r"\(harness.models.base.StreamModel\), generate_one "
                       r"\(harness.models.base.ConcurrentModel\)"),
    (StreamAndConcurrent, r"'StreamAndConcurrent' .* implements generate and generate_one; "
                          r"an adapter implements exactly one of"),
    (Nothing, r"'Nothing' .* implements no driver method; an adapter implements exactly one of"),
    (HalfConcurrent, r"'HalfConcurrent' .* implements generate_one but lacks concurrency, "
                     r"max_retries of ConcurrentModel; subclass ConcurrentModel"),
])
def test_an_adapter_implementing_two_drivers_or_none_is_refused_naming_it(adapter, message, tmp_path):
    with pytest.raises(HarnessError, match=message):
        generate(adapter("x"), requests(3), EngineSettings(cache_dir=tmp_path / "cache",
                                                           progress=False))
    assert not (tmp_path / "cache").exists()  # refused before anything was opened or made


def test_a_batched_adapter_returning_a_bare_list_is_told_what_to_return():
    class Bare(Upper):
        def generate_batch(self, batch, prepared):
            return super().generate_batch(batch, prepared).generations

    with pytest.raises(HarnessError, match=r"Bare.generate_batch returned a list; return "
                                           r"BatchResult\(generations, model_s\)"):
        generate(Bare(), requests(3), settings())


# --- measurements as values ----------------------------------------------------------------

def test_model_time_and_lazy_load_come_back_as_the_records_timings(tmp_path):
    rows = [{"id": f"s{i}", "source": f"Sentence {i} is here.", "references": [f"Sentence {i}."]}
            for i in range(10)]
    data = write_jsonl(tmp_path / "data.jsonl", rows)
    tasks = []
    for name in ("first", "second"):
        (tmp_path / f"{name}.yaml").write_text(json.dumps({
            "name": name, "family": "summarization", "source": {"path": str(data)},
            "metrics": ["rouge1"]}))
        tasks.append(str(tmp_path / f"{name}.yaml"))
    first, second = evaluate("upper", tasks, RunOptions(n_bootstrap=0, write=False),
                             engine_settings=settings(batch_size=4), model=Upper())
    for record in (first, second):  # 10 requests in batches of 4: 3 batches
        assert record.engine.batches.count == 3
        assert record.timings.model_s == pytest.approx(3 * MODEL_S)  # the adapter's, not a clock's
    # the weights loaded on the first task's first batch: load time, not generation time
    assert first.timings.load_s >= LOAD_S and second.timings.load_s == 0.0
    for record in (first, second):
        timings = record.timings
        assert timings.overhead_s == pytest.approx(max(timings.generate_s - timings.model_s, 0.0))


def test_a_batch_without_its_own_model_time_counts_whole(tmp_path):
    class Untimed(Upper):
        def generate_batch(self, batch, prepared):
            time.sleep(0.01)
            return BatchResult(super().generate_batch(batch, prepared).generations)

    _, accounting = generate(Untimed(), requests(6), settings(batch_size=3))
    assert accounting.model_s >= 2 * 0.01 and accounting.model_s != 2 * MODEL_S


# --- out-of-memory back-off is the engine's ------------------------------------------------

def test_back_off_is_kept_by_the_engine_for_the_same_model_and_written_on_none():
    model = Upper()
    before = dict(vars(model))
    with faults.inject(oom_above_rows=2):
        _, first = generate(model, requests(8), settings())
        _, second = generate(model, requests(8)[::-1], settings())
    assert first.batches.oom_retries >= 1 and second.batches.oom_retries == 0
    learned = learned_limits(model)
    assert learned.rows <= 2 and learned.token_budget == first.batches.token_budget_end
    assert second.batches.token_budget_start == first.batches.token_budget_end
    # the engine wrote nothing on the model: only the adapter's own lazy load changed it
    assert {k for k in vars(model) if vars(model)[k] is not before.get(k)} == {"weights"}
    assert learned_limits(Upper()) is None  # another model starts afresh



def test_what_back_off_learned_does_not_keep_its_model_alive():
    import gc
    import weakref
    model = Upper()
    with faults.inject(oom_above_rows=2):
        generate(model, requests(4), settings())
    assert learned_limits(model) is not None
    alive = weakref.ref(model)
    del model
    gc.collect()
    assert alive() is None  # its accelerator memory can go before the next model loads
