"""Image captioning through the engine: real JPEGs, background decoding, unreadable files."""
import threading
from pathlib import Path

import pytest

from harness.testing import tiny_models
from harness.engine import EngineSettings, generate
from harness.errors import HarnessError
from harness.models.base import ExampleError
from harness.models.hf.vision import HFVision2Seq
from harness.types import GenerateConfig, Request

CONFIG = GenerateConfig(max_new_tokens=6)


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return tiny_models.build_all(tmp_path_factory.getbasetemp() / "tiny-models")["vision2seq"]


def requests(paths, prompt=None):
    return [Request(example_id=Path(p).stem, prompt=prompt, config=CONFIG, image=str(p)) for p in paths]


def run(model, reqs, **kw):
    return generate(model, reqs, EngineSettings(use_cache=False, progress=False, **kw))


def test_captions_do_not_depend_on_batching(folder, images):
    model = HFVision2Seq(str(folder))
    one, _ = run(model, requests(images), batch_size=1)
    together, acc = run(model, requests(images))
    assert [(g.example_id, g.text, g.num_tokens) for g in together] == \
        [(g.example_id, g.text, g.num_tokens) for g in one]
    assert all(g.num_tokens == 6 and g.prompt_tokens == 17 for g in one)  # (32/8)^2 + 1 patches
    assert acc.padding_efficiency == 1.0
    model.close()


def test_images_are_decoded_in_worker_threads(folder, images, monkeypatch):
    model = HFVision2Seq(str(folder), image_workers=3)
    readers = set()
    original = model._read

    def recording_read(example_id, location):
        readers.add(threading.current_thread().name)
        return original(example_id, location)

    monkeypatch.setattr(model, "_read", recording_read)
    run(model, requests(images), batch_size=2)
    assert readers and all(name.startswith("harness-images") for name in readers)
    model.close()


def test_a_text_prefix_is_continued(folder, images):
    model = HFVision2Seq(str(folder))
    out, _ = run(model, requests(images[:2], prompt="A photo of"))
    encoded = model.encode(requests(images[:1], prompt="A photo of"))[0]
    assert encoded.length > 17 and all(g.num_tokens == 6 for g in out)
    model.close()


@pytest.mark.parametrize("content", [b"", b"not an image at all", b"\xff\xd8\xff\xe0 truncated jpeg"])
def test_an_unreadable_image_names_the_example_and_path(folder, images, tmp_path, content):
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(content)
    reqs = requests(images[:3]) + [Request(example_id="img-77", prompt=None, config=CONFIG,
                                           image=str(broken))]
    with pytest.raises(HarnessError, match=f"example 'img-77'.*{broken}.*--on-error skip"):
        run(HFVision2Seq(str(folder)), reqs)


def test_a_missing_image_names_the_example_and_path(folder, tmp_path):
    missing = tmp_path / "gone.png"
    with pytest.raises(HarnessError, match=f"example 'gone'.*{missing}"):
        run(HFVision2Seq(str(folder)), requests([missing]))


def test_on_error_skip_records_the_unreadable_image_and_a_rerun_retries_only_it(folder, images, tmp_path):
    broken = tmp_path / "later.jpg"
    broken.write_bytes(b"not yet an image")
    reqs = requests(images[:4]) + [Request(example_id="img-77", prompt=None, config=CONFIG,
                                           image=str(broken))]
    settings = EngineSettings(cache_dir=tmp_path / "cache", progress=False, on_error="skip")
    out, accounting = generate(HFVision2Seq(str(folder)), reqs, settings)
    assert [g.error is None for g in out] == [True] * 4 + [False]
    assert "img-77" in out[-1].error and str(broken) in out[-1].error and out[-1].text == ""
    assert accounting.n_errors == 1 and accounting.n_generated == 4

    broken.write_bytes(Path(images[5]).read_bytes())  # the file arrives: only it is generated
    again, accounting = generate(HFVision2Seq(str(folder)), reqs, settings)
    assert all(g.error is None for g in again) and all(g.cached for g in again[:4])
    assert [g.text for g in again[:4]] == [g.text for g in out[:4]]
    assert accounting.n_cached == 4 and accounting.n_generated == 1


def test_an_example_error_names_its_example():
    error = ExampleError("x", "why")
    assert isinstance(error, HarnessError) and str(error) == "example 'x': why"
