"""COCO caption golden scores (pycocoevalcap 1.2) through build_metric + score.

On every clone: the shipped COCO fakecap subset (tests/data/conformance, 100 images, goldens
from pycocoevalcap with the Java PTB tokenizer and METEOR). With the full shared data
(shared/data/captioning): every fakecap and Flickr30k system and four MSCOCO systems. All with
the Java-free PTB tokenizer; the fakecap system also with the Java tokenizer and METEOR when
Java is present. Corpus scores within 1e-4 on the x100 scale; CIDEr per image within 1e-9 of
pycocoevalcap (x10 scale); nlg-eval's vectors with whitespace tokens.
"""
from __future__ import annotations

import shutil

import numpy as np
import pytest

from harness.metrics.base import Corpus
from harness.metrics.scoring import build_metric, score
from harness.testing import SHIPPED_DATA
from harness.testing.golden import golden_captioning_cases, load_json, vectors_folders

SHIPPED = golden_captioning_cases(origin="shipped")
CASES = golden_captioning_cases()  # empty without the shared data: those cases drop out
MSCOCO_SAMPLE = ("magic", "clipre", "zerocap", "top_k_run_2")
SCORED = SHIPPED + [c for c in CASES if c.dataset != "magic_mscoco" or c.system in MSCOCO_SAMPLE]
FAKECAP = [c for c in SHIPPED + CASES if c.dataset == "coco_fakecap"]
METRICS = {"coco_bleu1": "Bleu_1", "coco_bleu2": "Bleu_2", "coco_bleu3": "Bleu_3", "coco_bleu4": "Bleu_4",
           "coco_rougeL": "ROUGE_L", "cider": "CIDEr"}
HAS_JAVA = shutil.which("java") is not None
needs_data = pytest.mark.skipif(not CASES, reason="shared evaluation data not found")


def test_subset_is_shipped():
    # the subset is what makes this file run on a bare clone; losing it must fail, not skip
    assert [len(c.ids) for c in SHIPPED] == [100]
    assert load_json(SHIPPED_DATA / "captioning/coco_fakecap/expected.json")["java_ran"] is True


def _scores(corpus: Corpus, tokenizer: str, names=METRICS) -> dict:
    out = {}
    for name in names:
        result, stats = score(build_metric({"name": name, "tokenizer": tokenizer}), corpus,
                              data_fingerprint="c" * 16, n_bootstrap=0)
        out[name] = (result, stats)
    return out


@pytest.mark.parametrize("case", SCORED, ids=lambda c: c.name)
def test_system_scores(case):
    results = _scores(case.corpus(), "ptb-python")
    for name, key in METRICS.items():
        assert results[name][0].score == pytest.approx(case.expected[key] * 100, abs=1e-4), name
    stats = results["coco_bleu4"][1].sum(axis=0)
    bleu = case.expected["bleu_stats"]
    assert [stats[0], stats[1]] == [bleu["testlen"], bleu["reflen"]]
    assert list(stats[2:6]) == bleu["guess"] and list(stats[6:10]) == bleu["correct"]


@needs_data
def test_common_image_subset_changes_cider():
    # CIDEr-D's document frequencies come from the scored images: another image set, another number
    golden = load_json(_mscoco_expected())["on_common_images"]
    case = next(c for c in CASES if c.dataset == "magic_mscoco" and c.system == "zerocap")
    keep = set(next(c for c in CASES if c.dataset == "magic_mscoco" and c.system == "magic").ids)
    rows = [i for i, image in enumerate(case.ids) if image in keep]
    corpus = Corpus([case.predictions[i] for i in rows], [list(case.references[i]) for i in rows])
    result, _ = score(build_metric({"name": "cider", "tokenizer": "ptb-python"}), corpus,
                      data_fingerprint="c" * 16, n_bootstrap=0)
    assert len(rows) == golden["n_images"]
    assert result.score == pytest.approx(golden["systems"]["zerocap"]["CIDEr"] * 100, abs=1e-4)
    assert abs(result.score - case.expected["CIDEr"] * 100) > 1e-3


def _mscoco_expected():
    from harness.testing import shared_data
    return shared_data() / "captioning" / "magic_mscoco" / "expected.json"


@pytest.mark.parametrize("case", FAKECAP, ids=lambda c: c.name)
def test_fakecap_per_image_scores(case):
    results = _scores(case.corpus(), "ptb-python", ["cider", "coco_bleu2", "coco_rougeL"])
    per_image = case.expected["per_image"]
    assert [str(p["id"]) for p in per_image] == list(case.ids)
    cider = results["cider"][1][:, 0]  # statistics are pycocoevalcap's x10 per-image values
    assert np.max(np.abs(cider - [p["CIDEr"] for p in per_image])) < 1e-9
    for name, key in (("coco_bleu2", "Bleu_2"), ("coco_rougeL", "ROUGE_L")):
        ours = np.array(results[name][0].per_example) / 100
        assert np.max(np.abs(ours - [p[key] for p in per_image])) < 1e-12, name


FLICKR_MAGIC = [c for c in CASES if c.dataset == "magic_flickr30k" and c.system == "magic"]


@pytest.mark.parametrize("case", SHIPPED + FLICKR_MAGIC, ids=lambda c: c.name)
def test_cider_per_image_equals_pycocoevalcap_live(case):
    from pycocoevalcap.cider.cider import Cider
    from harness.metrics.coco import coco_tokens
    corpus = case.corpus()
    stats = build_metric({"name": "cider", "tokenizer": "ptb-python"}).statistics(corpus)
    hyps, refs = coco_tokens(corpus, "ptb-python")
    _, theirs = Cider().compute_score({i: r for i, r in enumerate(refs)}, {i: [h] for i, h in enumerate(hyps)})
    assert np.max(np.abs(stats[:, 0] - theirs)) < 1e-9


@pytest.mark.skipif(not HAS_JAVA, reason="java not on PATH")
@pytest.mark.parametrize("case", FAKECAP, ids=lambda c: c.name)
def test_java_tokenizer_and_meteor(case):
    names = {**METRICS, "meteor": "METEOR"}
    results = _scores(case.corpus(), "ptb-java", names)
    for name, key in names.items():
        assert results[name][0].score == pytest.approx(case.expected[key] * 100, abs=1e-4), name
        assert results[name][0].signature.get("tok") == "ptb-java"
    meteor = results["meteor"][0].per_example
    assert np.max(np.abs(np.array(meteor) / 100 - [p["METEOR"] for p in case.expected["per_image"]])) < 1e-9


NLGEVAL = vectors_folders("nlgeval_examples")  # the shipped copy first


@pytest.mark.parametrize("origin, folder", NLGEVAL, ids=[o for o, _ in NLGEVAL])
def test_nlgeval_vectors_with_whitespace_tokens(origin, folder):
    read = lambda name: (folder / name).read_text(encoding="utf-8").splitlines()
    corpus = Corpus(read("hyp.txt"), [list(pair) for pair in zip(read("ref1.txt"), read("ref2.txt"))])
    golden = load_json(folder / "expected.json")["comparison"]
    names = {**METRICS, **({"meteor": "METEOR"} if HAS_JAVA else {})}
    results = _scores(corpus, "none", names)
    for name, key in names.items():
        assert results[name][0].score == pytest.approx(golden[key]["ours"] * 100, abs=1e-4), name
        assert results[name][0].score == pytest.approx(golden[key]["published"] * 100, abs=1e-3), name
