"""Before a model loads, the model is checked with the data: every problem at once."""
import pytest

from conftest import run_cli, write_jsonl

OFFLINE = {"HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"}


def offline(tmp_path) -> dict:
    return {**OFFLINE, "HF_HOME": str(tmp_path / "hf")}


def cache_model(tmp_path, repo: str) -> None:
    """The hub cache's layout (huggingface_hub): refs/main names a snapshot folder."""
    root = tmp_path / "hf" / "hub" / f"models--{repo.replace('/', '--')}"
    (root / "refs").mkdir(parents=True)
    (root / "refs" / "main").write_text("0" * 40)
    (root / "snapshots" / ("0" * 40)).mkdir(parents=True)
    (root / "snapshots" / ("0" * 40) / "config.json").write_text("{}")


def test_offline_hub_task_and_uncached_model_are_reported_together(tmp_path):
    proc = run_cli("run", "--model", "hf-seq2seq:t5-small", "--tasks", "wmt14-en-de",
                   "--output", str(tmp_path / "out"), env=offline(tmp_path))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "nothing was run; fix these first:" in proc.stderr
    assert "model 'hf-seq2seq:t5-small': offline (HF_HUB_OFFLINE), and t5-small is not in the " \
           "local hub cache" in proc.stderr
    assert "task 'wmt14-en-de': cannot load the Hugging Face dataset wmt/wmt14" in proc.stderr


def test_a_cached_hub_model_is_no_problem_offline(tmp_path):
    cache_model(tmp_path, "org/tiny")
    bad = write_jsonl(tmp_path / "d.jsonl", [{"id": "a", "source": "x", "references": []}])
    proc = run_cli("run", "--model", "hf-seq2seq:org/tiny", "--tasks", "demo-translation",
                   "--data", str(bad), "--output", str(tmp_path / "out"), env=offline(tmp_path))
    assert proc.returncode == 2 and "'references' is empty" in proc.stderr
    assert "org/tiny" not in proc.stderr and "fix these first" not in proc.stderr
    proc = run_cli("run", "--model", "hf-seq2seq:org/tiny", "--tasks", "demo-translation",
                   "--data", str(bad), "--model-args", "revision=v2", env=offline(tmp_path))
    assert "org/tiny (revision v2) is not in the local hub cache" in proc.stderr


@pytest.mark.parametrize("model, args, expected", [
    ("hf-causal:./no-such-checkpoint", "", ["no folder ./no-such-checkpoint, and not a hub id"]),
    ("hf-causal:./no-such-checkpoint", "dtype=float99",
     ["--model-args: dtype='float99' is not one of", "no folder ./no-such-checkpoint"]),
    ("predictions:missing.jsonl", "", ["missing.jsonl: no such file; give the JSONL file"]),
    ("hf-seq2seq", "", ["give a location, e.g. hf-seq2seq:<hub id or path>"]),
])
def test_model_problems_come_with_the_data_problems(tmp_path, model, args, expected):
    bad = write_jsonl(tmp_path / "d.jsonl", [{"id": "a", "source": "x", "references": []}])
    proc = run_cli("run", "--model", model, "--tasks", "demo-translation", "--data", str(bad),
                   *(["--model-args", args] if args else []), "--output", str(tmp_path / "out"),
                   cwd=tmp_path, env=offline(tmp_path))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "nothing was run; fix these first:" in proc.stderr
    for text in [*expected, "'references' is empty"]:
        assert text in proc.stderr, proc.stderr
