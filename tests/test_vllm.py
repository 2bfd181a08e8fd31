"""vllm: the mapping from the generation config to SamplingParams, finish reasons and
truncation (no vLLM needed), and vLLM against hf-causal where vLLM and a GPU are present."""
import importlib.util

import pytest

from harness.errors import UsageError
from harness.models.vllm_engine import VLLMModel, finish_reason, request_seed, sampling_kwargs, truncate
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


def _gpu_and_vllm() -> str | None:
    if importlib.util.find_spec("vllm") is None:
        return "vLLM is not installed (pip install 'harness[vllm]')"
    import torch
    if not torch.cuda.is_available():
        return "vLLM needs a CUDA GPU; none here"
    return None


@pytest.mark.skipif(_gpu_and_vllm() is not None, reason=str(_gpu_and_vllm()))
def test_greedy_vllm_agrees_with_hf_causal(tmp_path_factory):
    from harness.testing import tiny_models
    from harness.engine import EngineSettings, generate
    from harness.models.hf.causal import HFCausal
    folder = tiny_models.build_all(tmp_path_factory.getbasetemp() / "tiny-models")["causal"]
    reqs = [Request(f"ex{i}", text, GenerateConfig(max_new_tokens=12))
            for i, text in enumerate(tiny_models.default_texts())]
    settings = EngineSettings(use_cache=False, progress=False)
    ours, _ = generate(VLLMModel(str(folder), dtype="float32", enforce_eager=True), reqs, settings)
    reference, _ = generate(HFCausal(str(folder), dtype="float32", chat_template="off"), reqs, settings)
    same = sum(a.text == b.text for a, b in zip(ours, reference))
    assert same >= 0.9 * len(reqs)  # GPU kernels may flip a near-tied token


def test_the_new_kinds_are_registered_without_importing_their_backends():
    import subprocess
    import sys
    code = ("import sys; from harness.registry import models; names = models.names(); "
            "print(sorted({'hf-vlm', 'openai-chat', 'openai-completions', 'vllm'} - set(names)), "
            "sorted(m for m in ('vllm', 'openai', 'torch') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["[]", "[]"]
