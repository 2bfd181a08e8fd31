"""WMT golden scores (sacrebleu 2.6.0) through build_metric + score.

On every clone: the shipped WMT17 en-de subset (tests/data/conformance, 150 segments, 4 systems)
and, for several references, the shipped COCO captions (100 images, 5 or 6 references): BLEU,
chrF, chrF++, eps variants, TER and the --confidence intervals. With the full shared data
(shared/data/translation): BLEU for every system and reference set; chrF for every system
against both references (WMT21) and a few WMT17 systems; chrF++ / eps-smoothing variants and
TER on a few systems (TER is slow in sacrebleu). Tolerance 0.01 on the 0-100 scale; we are in
fact exact.
"""
from __future__ import annotations

import dataclasses

import pytest

from harness.metrics.scoring import build_metric, score
from harness.testing.golden import golden_captioning_cases, golden_translation_cases

SHIPPED = golden_translation_cases(origin="shipped")
# multi-reference scoring on real, shippable data: the COCO captions (5 or 6 references each,
# sacrebleu's nrefs:var), with sacrebleu's goldens stored beside the captioning ones
MULTI_REF = [dataclasses.replace(c, expected=c.expected["sacrebleu"]["scores"],
                                 signatures=c.expected["sacrebleu"]["signatures"])
             for c in golden_captioning_cases("coco_fakecap", origin="shipped")]
CASES = golden_translation_cases()  # empty without the shared data: those cases drop out

ALL_REFS = [c for c in CASES if c.refset in ("ref-all", "ref")]
WMT21_ALL = [c for c in ALL_REFS if c.dataset.startswith("wmt21")]
WMT17 = [c for c in ALL_REFS if c.dataset.startswith("wmt17")]
SINGLE_REF_WMT21 = [c for c in CASES if c.refset in ("ref-A", "ref-B")]
VARIANTS = {"chrf": {"name": "chrf"}, "chrf_eps": {"name": "chrf", "eps_smoothing": True},
            "chrf++": {"name": "chrf++"}, "chrf++_eps": {"name": "chrf", "word_order": 2, "eps_smoothing": True}}


def assert_matches_golden(case, spec, golden_key: str) -> None:
    metric = build_metric(spec)
    result, stats = score(metric, case.corpus(), data_fingerprint="0123456789abcdef", n_bootstrap=0)
    assert result.score == pytest.approx(case.expected[golden_key]["score"], abs=0.01), case.name
    assert len(stats) == len(case.predictions)
    # the signature is sacrebleu's own text, prefixed by our metric name (chrF adds beta,
    # which sacrebleu keeps in the metric's name) and followed by the data fingerprint
    assert result.signature.without("beta", "data").format() == f"{metric.name}|{case.signatures[golden_key]}"
    assert result.signature.get("data") == "01234567"


def test_subset_is_shipped():
    # the subset is what makes this file run on a bare clone; losing it must fail, not skip
    assert len(SHIPPED) == 4 and all(len(c.ids) == 150 for c in SHIPPED)
    assert [sorted({len(r) for r in c.references}) for c in MULTI_REF] == [[5, 6]]


@pytest.mark.parametrize("case", SHIPPED + MULTI_REF + ALL_REFS + SINGLE_REF_WMT21[::7], ids=lambda c: c.name)
def test_bleu(case):
    assert_matches_golden(case, "bleu", "bleu")
    counts = build_metric("bleu").details(build_metric("bleu").statistics(case.corpus()))["counts"]
    assert counts == case.expected["bleu"]["counts"]


@pytest.mark.parametrize("case", SHIPPED + MULTI_REF + WMT21_ALL + WMT17[::5], ids=lambda c: c.name)
def test_chrf(case):
    assert_matches_golden(case, "chrf", "chrf")


@pytest.mark.parametrize("case", SHIPPED + MULTI_REF + WMT21_ALL[:1], ids=lambda c: c.name)
@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_chrf_variants(variant, case):
    assert_matches_golden(case, VARIANTS[variant], variant)


@pytest.mark.parametrize("case", [c for c in SHIPPED + WMT17 if c.system.startswith("FBK")], ids=lambda c: c.name)
def test_chrf_plus_plus_eps_matches_official_script_system(case):
    # FBK is one of the two systems sacrebleu's test.sh checks against chrF++.py
    assert_matches_golden(case, VARIANTS["chrf++_eps"], "chrf++_eps")


@pytest.mark.parametrize("case", SHIPPED + MULTI_REF + SINGLE_REF_WMT21[3:4], ids=lambda c: c.name)
def test_ter(case):
    # few systems: sacrebleu's TER is slow; multi-reference TER is checked in test_metrics_sacrebleu
    assert_matches_golden(case, "ter", "ter")


@pytest.mark.parametrize("case", SHIPPED + MULTI_REF, ids=lambda c: c.name)
@pytest.mark.parametrize("name", ["bleu", "chrf"])
def test_confidence_interval_equals_sacrebleus(case, name):
    # sacrebleu's --confidence (1000 resamples, its default seed 12345), recorded by the build
    # script; within 1e-5 because sacrebleu keeps its statistics in float32
    golden = case.expected[name]["confidence"]
    metric = build_metric(name)
    result, _ = score(metric, case.corpus(), data_fingerprint="0123456789abcdef", n_bootstrap=1000, seed=12345)
    assert result.ci.mean == pytest.approx(golden["mean"], abs=1e-5)
    assert result.ci.half_width == pytest.approx(golden["half_width"], abs=1e-5)
    assert result.ci_signature.without("beta", "data").format() == f"{metric.name}|{golden['signature']}"
