"""The generation cache is keyed on everything that can change an output: a setting that
changes the text regenerates; one that cannot (a name for the same resolved value) does not."""
import os
import shutil

import pytest

from harness.testing import tiny_models
from harness.engine import EngineSettings, cache_identity, generate
from harness.models.hf.causal import HFCausal
from harness.models.hf.seq2seq import HFSeq2Seq
from harness.models.hf.vision import HFVision2Seq
from harness.models.hf.weights import file_sha256
from harness.types import GenerateConfig, Request


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return tiny_models.build_all(tmp_path_factory.getbasetemp() / "tiny-models")


SHARED = [{"dtype": "bfloat16"}, {"dtype": "float16"}, {"attn_implementation": "eager"},
          {"static_cache": "true"}, {"compile": "true"}, {"trust_remote_code": "true"},
          {"device_map": "auto"}]


# max_length only where the adapter cuts its input: an image encoder has no such option
@pytest.mark.parametrize("cls, args", [(cls, args) for cls in (HFCausal, HFSeq2Seq, HFVision2Seq)
                                       for args in SHARED]
                         + [(HFCausal, {"max_length": 8}), (HFSeq2Seq, {"max_length": 8})])
def test_each_output_setting_changes_the_cache_key(tiny, cls, args):
    folder = str(tiny[{"HFCausal": "causal", "HFSeq2Seq": "seq2seq"}.get(cls.__name__, "vision2seq")])
    assert cache_identity(cls(folder, **args)) != cache_identity(cls(folder))


@pytest.mark.parametrize("value", ["off", "on"])
def test_the_chat_template_setting_changes_the_cache_key(tiny, value):
    folder = str(tiny["causal"])
    assert cache_identity(HFCausal(folder, chat_template=value)) != cache_identity(HFCausal(folder))


def test_settings_are_keyed_as_resolved_not_as_written(tiny):
    folder = str(tiny["causal"])
    # on this CPU machine auto means float32 on cpu: the same outputs, the same key
    same = [HFCausal(folder), HFCausal(folder, dtype="float32"), HFCausal(folder, device="cpu"),
            HFCausal(folder, dtype="fp32", device="auto")]
    assert len({repr(cache_identity(m)) for m in same}) == 1
    settings = HFCausal(folder).output_settings()
    assert settings["dtype"] == "float32" and settings["device"] == "cpu"
    assert settings["transformers"] and settings["adapter_version"] >= 1


def test_different_settings_on_one_cache_regenerate_and_say_truncated(tiny, tmp_path):
    folder = str(tiny["causal"])
    prompt = " ".join(tiny_models.default_texts()[:6])
    reqs = [Request(f"ex{i}", f"{i}: {prompt}", GenerateConfig(max_new_tokens=4), chat=True)
            for i in range(4)]
    settings = EngineSettings(cache_dir=tmp_path, progress=False)
    first, _ = generate(HFCausal(folder), reqs, settings)
    again, accounting = generate(HFCausal(folder, chat_template="off", max_length=8), reqs, settings)
    assert accounting.n_cached == 0 and accounting.n_generated == 4
    assert all(g.truncated and not g.cached and g.prompt_tokens == 8 for g in again)
    assert not any(g.truncated for g in first)
    _, accounting = generate(HFCausal(folder), reqs, settings)
    assert accounting.n_cached == 4  # the first run's generations are still there


def test_weights_replaced_with_their_mtime_kept_are_hashed_again(tmp_path):
    one = tiny_models.build_causal(tmp_path / "one", seed=0)
    two = tiny_models.build_causal(tmp_path / "two", seed=1)
    weights = next(p.name for p in one.iterdir() if p.name.startswith("model."))
    assert (one / weights).stat().st_size == (two / weights).stat().st_size
    model = shutil.copytree(one, tmp_path / "model")
    before = HFCausal(str(model)).fingerprint()["weights"]
    stat = (model / weights).stat()
    shutil.copyfile(two / weights, model / weights)  # as `cp -p`, `rsync -t` or tar would leave it
    os.utime(model / weights, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert (model / weights).stat().st_mtime_ns == stat.st_mtime_ns
    assert HFCausal(str(model)).fingerprint()["weights"] != before
    assert file_sha256(model / weights) == file_sha256(two / weights)
