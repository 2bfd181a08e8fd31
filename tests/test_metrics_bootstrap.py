"""Bootstrap intervals and paired tests over statistics rows, against sacrebleu's significance.py.

sacrebleu keeps resampled statistics in float32 and NumPy 2 carries float32 through its
BLEU precision arithmetic; we sum in float64. The draws are identical, so bootstrap means
and half-widths agree to ~1e-6 (far inside their own noise), and p-values exactly.
"""
from __future__ import annotations

import re

import numpy as np
import pytest
from sacrebleu.metrics import BLEU, CHRF

from harness.metrics import bootstrap
from harness.metrics.base import Corpus, Metric
from harness.metrics.bootstrap import (bootstrap_ci, bootstrap_interval, paired_approximate_randomization,
                                       paired_bootstrap, resample_totals)
from harness.metrics.scoring import build_metric, score
from harness.testing import shared_data
from harness.testing.golden import sacrebleu_paired, wmt_cases

# WMT21 de-en against both references with the shared data (sacrebleu's paired output stored
# beside it), else the shipped WMT17 subset, where sacrebleu runs its paired tests here
CASES = {c.system: c for c in wmt_cases()}
SHARED = "UEdin" in CASES
PAIRS = [("UEdin", ["VolcTrans-AT", "UF", "Borderline"]), ("Facebook-AI", ["Online-W"])] if SHARED else \
    [("uedin-nmt.4722", ["FBK.4870", "online-A.0"]), ("PROMT-Rule-based.4735", ["uedin-nmt.4722"])]


@pytest.mark.parametrize("name, reference", [("bleu", BLEU), ("chrf", CHRF)])
def test_bootstrap_equals_sacrebleus_confidence(name, reference):
    case = CASES[PAIRS[0][0]]
    metric = build_metric(name)
    stats = metric.statistics(case.corpus())
    ours = bootstrap_interval(metric, stats, n=1000, seed=12345)
    streams = [[r[j] for r in case.references] for j in range(len(case.references[0]))]
    theirs = reference().corpus_score(list(case.predictions), streams, n_bootstrap=1000)
    assert ours.mean == pytest.approx(theirs._mean, abs=1e-5)
    assert ours.half_width == pytest.approx(theirs._ci, abs=1e-5)
    assert bootstrap_ci(metric, stats) == (ours.lo, ours.hi)


def _sacrebleu_table(path) -> dict:
    """System -> (BLEU p, chrF p) and (BLEU μ, ± , chrF μ, ±) from sacrebleu's text output."""
    rows, current = {}, None
    for line in path.read_text(encoding="utf-8").splitlines():
        system = re.match(r"│\s+(?:Baseline: )?(\S+)\.txt\s+│", line)
        if system:
            current = system.group(1)
            rows[current] = {"ci": [float(x) for x in re.findall(r"\(([\d.]+) ± ([\d.]+)\)", line)
                                    for x in x] if "±" in line else None}
        p_values = re.findall(r"p = ([\d.]+)", line)
        if p_values and current:
            rows[current]["p"] = [float(p) for p in p_values]
    return rows


def _paired_table(kind: str, baseline: str, systems: list[str]) -> dict:
    if SHARED:
        return _sacrebleu_table(shared_data() / "translation" / "wmt21_newstest2021_de-en" /
                                "paired_sacrebleu" / f"paired_{kind}_baseline_{baseline}.txt")
    return sacrebleu_paired(CASES[baseline], [CASES[s] for s in systems], kind)


@pytest.mark.parametrize("baseline, systems", PAIRS)
def test_paired_tests_reproduce_sacrebleu(baseline, systems):
    bs_table, ar_table = _paired_table("bs", baseline, systems), _paired_table("ar", baseline, systems)
    for column, name in enumerate(("bleu", "chrf")):
        metric = build_metric(name)
        base = metric.statistics(CASES[baseline].corpus())
        for system in systems:
            other = metric.statistics(CASES[system].corpus())
            bs = paired_bootstrap(metric, base, other, n=1000, seed=12345)
            ar = paired_approximate_randomization(metric, base, other, n=10000, seed=12345)
            assert round(bs.p_value, 4) == bs_table[system]["p"][column], (system, name)
            assert round(ar.p_value, 4) == ar_table[system]["p"][column], (system, name)
            mean, half = bs_table[system]["ci"][2 * column:2 * column + 2]
            assert (round(bs.mean_b, 1), round(bs.half_width_b, 1)) == (mean, half)


