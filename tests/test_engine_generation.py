"""The engine driving real tiny transformers models on CPU (float32)."""
import pytest

from harness.testing import tiny_models
from harness.engine import EngineSettings, faults, generate, learned_limits
from harness.errors import HarnessError
from harness.models.hf.causal import HFCausal
from harness.models.hf.seq2seq import HFSeq2Seq
from harness.types import GenerateConfig, Request

ADAPTERS = {"causal": HFCausal, "seq2seq": HFSeq2Seq}


@pytest.fixture(scope="session")
def tiny(tmp_path_factory):
    return tiny_models.build_all(tmp_path_factory.getbasetemp() / "tiny-models")


@pytest.fixture(scope="module")
def models(tiny):
    loaded = {kind: cls(str(tiny[kind])) for kind, cls in ADAPTERS.items()}
    yield loaded
    for model in loaded.values():
        model.close()


def prompts():
    """Sentence beginnings and whole sentences, 2 to ~40 tokens long."""
    texts = tiny_models.default_texts()
    out = [" ".join(t.split()[:k]) for t, k in zip(texts, [2, 3, 4, 5, 3, 6, 2, 4, 3, 7])]
    out += [texts[10], texts[11] + " " + texts[12], " ".join(texts[13:16]), texts[16]]
    return out


def requests(config=GenerateConfig(max_new_tokens=12), chat=False):
    return [Request(example_id=f"ex{i}", prompt=p, config=config, chat=chat)
            for i, p in enumerate(prompts())]


def run(model, reqs, **settings):
    return generate(model, reqs, EngineSettings(use_cache=False, progress=False, **settings))


@pytest.mark.parametrize("kind", ["causal", "seq2seq"])
def test_greedy_outputs_do_not_depend_on_batching(models, kind):
    reqs = requests()
    one, _ = run(models[kind], reqs, batch_size=1)
    fixed, _ = run(models[kind], reqs, batch_size=3)
    auto, acc = run(models[kind], reqs)
    small, acc_small = run(models[kind], reqs, max_batch_tokens=80)
    assert acc.batches.count == 1 and acc_small.batches.count > 3
    expected = [(g.example_id, g.text, g.num_tokens, g.finish_reason) for g in one]
    for other in (fixed, auto, small):
        assert [(g.example_id, g.text, g.num_tokens, g.finish_reason) for g in other] == expected
    assert len({g.text for g in one}) > len(one) // 2  # the model says different things


@pytest.mark.parametrize("kind", ["causal", "seq2seq"])
def test_out_of_memory_back_off_loses_and_repeats_nothing(models, kind):
    reqs = requests()
    clean, _ = run(models[kind], reqs)
    model = ADAPTERS[kind](models[kind].locator)
    with faults.inject(oom_above_rows=3):
        backed_off, acc = run(model, reqs)
    assert [g.text for g in backed_off] == [g.text for g in clean]
    assert acc.batches.oom_retries >= 1 and acc.batches.max_rows <= 3
    assert acc.batches.token_budget_end < acc.batches.token_budget_start
    model.close()


def test_the_budget_that_worked_is_kept_for_the_next_task(models):
    model = ADAPTERS["causal"](models["causal"].locator)
    with faults.inject(oom_above_tokens=150):
        _, first = run(model, requests())
        _, second = run(model, requests(GenerateConfig(max_new_tokens=12, seed=1)))
    assert first.batches.oom_retries >= 1 and second.batches.oom_retries == 0
    assert learned_limits(model).token_budget <= 150
    assert second.batches.token_budget_start == first.batches.token_budget_end
    assert learned_limits(ADAPTERS["causal"](models["causal"].locator)) is None  # per model
    model.close()


def test_a_fixed_batch_size_cut_by_out_of_memory_stays_cut_for_the_next_task(models):
    model = ADAPTERS["causal"](models["causal"].locator)
    with faults.inject(oom_above_rows=3):
        _, first = run(model, requests(), batch_size=8)
        _, second = run(model, requests(GenerateConfig(max_new_tokens=12, seed=1)), batch_size=8)
    assert first.batches.oom_retries >= 1 and second.batches.oom_retries == 0
    assert learned_limits(model).rows <= 3 and second.batches.max_rows <= 3
    model.close()


def test_out_of_memory_on_a_single_example_names_it(models):
    with faults.inject(oom_above_rows=0), pytest.raises(HarnessError, match="ex"):
        run(ADAPTERS["causal"](models["causal"].locator), requests()[:2])


