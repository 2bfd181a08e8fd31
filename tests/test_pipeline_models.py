"""Real tiny Hugging Face models through the whole command line: records, cache, images."""
import json
import shutil

import pytest

from conftest import REPO, run_cli, write_jsonl
from harness.testing import tiny_models
from harness.record.store import load_runs
from harness.task import TaskSpec, YamlTask, get_task
from harness.testing import shared_data


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("models")
    texts = [r for ex in get_task("demo-translation").load_examples() for r in (ex.source, *ex.references)]
    return {"seq2seq": tiny_models.build_seq2seq(root / "s2s", texts),
            "causal": tiny_models.build_causal(root / "causal", texts),
            "vision": tiny_models.build_vision2seq(root / "vision", texts)}


def _record(proc):
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_seq2seq_run_record_then_metrics_only_rerun_generates_nothing(built, tmp_path):
    cache = {"HARNESS_CACHE": str(tmp_path / "cache")}
    args = ["run", "--model", f"hf-seq2seq:{built['seq2seq']}", "--tasks", "demo-translation",
            "--limit", "8", "--gen-kwargs", "max_new_tokens=6", "--output", str(tmp_path / "out"), "--json"]
    first = _record(run_cli(*args, env=cache))
    assert first["task"]["n_examples"] == 8 and first["generation"]["max_new_tokens"] == 6
    assert first["engine"]["n_generated"] == 8 and first["throughput"]["padding_efficiency"] > 0
    assert first["timings"]["load_s"] > first["timings"]["prepare_s"]  # weights load lazily, and count
    assert first["model"]["fingerprint"]["weights"] and first["model"]["runtime"]["dtype"] == "float32"
    assert set(first["scores"]) == {"bleu", "chrf", "ter"}
    assert first["scores"]["ter"]["ci95"] is not None
    second = _record(run_cli(*args, "--metrics", "chrf", env=cache))
    assert second["engine"]["n_cached"] == 8 and second["engine"]["n_generated"] == 0
    assert list(second["scores"]) == ["chrf"]
    assert second["scores"]["chrf"]["score"] == first["scores"]["chrf"]["score"]
    runs = load_runs(tmp_path / "out", all_runs=True)
    assert [r.run_id for r in runs] == [first["run_id"], second["run_id"]]
    rows = [json.loads(l) for l in (runs[1].folder / "samples.jsonl").read_text().splitlines()]
    assert [r["id"] for r in rows] == [e.id for e in get_task("demo-translation").load_examples(limit=8)]
    assert all(r["cached"] for r in rows)


def test_causal_model_prints_table_with_throughput(built, tmp_path):
    proc = run_cli("run", "--model", f"hf-causal:{built['causal']}", "--tasks", "demo-summarization",
                   "--limit", "3", "--gen-kwargs", "max_new_tokens=4,num_beams=1",
                   "--output", str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    assert "rougeLsum" in proc.stdout and "95% CI" in proc.stdout and "|data:" in proc.stdout
    assert "demo-summarization: 3 examples" in proc.stderr and "tok/s" in proc.stderr


def test_fewshot_prompts_are_deterministic_and_shared():
    task = get_task("demo-translation")
    raw = task.spec.model_dump()
    raw["prompt"]["fewshot"]["k"] = 2
    shot_task = YamlTask(TaskSpec.model_validate(raw), task.path)
    examples = shot_task.load_examples(limit=3)
    config = shot_task.generate_config()
    first = shot_task.requests(examples, "prompt", config)
    again = shot_task.requests(examples, "prompt", config)
    assert [r.prompt for r in first] == [r.prompt for r in again]
    prefix = first[0].prompt.split("Translate English to German.")[0]
    assert prefix.count("German: ") == 2 and all(r.prompt.startswith(prefix) for r in first)
    assert examples[0].source in first[0].prompt


def _demo_images_as_data(folder):
    """12 of the demo's shipped captioning images as a --data file of their own."""
    (folder / "images").mkdir(parents=True)
    rows = [json.loads(line) for line in (REPO / "tasks/demo/captioning.jsonl").read_text().splitlines()][:12]
    for row in rows:
        shutil.copy(REPO / "tasks/demo" / row["image"], folder / row["image"])
    return write_jsonl(folder / "test.jsonl", rows)


def test_vision_model_on_images_given_with_data(built, tmp_path):
    # the 12 real COCO images with the shared data, else 12 of the demo's
    coco = shared_data() / "captioning/coco_images12/test.jsonl" if shared_data() else None
    data = coco if coco and coco.is_file() else _demo_images_as_data(tmp_path / "data")
    record = _record(run_cli("run", "--model", f"hf-vision2seq:{built['vision']}", "--tasks",
                             "demo-captioning", "--data", str(data), "--gen-kwargs", "max_new_tokens=5",
                             "--output", str(tmp_path), "--json"))
    assert record["task"]["n_examples"] == 12
    assert record["task"]["data_override"] == str(data)
    assert "cider" in record["scores"]


def test_an_image_that_fails_to_decode_names_example_and_file(built, tmp_path):
    good = get_task("demo-captioning").load_examples(limit=1)[0]
    shutil.copy(good.image, tmp_path / "ok.png")
    (tmp_path / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n not an image")
    data = write_jsonl(tmp_path / "caps.jsonl", [
        {"id": "ok", "image": "ok.png", "references": ["a shape"]},
        {"id": "bad", "image": "broken.png", "references": ["a shape"]}])
    proc = run_cli("run", "--model", f"hf-vision2seq:{built['vision']}", "--tasks", "demo-captioning",
                   "--data", str(data), "--output", str(tmp_path / "out"), "--no-progress")
    assert proc.returncode == 2
    assert "'bad'" in proc.stderr and "broken.png" in proc.stderr and "Traceback" not in proc.stderr