def test_resample_totals_is_a_sum_of_resampled_rows(monkeypatch):
    rng = np.random.default_rng(0)
    stats = rng.integers(0, 9, size=(50, 3)).astype(float)
    samples = rng.integers(0, 50, size=(40, 50))
    expected = stats[samples].sum(axis=1)
    assert np.array_equal(resample_totals(stats, samples), expected)
    monkeypatch.setattr(bootstrap, "_CHUNK_CELLS", 120)  # several blocks of resamples
    assert np.array_equal(resample_totals(stats, samples), expected)


class MeanOfFirstColumn(Metric):
    """A plugin-style metric with only aggregate(): the generic (slow) paths must agree."""

    name = "mean-first"

    def aggregate(self, stats):
        return float(100 * stats[:, 0].mean())


def test_generic_and_vectorised_paths_agree_for_mean_metrics():
    corpus = Corpus(["the cat sat", "a dog", "birds fly high", "x", "the end"] * 4,
                    [["the cat sat down"], ["a dog barks"], ["birds fly"], ["y"], ["the end"]] * 4)
    rouge = build_metric("rouge1")
    stats = rouge.statistics(corpus)
    other = build_metric("rouge1").statistics(Corpus(list(reversed(corpus.predictions)), corpus.references))
    plain = MeanOfFirstColumn()
    samples = bootstrap.draw_indices(len(stats), 200, 1)
    assert np.allclose(rouge.aggregate_many(stats, samples), plain.aggregate_many(stats, samples))
    fast = paired_approximate_randomization(rouge, stats, other, n=300, seed=3)
    slow = paired_approximate_randomization(plain, stats, other, n=300, seed=3)
    assert fast.p_value == slow.p_value


def test_score_reports_interval_and_sacrebleu_style_summary():
    corpus = Corpus(["the cat sat on the mat", "a dog barks", "hello world", "good morning all"],
                    [["the cat sat on a mat"], ["the dog barks"], ["hello there world"], ["good morning"]])
    first, stats = score(build_metric("chrf"), corpus, data_fingerprint="d" * 16, seed=7)
    again, _ = score(build_metric("chrf"), corpus, data_fingerprint="d" * 16, seed=7)
    other_seed, _ = score(build_metric("chrf"), corpus, data_fingerprint="d" * 16, seed=8)
    assert first.ci == again.ci and first.ci != other_seed.ci
    lo, hi = first.ci.lo, first.ci.hi
    assert lo <= first.ci.mean <= hi
    assert first.ci.half_width == pytest.approx((hi - lo) / 2)
    assert first.ci.resamples == 1000 and first.ci.seed == 7
    written = first.to_dict()
    assert written["ci95"] == [lo, hi] and written["details"]["bootstrap"]["seed"] == 7
    assert written["details"]["bootstrap"]["signature"] == first.ci_signature.format()
    assert first.ci_signature.get("bs") == "1000" and first.ci_signature.get("seed") == "7"
    assert stats.shape == (4, 18) and len(first.per_example) == 4
    none, _ = score(build_metric("chrf"), corpus, data_fingerprint="d" * 16, n_bootstrap=0)
    assert none.ci is None and "bootstrap" not in none.details


def test_index_blocks_continue_one_stream(monkeypatch):
    monkeypatch.setattr(bootstrap, "_CHUNK_CELLS", 3 * 37)  # blocks of 3 resamples
    blocks = list(bootstrap.index_blocks(37, 10, seed=12345))
    assert [len(b) for b in blocks] == [3, 3, 3, 1]
    assert np.array_equal(np.concatenate(blocks), bootstrap.draw_indices(37, 10, seed=12345))
