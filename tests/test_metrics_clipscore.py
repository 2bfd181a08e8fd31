"""clipscore and refclipscore against Hessel et al.'s formulas computed here, one text and one
image at a time, straight from a tiny CLIPModel; real COCO images and captions where the shared
data is (else drawn images and the demo's captions); then both through `harness run` and
`harness compare` with bertscore beside them."""
from __future__ import annotations

import json

import numpy as np
import pytest

from harness.errors import DataError
from harness.metrics.base import Corpus
from harness.metrics.scoring import build_metric
from harness.testing import REPO_ROOT, shared_data
from harness.testing.tiny import build_bertscore, build_clip
from conftest import run_main, write_jsonl

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

PROMPT, W = "A photo depicts ", 2.5  # the paper's prompt and weight


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    return build_clip(tmp_path_factory.mktemp("models") / "clip")


@pytest.fixture(scope="module")
def captioned(images):
    """(image paths, captions per image): COCO's references, or the demo task's."""
    data = shared_data()
    rows = data / "captioning" / "coco_images12" / "test.jsonl" if data else None
    if not (rows and rows.is_file()):
        rows = REPO_ROOT / "tasks" / "demo" / "captioning.jsonl"
    refs = [json.loads(line)["references"] for line in rows.read_text().splitlines()]
    return [str(p) for p in images], refs[:len(images)]


def paper_scores(clip, captions, references, images):
    """CLIP-S and RefCLIP-S per example, and the raw cosines, by the paper's definitions."""
    from PIL import Image
    from transformers import CLIPModel, CLIPProcessor
    model, processor = CLIPModel.from_pretrained(clip).eval(), CLIPProcessor.from_pretrained(clip)

    def text(t):
        inputs = processor.tokenizer([PROMPT + t], truncation=True, max_length=77, return_tensors="pt")
        with torch.no_grad():
            return torch.nn.functional.normalize(model.get_text_features(**inputs).pooler_output[0].double(), dim=0)

    def image(path):
        pixels = processor.image_processor(images=[Image.open(path).convert("RGB")], return_tensors="pt")
        with torch.no_grad():
            return torch.nn.functional.normalize(model.get_image_features(**pixels).pooler_output[0].double(), dim=0)

    cosines, clip_s, refclip_s = [], [], []
    for caption, refs, path in zip(captions, references, images):
        c = text(caption)
        cos = float(c @ image(path))
        best = max(0.0, max(float(c @ text(r)) for r in refs))
        score = W * max(cos, 0.0)
        cosines.append(cos)
        clip_s.append(score)
        refclip_s.append(2 * score * best / (score + best) if score + best > 0 else 0.0)
    return np.array(cosines), np.array(clip_s), np.array(refclip_s)


def test_scores_equal_the_papers_formulas_at_any_batch_size(tmp_path, captioned):
    images, refs = captioned
    # each image's first caption as the prediction, one made too long for 77 positions
    captions = [r[0] for r in refs]
    captions[1] = " ".join([captions[1]] * 12)
    others = [r[1:] for r in refs]
    # a random tiny CLIP may put every caption on the far side of its image (CLIP-S all 0, an
    # equality that proves nothing): the first seed whose scores can be told apart
    for seed in range(12):
        clip = build_clip(tmp_path / f"clip-{seed}", seed=seed)
        cosines, clip_s, refclip_s = paper_scores(clip, captions, others, images)
        if (cosines > 0).any() and np.ptp(refclip_s) > 0.01:
            break
    assert (cosines > 0).any() and np.ptp(refclip_s) > 0.01  # scores to tell apart, not all zeros
    corpus = Corpus(captions, others, ids=[f"img{i}" for i in range(len(images))], images=images)
    for batch_size in (1, 5, 0):  # 0: auto
        plain = build_metric({"name": "clipscore", "model": str(clip), "batch_size": batch_size})
        ref = build_metric({"name": "refclipscore", "model": str(clip), "batch_size": batch_size})
        stats, ref_stats = plain.statistics(corpus), ref.statistics(corpus)
        np.testing.assert_allclose(stats[:, 0], clip_s, atol=1e-6, rtol=0)
        np.testing.assert_allclose(ref_stats[:, 0], refclip_s, atol=1e-6, rtol=0)
        assert plain.details(stats)["truncated"] == 1 == ref.details(ref_stats)["truncated"]
    assert plain.signature(corpus).format().startswith("clipscore|w:2.5|prompt:A photo depicts|model:")
    missing = Corpus(captions[:1], others[:1], ids=["img0"], images=["/nonexistent/img0.jpg"])
    with pytest.raises(DataError, match=r"example 'img0': cannot read image /nonexistent/img0.jpg"):
        plain.statistics(missing)


def test_run_and_compare_through_the_cli(clip, tmp_path, capsys):
    roberta = build_bertscore(tmp_path / "roberta")
    rows = [json.loads(line) for line in (REPO_ROOT / "tasks/demo/captioning.jsonl").read_text().splitlines()[:8]]
    metrics = f"clipscore:model={clip},refclipscore:model={clip},bertscore:model={roberta}:num_layers=2"
    folders = []
    for name, caption in (("good", lambda r: r["references"][0]), ("bad", lambda r: "a photo")):
        preds = write_jsonl(tmp_path / f"{name}.jsonl", [{"id": r["id"], "prediction": caption(r)} for r in rows])
        rc, out, err = run_main(capsys, "run", "--model", f"predictions:{preds}", "--tasks", "demo-captioning",
                                "--limit", "8", "--metrics", metrics, "--output", str(tmp_path / name))
        assert rc == 0, err
        folders.append(str(tmp_path / name))
    rc, out, err = run_main(capsys, "compare", *folders)
    assert rc == 0, err
    assert "bertscore" in out and "worse*" in out and "refclipscore|nrefs:var|refs:max|w:2.5" in out


def test_weights_missing_offline_stop_the_run_before_it_starts(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    preds = write_jsonl(tmp_path / "p.jsonl", [{"id": "cap-001", "prediction": "a square"}])
    rc, out, err = run_main(capsys, "run", "--model", f"predictions:{preds}", "--tasks", "demo-captioning",
                            "--limit", "1", "--metrics", "clipscore:model=harness-tests/absent-clip",
                            "--output", str(tmp_path / "out"))
    assert rc == 2 and "hf download harness-tests/absent-clip" in err and "Traceback" not in err
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").rglob("run.json"))
