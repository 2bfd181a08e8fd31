"""Tiny models: built offline, deterministic, loadable through from_pretrained."""
import pytest

from harness.testing import tiny_models
from harness.models.hf.weights import folder_sha256
from harness.errors import UsageError


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    return tiny_models.build_all(tmp_path_factory.getbasetemp() / "tiny-models")


def test_same_seed_same_files_other_seed_other_weights(tmp_path):
    first = tiny_models.build_causal(tmp_path / "a", seed=7)
    second = tiny_models.build_causal(tmp_path / "b", seed=7)
    other = tiny_models.build_causal(tmp_path / "c", seed=8)
    assert folder_sha256(first) == folder_sha256(second)
    assert (first / "tokenizer.json").read_bytes() == (other / "tokenizer.json").read_bytes()
    assert (first / "model.safetensors").read_bytes() != (other / "model.safetensors").read_bytes()


def test_a_finished_build_is_reused_and_a_changed_one_rebuilt(tmp_path):
    folder = tiny_models.build_seq2seq(tmp_path / "m")
    stamp = (folder / "model.safetensors").stat().st_mtime_ns
    assert tiny_models.build_seq2seq(tmp_path / "m") == folder
    assert (folder / "model.safetensors").stat().st_mtime_ns == stamp
    tiny_models.build_seq2seq(tmp_path / "m", seed=1)
    assert (folder / "model.safetensors").stat().st_mtime_ns != stamp


def test_models_load_through_the_auto_classes(built):
    from transformers import (AutoImageProcessor, AutoModelForCausalLM, AutoModelForSeq2SeqLM,
                              AutoTokenizer)
    causal = AutoModelForCausalLM.from_pretrained(built["causal"])
    tokenizer = AutoTokenizer.from_pretrained(built["causal"])
    assert causal.config.model_type == "gpt2" and tokenizer.chat_template
    assert (tokenizer.pad_token_id, tokenizer.bos_token_id, tokenizer.eos_token_id) == (0, 1, 2)
    assert tokenizer.decode(tokenizer("Das Haus ist klein.")["input_ids"],
                            skip_special_tokens=True) == "Das Haus ist klein."
    seq2seq = AutoModelForSeq2SeqLM.from_pretrained(built["seq2seq"])
    assert seq2seq.config.model_type == "t5"
    source = AutoTokenizer.from_pretrained(built["seq2seq"])("Das Haus")["input_ids"]
    assert source[-1] == 2  # sources end with </s>, as T5's do
    processor = AutoImageProcessor.from_pretrained(built["vision2seq"])
    assert processor.size == {"height": 32, "width": 32}


def test_brief_training_makes_the_seq2seq_model_copy(built):
    from transformers import AutoModelForSeq2SeqLM, AutoTokenizer
    model = AutoModelForSeq2SeqLM.from_pretrained(built["seq2seq"])
    tokenizer = AutoTokenizer.from_pretrained(built["seq2seq"])
    out = model.generate(**tokenizer(["Zwei Hunde spielen im Schnee."], return_tensors="pt"),
                         max_new_tokens=16, do_sample=False)
    assert tokenizer.decode(out[0], skip_special_tokens=True) == "Zwei Hunde spielen im Schnee."


def test_unknown_size_is_a_usage_error(tmp_path):
    with pytest.raises(UsageError, match="did you mean 't5-base-like'"):
        tiny_models.build_seq2seq(tmp_path / "m", size="t5-base")


def test_a_training_run_saves_checkpoints_equal_to_separate_builds(tmp_path):
    """One run trained to the last checkpoint, saved on the way, as a trainer leaves it: each
    checkpoint-N has the files of a model built with train_steps=N (so the demo trains once)."""
    pairs = [("The house is small.", "Das Haus ist klein."), ("Two dogs.", "Zwei Hunde.")] * 20
    run = tiny_models.build_seq2seq_run(tmp_path / "run", checkpoints=(3, 0, 6), pairs=pairs)
    assert [p.name for p in run] == ["checkpoint-0", "checkpoint-3", "checkpoint-6"]
    for path, steps in zip(run, (0, 3, 6)):
        alone = tiny_models.build_seq2seq(tmp_path / f"alone-{steps}", train_steps=steps, pairs=pairs)
        assert folder_sha256(path) == folder_sha256(alone)
    stamp = (run[-1] / "model.safetensors").stat().st_mtime_ns
    assert tiny_models.build_seq2seq(run[-1], train_steps=6, pairs=pairs) == run[-1]  # reused
    assert (run[-1] / "model.safetensors").stat().st_mtime_ns == stamp
