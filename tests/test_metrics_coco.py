"""COCO metrics against pycocoevalcap's scorers, run in each test on the same tokens.

Edge cases, per-image statistics, the vectorised n-gram machinery (including vocabularies
past 16 bits) and the shared tokenization memo.
"""
from __future__ import annotations

import contextlib
import io
import random

import numpy as np
import pytest
from pycocoevalcap.bleu.bleu import Bleu
from pycocoevalcap.cider.cider import Cider
from pycocoevalcap.rouge.rouge import Rouge

from harness.metrics.base import Corpus
from harness.metrics.coco import coco_tokens
from harness.metrics.scoring import build_metric, score

# (id, prediction, references) — one image each; scored together as one corpus as well
EDGE_CASES = [
    ("empty-prediction", "", ["A man rides a horse.", "A person on a horse."]),
    ("empty-reference", "A dog runs on the beach.", ["", "A dog running along the sand."]),
    ("whitespace-prediction", "   ", ["Two cats sleep on a couch."]),
    ("identical", "A red bus parked on the street.", ["A red bus parked on the street.", "A bus."]),
    ("one-word", "Giraffe", ["A giraffe eating leaves.", "Giraffe"]),
    ("very-long", " ".join(["a large group of people standing"] * 60), ["People standing in a large group."]),
    ("chinese", "一只猫坐在垫子上", ["一只猫在垫子上", "猫"]),
    ("nfc-vs-nfd", "A café with tables.", ["A cafe\u0301 with tables outside."]),
    ("punctuation-only", "...", ["!", "A sign."]),
    ("six-references", "Kids play soccer.", ["Kids play soccer."] * 3 + ["Children kick a ball.", "A game.", "Soccer."]),
]
METRICS = ("coco_bleu1", "coco_bleu2", "coco_bleu3", "coco_bleu4", "coco_rougeL", "cider")


def _pycocoevalcap(hyps, refs) -> dict:
    gts = {i: list(r) for i, r in enumerate(refs)}
    res = {i: [h] for i, h in enumerate(hyps)}
    with contextlib.redirect_stdout(io.StringIO()):  # BleuScorer prints its statistics
        bleu, bleu_images = Bleu(4).compute_score(gts, res)
    out = {f"coco_bleu{n + 1}": (bleu[n], bleu_images[n]) for n in range(4)}
    out["coco_rougeL"] = Rouge().compute_score(gts, res)
    out["cider"] = Cider().compute_score(gts, res)
    return out


def assert_matches_pycocoevalcap(corpus: Corpus, tokenizer: str = "ptb-python"):
    hyps, refs = coco_tokens(corpus, tokenizer)
    expected = _pycocoevalcap(hyps, refs)
    for name in METRICS:
        result, _ = score(build_metric({"name": name, "tokenizer": tokenizer}), corpus,
                          data_fingerprint="k" * 8, n_bootstrap=0)
        corpus_value, per_image = expected[name]
        assert result.score == pytest.approx(100 * corpus_value, abs=1e-9), name
        assert np.allclose(np.array(result.per_example) / 100, per_image, rtol=0, atol=1e-12), name


def test_edge_cases_together_equal_pycocoevalcap():
    assert_matches_pycocoevalcap(Corpus([p for _, p, _ in EDGE_CASES], [r for _, _, r in EDGE_CASES]))


@pytest.mark.parametrize("case", EDGE_CASES, ids=lambda c: c[0])
def test_edge_case_with_one_neighbour_equals_pycocoevalcap(case):
    # CIDEr-D needs more than one image (idf = log #images); pair each case with a plain one
    _, prediction, references = case
    assert_matches_pycocoevalcap(Corpus([prediction, "A cat on a mat."],
                                        [references, ["A cat sits on a mat.", "Cat."]]))


def test_single_image_cider_is_zero_as_in_pycocoevalcap():
    result, _ = score(build_metric({"name": "cider", "tokenizer": "ptb-python"}),
                      Corpus(["a dog"], [["a dog"]]), data_fingerprint="k" * 8, n_bootstrap=0)
    assert result.score == 0.0


def test_vocabulary_beyond_16_bits():
    # > 65,536 distinct words takes the multi-pass radix path of the n-gram grouping
    rng = random.Random(7)
    common = [f"c{i}" for i in range(30)]
    hyps = [" ".join(rng.choice(common) if j % 2 else f"h{i}x{j}" for j in range(8)) for i in range(3200)]
    refs = [[" ".join(rng.choice(common) if j % 2 else f"r{i}x{k}x{j}" for j in range(8)) for k in range(5)]
            for i in range(3200)]
    for i in range(0, 3200, 3):  # share whole captions between some hypotheses and references
        refs[i][0] = hyps[i]
    result, stats = score(build_metric({"name": "cider", "tokenizer": "none"}), Corpus(hyps, refs),
                          data_fingerprint="k" * 8, n_bootstrap=0)
    _, theirs = Cider().compute_score({i: r for i, r in enumerate(refs)}, {i: [h] for i, h in enumerate(hyps)})
    assert len({w for s in hyps + [r for rs in refs for r in rs] for w in s.split()}) > 1 << 16
    assert np.max(np.abs(stats[:, 0] - theirs)) < 1e-9
    assert result.score > 0


def test_tokens_are_computed_once_and_shared():
    corpus = Corpus(["A dog runs.", "Two cats."], [["A dog is running."], ["Two cats sleep."]])
    for name in METRICS:
        build_metric({"name": name, "tokenizer": "ptb-python"}).statistics(corpus)
    keys = [k for k in corpus._memo if k[0] == "coco-ptb"]
    assert keys == [("coco-ptb", "ptb-python")]
    assert coco_tokens(corpus, "ptb-python") == (["a dog runs", "two cats"], [["a dog is running"], ["two cats sleep"]])


def test_signatures_name_tokenizer_and_settings():
    corpus = Corpus(["a"], [["a", "b"]])
    cider = build_metric({"name": "cider", "tokenizer": "ptb-python"}).signature(corpus)
    assert cider.format() == "cider|variant:D|sigma:6|n:4|df:scored-refs|tok:ptb-python|nrefs:2|version:pycocoevalcap-1.2"
    bleu = build_metric({"name": "coco_bleu4", "tokenizer": "none"}).signature(corpus)
    assert bleu.format() == "coco_bleu4|reflen:closest|tok:none|nrefs:2|version:pycocoevalcap-1.2"
    assert build_metric("coco_rougeL").signature(corpus).get("beta") == "1.2"
    meteor = build_metric({"name": "meteor", "tokenizer": "none"}).signature(corpus)  # starts no JVM
    assert meteor.format() == "meteor|jar:meteor-1.5|lang:en|norm:yes|tok:none|nrefs:2|version:pycocoevalcap-1.2"


def test_bootstrap_keeps_document_frequencies_fixed():
    # the statistic is the per-image score with idf from all scored references; resampling rows
    # averages those values and never recomputes idf on the resample
    corpus = Corpus(["a dog", "a cat", "a cow"], [["a dog runs"], ["a cat sits"], ["the cow"]])
    metric = build_metric({"name": "cider", "tokenizer": "none"})
    stats = metric.statistics(corpus)
    samples = np.array([[0, 0, 1], [2, 2, 2]])
    assert metric.aggregate_many(stats, samples) == pytest.approx(
        [100 * stats[[0, 0, 1], 0].mean(), 100 * stats[2, 0]])
