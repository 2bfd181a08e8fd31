"""The generation cache follows image content: an image rewritten in place (same path, same
modification time) is captioned again, and a moved copy of the data is captioned not at all."""
import json
import shutil
from pathlib import Path

from conftest import run_cli
from harness.testing import tiny_models
from harness.record.store import load_runs
from test_fingerprint import TASKS, repaint_in_place


def caption(model: Path, data: Path, cache: Path, out: Path) -> dict:
    proc = run_cli("run", "--model", f"hf-vision2seq:{model}", "--tasks", "demo-captioning",
                   "--data", str(data), "--limit", "4", "--gen-kwargs", "max_new_tokens=3",
                   "--bootstrap", "0", "--output", str(out), "--json",
                   env={"HARNESS_CACHE": str(cache)})
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)["engine"]


def test_only_the_rewritten_image_is_captioned_again(tmp_path):
    model = tiny_models.build_vision2seq(tmp_path / "captioner")
    shutil.copytree(TASKS / "demo", tmp_path / "a")
    shutil.copytree(TASKS / "demo", tmp_path / "b")
    cache, out = tmp_path / "cache", tmp_path / "out"

    first = caption(model, tmp_path / "a" / "captioning.jsonl", cache, out)
    assert (first["n_generated"], first["n_cached"]) == (4, 0)
    moved = caption(model, tmp_path / "b" / "captioning.jsonl", cache, out)
    assert (moved["n_generated"], moved["n_cached"]) == (0, 4)

    repaint_in_place(tmp_path / "a" / "images" / "cap-002.png")
    again = caption(model, tmp_path / "a" / "captioning.jsonl", cache, out)
    assert (again["n_generated"], again["n_cached"]) == (1, 3)
    # the repainted image is other data, so another run key: both experiments are read
    runs = load_runs([out])
    assert len({r.task.data_fingerprint for r in runs}) == len(runs) == 2
    latest = max(runs, key=lambda r: r.created)
    samples = [json.loads(line) for line in (latest.folder / "samples.jsonl").open()]
    assert [s["id"] for s in samples if not s["cached"]] == ["cap-002"]