def test_beam_rows_count_against_the_budget(models):
    config = GenerateConfig(max_new_tokens=8, num_beams=3)
    reqs = requests(config)[:6]
    plain, _ = run(models["seq2seq"], reqs, batch_size=1)
    with faults.inject(oom_above_rows=6):  # 6 rows = 2 requests of 3 beams
        backed_off, acc = run(ADAPTERS["seq2seq"](models["seq2seq"].locator), reqs)
    assert [g.text for g in backed_off] == [g.text for g in plain]
    assert acc.batches.max_rows <= 2


@pytest.mark.parametrize("kind", ["causal", "seq2seq"])
def test_finish_reasons_eos_and_length(models, kind):
    out, _ = run(models[kind], requests(GenerateConfig(max_new_tokens=40)))
    assert {g.finish_reason for g in out} >= {"eos"}
    for g in out:
        assert (g.finish_reason == "eos") == (g.num_tokens < 40)
    short, _ = run(models[kind], requests(GenerateConfig(max_new_tokens=2)))
    assert {g.finish_reason for g in short} <= {"length", "eos"} and max(g.num_tokens for g in short) == 2


def test_stop_sequence_cuts_text_and_is_recorded(models):
    config = GenerateConfig(max_new_tokens=30)
    free, _ = run(models["seq2seq"], requests(config))
    stopped, _ = run(models["seq2seq"], requests(GenerateConfig(max_new_tokens=30, stop=(" ",))))
    for before, after in zip(free, stopped):
        if " " in before.text:
            assert after.finish_reason == "stop"
            assert after.text == before.text[:before.text.index(" ")]
            assert after.num_tokens < before.num_tokens
        else:
            assert after.text == before.text


def test_causal_stop_string_in_the_prompt_does_not_stop(models):
    reqs = [Request(example_id="a", prompt="Der Rat hat", config=GenerateConfig(
        max_new_tokens=20, stop=("Rat",)))]
    out, _ = run(models["causal"], reqs)
    assert out[0].num_tokens > 1 and "Rat" not in out[0].text


@pytest.mark.parametrize("kind", ["causal", "seq2seq"])
def test_min_new_tokens_forces_length(models, kind):
    out, _ = run(models[kind], requests(GenerateConfig(max_new_tokens=10, min_new_tokens=10)))
    assert all(g.num_tokens == 10 and g.finish_reason == "length" for g in out)


@pytest.mark.parametrize("kind", ["causal", "seq2seq"])
def test_sampling_is_reproducible_per_request_whatever_the_batch(models, kind):
    config = GenerateConfig(max_new_tokens=12, do_sample=True, temperature=1.5, top_k=50, seed=3)
    alone, _ = run(models[kind], requests(config), batch_size=1)
    together, _ = run(models[kind], requests(config))
    assert [g.text for g in alone] == [g.text for g in together]
    greedy, _ = run(models[kind], requests(GenerateConfig(max_new_tokens=12)))
    other_seed, _ = run(models[kind], requests(GenerateConfig(
        max_new_tokens=12, do_sample=True, temperature=1.5, top_k=50, seed=4)))
    assert [g.text for g in alone] != [g.text for g in greedy]
    assert [g.text for g in alone] != [g.text for g in other_seed]


def test_beam_search_outputs_do_not_depend_on_batching(models):
    reqs = requests(GenerateConfig(max_new_tokens=10, num_beams=3))
    one, _ = run(models["causal"], reqs, batch_size=1)
    auto, _ = run(models["causal"], reqs)
    assert [g.text for g in one] == [g.text for g in auto]


def test_accounting_reports_throughput_padding_and_device(models):
    _, acc = run(models["causal"], requests(), max_batch_tokens=200)
    assert acc.n_generated == len(prompts()) and acc.runtime["device"] == "cpu"
    assert acc.runtime["dtype"] == "float32" and acc.runtime["threads"] >= 1
    assert 0.5 < acc.padding_efficiency <= 1.0
    assert acc.generated_tokens_per_s > 0 and acc.examples_per_s > 0
    assert acc.model_s <= acc.generate_s and acc.overhead_s >= 0
    assert acc.peak_memory_bytes > 0


def test_load_is_lazy_and_timed_once(tiny):
    model = HFCausal(str(tiny["causal"]))
    assert model._network is None and model._tokenizer is None
    _, first = run(model, requests()[:2])
    _, second = run(model, requests()[2:4])
    assert first.load_s > 0 and second.load_s == 0
    model.close()


def test_rerun_with_cache_does_not_load_the_model(tiny, tmp_path):
    settings = EngineSettings(cache_dir=tmp_path, progress=False)
    first, _ = generate(HFSeq2Seq(str(tiny["seq2seq"])), requests(), settings)
    fresh = HFSeq2Seq(str(tiny["seq2seq"]))
    second, acc = generate(fresh, requests(), settings)
    assert acc.n_cached == len(first) and fresh._network is None
    assert [g.text for g in second] == [g.text for g in first]
