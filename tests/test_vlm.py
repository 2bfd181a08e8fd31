"""hf-vlm: tiny random BLIP and BLIP-2 (image + text prefix) and LLaVA (chat template with an image turn)
models built offline, on the 12 real COCO images when the shared data is here and on drawn
images: the same captions whatever the batch size, and the same as `model.generate` called
one image at a time (CPU, float32)."""
from pathlib import Path

import pytest

from harness.testing import tiny_vlms
from harness.engine import EngineSettings, generate
from harness.errors import UsageError
from harness.models.hf.vlm import HFVLM
from harness.testing import shared_data
from harness.types import GenerateConfig, Request

CONFIG = GenerateConfig(max_new_tokens=6)
BUILDERS = {"blip": tiny_vlms.build_blip, "blip2": tiny_vlms.build_blip2,
            "llava": tiny_vlms.build_llava}


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    root = tmp_path_factory.getbasetemp() / "tiny-vlms"
    return {name: build(root / name) for name, build in BUILDERS.items()}


@pytest.fixture(scope="module")
def coco():
    data = shared_data()
    folder = data / "captioning" / "coco_images12" / "images" if data else None
    if not (folder and folder.is_dir()):
        pytest.skip("the 12 COCO images are not here (../shared/data/captioning/coco_images12)")
    return sorted(folder.glob("*.jpg"))


@pytest.fixture(scope="module")
def drawn(tmp_path_factory):
    """PNGs and JPEGs of several sizes and aspect ratios, drawn with PIL."""
    from PIL import Image, ImageDraw
    folder = tmp_path_factory.mktemp("drawn")
    paths = []
    for i in range(7):
        image = Image.new("RGB", (40 + 23 * i, 90 - 9 * i), (30 * i, 220 - 25 * i, 60 + 20 * i))
        ImageDraw.Draw(image).rectangle((3, 4, 20 + 3 * i, 30), fill=(250, 250 - 30 * i, 10))
        path = folder / f"drawn{i}.{'jpg' if i % 2 else 'png'}"
        image.save(path)
        paths.append(path)
    return paths


def requests(paths, prompt=None, config=CONFIG):
    return [Request(Path(p).stem, prompt, config, image=str(p)) for p in paths]


def run(model, reqs, **kw):
    return generate(model, reqs, EngineSettings(use_cache=False, progress=False, **kw))


def one_at_a_time(model: HFVLM, reqs):
    """Plain ``processor`` + ``model.generate`` per image, decoded up to the first eos."""
    import torch
    from PIL import Image
    network, processor = model.network, model.processor
    eos = {network.generation_config.eos_token_id, model.tokenizer.eos_token_id}
    out = []
    for request in reqs:
        text = model.text(request)
        image = Image.open(request.image).convert("RGB")
        inputs = processor(images=image, text=text or None, return_tensors="pt",
                           add_special_tokens=not model.is_chat())
        with torch.inference_mode():
            tokens = network.generate(**inputs, max_new_tokens=CONFIG.max_new_tokens,
                                      do_sample=False)[0, model.output_start(dict(inputs)):].tolist()
        end = next((i + 1 for i, t in enumerate(tokens) if t in eos), len(tokens))
        out.append(model.tokenizer.decode(tokens[:end], skip_special_tokens=True))
    return out


CASES = [("blip", None), ("blip", "a picture of"), ("blip2", None), ("blip2", "a picture of"),
         ("llava", None), ("llava", "What is shown?")]


@pytest.mark.parametrize("kind, prompt", CASES)
def test_captions_do_not_depend_on_the_batch_and_equal_plain_generate(folders, drawn, kind, prompt):
    model = HFVLM(str(folders[kind]))
    reqs = requests(drawn, prompt)
    single, _ = run(model, reqs, batch_size=1)
    for batching in (dict(batch_size=3), dict(batch_size="auto")):
        together, _ = run(model, reqs, **batching)
        assert [(g.text, g.num_tokens, g.finish_reason) for g in together] == \
            [(g.text, g.num_tokens, g.finish_reason) for g in single], batching
    assert [g.text for g in single] == one_at_a_time(model, reqs)
    assert all(0 < g.num_tokens <= CONFIG.max_new_tokens for g in single)
    model.close()


@pytest.mark.parametrize("kind", ["blip", "blip2", "llava"])
def test_the_real_coco_images(folders, coco, kind):
    assert len(coco) == 12
    model = HFVLM(str(folders[kind]), image_workers=3)
    reqs = requests(coco)
    single, _ = run(model, reqs, batch_size=1)
    together, accounting = run(model, reqs)
    assert [g.text for g in together] == [g.text for g in single] == one_at_a_time(model, reqs)
    assert accounting.n_generated == 12 and accounting.batches.count < 12
    assert len({g.text for g in single}) > 3  # the captions depend on the image
    model.close()


def test_style_follows_the_processor_and_a_model_arg_overrides_the_prompt(folders, drawn):
    blip, llava = HFVLM(str(folders["blip"])), HFVLM(str(folders["llava"]), prompt="Caption:")
    request = requests(drawn[:1], "a photo of")[0]
    assert not blip.is_chat() and blip.text(request) == "a photo of"
    assert llava.is_chat() and llava.text(request).endswith("<image>Caption:assistant:")
    assert HFVLM(str(folders["llava"])).text(requests(drawn[:1])[0]).endswith(
        "Describe the image in one sentence.assistant:")
    with pytest.raises(UsageError, match="style=chat, but the processor has no chat template"):
        HFVLM(str(folders["blip"]), style="chat").is_chat()


def test_the_prompt_and_style_are_in_the_cache_key(folders):
    plain = HFVLM(str(folders["llava"])).output_settings()
    assert plain != HFVLM(str(folders["llava"]), prompt="Caption:").output_settings()
    assert plain != HFVLM(str(folders["llava"]), style="prefix").output_settings()


def test_an_unreadable_image_is_that_examples_error(folders, drawn, tmp_path):
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"not a jpeg")
    out, accounting = run(HFVLM(str(folders["blip"])), requests([*drawn[:3], broken]),
                          on_error="skip")
    assert [g.example_id for g in out if g.error] == ["broken"] and "cannot read image" in out[3].error
    assert accounting.n_generated == 3
