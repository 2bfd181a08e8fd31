"""Fingerprints and request keys come from content: where the data lies changes nothing, an
edited image changes its example, whatever its modification time says."""
import json
import os
import shutil
from pathlib import Path

import pytest
from PIL import Image

from harness import data
from harness.testing import tiny_models
from harness.engine import EngineSettings
from harness.errors import DataError
from harness.models.hf.vision import HFVision2Seq
from harness.run import RunOptions, evaluate
from harness.task import load_yaml_task
from harness.types import Example, GenerateConfig, InputKind, Request

TASKS = Path(__file__).resolve().parents[1] / "tasks"
CONFIG = GenerateConfig(max_new_tokens=5)


def copy_of_tasks(root: Path) -> Path:
    """A copy of tasks/demo and the demo-captioning definition, as in another checkout."""
    shutil.copytree(TASKS / "demo", root / "demo")
    shutil.copy(TASKS / "demo-captioning.yaml", root / "demo-captioning.yaml")
    return root


def load(root: Path, limit: int = 6) -> tuple[str, list[str], list[Example]]:
    task = load_yaml_task(root / "demo-captioning.yaml")
    examples = task.load_examples(limit=limit)
    keys = [r.key() for r in task.requests(examples, InputKind.IMAGE, CONFIG)]
    return data.fingerprint(examples), keys, examples


def repaint_in_place(path: Path) -> None:
    """New pixels at the same path, with the old modification time put back."""
    before = path.stat()
    with Image.open(path) as image:
        repainted = image.convert("RGB").transpose(Image.Transpose.ROTATE_90)
    repainted.save(path)
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert path.stat().st_mtime_ns == before.st_mtime_ns


def test_two_copies_of_the_data_agree(tmp_path):
    first = load(copy_of_tasks(tmp_path / "checkout-a"))
    second = load(copy_of_tasks(tmp_path / "elsewhere" / "checkout-b"))
    assert first[0] == second[0] and first[1] == second[1]
    # the paths still point into each copy, for reading
    assert first[2][0].image.startswith(str(tmp_path / "checkout-a"))
    assert str(tmp_path) not in json.dumps([ex.content() for ex in first[2]])


def test_an_image_rewritten_in_place_changes_its_example_only(tmp_path):
    root = copy_of_tasks(tmp_path)
    fingerprint, keys, examples = load(root)
    repaint_in_place(Path(examples[2].image))
    new_fingerprint, new_keys, _ = load(root)
    assert new_fingerprint != fingerprint
    assert [a == b for a, b in zip(keys, new_keys)] == [True, True, False, True, True, True]


def test_each_image_is_read_once_for_the_fingerprint_and_the_keys(tmp_path, monkeypatch):
    reads = []
    original = Example.digest_image
    monkeypatch.setattr(Example, "digest_image",
                        staticmethod(lambda where, name=None: reads.append(where) or original(where, name)))
    _, _, examples = load(copy_of_tasks(tmp_path))
    assert sorted(reads) == sorted(ex.image for ex in examples)


def test_a_request_without_a_digest_hashes_the_same_bytes(tmp_path):
    _, keys, examples = load(copy_of_tasks(tmp_path), limit=1)
    bare = Request(example_id="x", prompt=None, config=CONFIG, image=examples[0].image, chat=True)
    assert bare.key() == keys[0]


@pytest.mark.parametrize("image, digest", [
    ("https://images.cocodataset.org/val2014/x.jpg", "https://images.cocodataset.org/val2014/x.jpg"),
    (None, None),
])
def test_urls_and_text_examples(image, digest):
    example = Example("a", ("r",), source="s", image=image)
    assert example.image_digest == digest and example.content()["image"] == digest


def test_a_missing_image_stops_a_captioning_run_before_the_model_loads_or_is_skipped(tmp_path):
    root = copy_of_tasks(tmp_path)
    (root / "demo" / "images" / "cap-002.png").unlink()
    model = HFVision2Seq(str(tiny_models.build_vision2seq(tmp_path / "captioner")))
    options = RunOptions(limit=3, output=tmp_path / "out", n_bootstrap=0)
    task = str(root / "demo-captioning.yaml")
    with pytest.raises(DataError, match=r"captioning.jsonl:2: example 'cap-002': cannot read image "
                                        r".*cap-002.png.*--on-error skip"):
        evaluate("hf-vision2seq", [task], options, model=model)
    assert model._network is None  # nothing was loaded for a run that could not finish
    skip = EngineSettings(on_error="skip", progress=False, cache_dir=tmp_path / "cache")
    [record] = evaluate("hf-vision2seq", [task], options, engine_settings=skip,
                        model=HFVision2Seq(str(tmp_path / "captioner")))
    assert record.status == "partial" and [e.id for e in record.errors] == ["cap-002"]
    assert "cap-002.png" in record.errors[0].error and record.n_scored == 2


def test_unreadable_images_count_by_their_name_in_the_data(tmp_path):
    # scoring existing captions needs the references, not the pictures
    fingerprints = []
    for copy in ("a", "b"):
        root = copy_of_tasks(tmp_path / copy)
        shutil.rmtree(root / "demo" / "images")
        examples = data.load_file(root / "demo" / "captioning.jsonl")[:2]
        assert examples[0].content()["image"] == "unreadable:images/cap-001.png"
        fingerprints.append(data.fingerprint(examples))
    assert fingerprints[0] == fingerprints[1]
