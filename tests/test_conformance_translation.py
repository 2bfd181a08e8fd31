"""WMT golden scores (sacrebleu 2.6.0, shared/data/translation) through build_metric + score.

BLEU for every system and reference set; chrF for every system against both references
(WMT21) and a few WMT17 systems; chrF++ / eps-smoothing variants and TER on a few systems
(TER is slow in sacrebleu). Tolerance 0.01 on the 0-100 scale; we are in fact exact.
"""
from __future__ import annotations

import pytest

from harness.metrics.scoring import build_metric, score
from harness.testing.golden import golden_translation_cases

CASES = golden_translation_cases()
pytestmark = pytest.mark.skipif(not CASES, reason="shared evaluation data not found")

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


@pytest.mark.parametrize("case", ALL_REFS + SINGLE_REF_WMT21[::7], ids=lambda c: c.name)
def test_bleu(case):
    assert_matches_golden(case, "bleu", "bleu")
    counts = build_metric("bleu").details(build_metric("bleu").statistics(case.corpus()))["counts"]
    assert counts == case.expected["bleu"]["counts"]


@pytest.mark.parametrize("case", WMT21_ALL + WMT17[::5], ids=lambda c: c.name)
def test_chrf(case):
    assert_matches_golden(case, "chrf", "chrf")


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_chrf_variants(variant):
    assert_matches_golden(WMT21_ALL[0], VARIANTS[variant], variant)


def test_chrf_plus_plus_eps_matches_official_script_system():
    # FBK is one of the two systems sacrebleu's test.sh checks against chrF++.py
    fbk = next(c for c in WMT17 if c.system.startswith("FBK"))
    assert_matches_golden(fbk, VARIANTS["chrf++_eps"], "chrf++_eps")


def test_ter():
    # one system: sacrebleu's TER is slow; multi-reference TER is checked in test_metrics_sacrebleu
    assert_matches_golden(SINGLE_REF_WMT21[3], "ter", "ter")
