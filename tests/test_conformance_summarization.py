"""REALSumm golden ROUGE (rouge-score 0.1.2, use_stemmer, each system vs its own reference)
and google-research's ROUGE-1.5.5 test vectors, through build_metric + score.

On every clone: the shipped REALSumm subset (tests/data/conformance, 20 documents, 4 systems,
per-document F at full precision). With the full shared data: all 12 systems on 100 documents,
and the test vectors.
"""
from __future__ import annotations

import pytest

from harness.metrics.base import Corpus
from harness.metrics.scoring import build_metric, score
from harness.testing.golden import golden_summarization_cases, load_json, vectors_folders

SHIPPED = golden_summarization_cases(origin="shipped")
SHARED = golden_summarization_cases()  # empty without the shared data: those cases drop out
CASES = SHIPPED + SHARED
TYPES = ("rouge1", "rouge2", "rougeL", "rougeLsum")


def test_subset_is_shipped():
    # the subset is what makes this file run on a bare clone; losing it must fail, not skip
    assert len(SHIPPED) == 4 and all(len(c.ids) == 20 for c in SHIPPED)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_realsumm_system_means(case):
    corpus = case.corpus()
    for rouge_type in TYPES:
        result, _ = score(build_metric(rouge_type), corpus, data_fingerprint="f" * 16, n_bootstrap=0)
        want = case.expected["vs_own_reference_stemmed"][rouge_type]["f"] * 100
        assert result.score == pytest.approx(want, abs=1e-4), rouge_type
    # rougeLsum needs the newlines: without them it is rougeL (expected.json records that value)
    flat = Corpus([p.replace("\n", " ") for p in case.predictions],
                  [[r.replace("\n", " ") for r in refs] for refs in case.references])
    flat_lsum, _ = score(build_metric("rougeLsum"), flat, data_fingerprint="f" * 16, n_bootstrap=0)
    assert flat_lsum.score == pytest.approx(case.expected["rougeLsum_f_if_newlines_replaced_by_spaces"] * 100,
                                            abs=1e-4)


@pytest.mark.parametrize("case", SHIPPED + SHARED[::2], ids=lambda c: c.name)
def test_realsumm_unstemmed_and_canonical_reference(case):
    from harness.testing.golden import summarization_canonical_references
    canonical = summarization_canonical_references(case.origin)
    variants = {"vs_own_reference_unstemmed": (case.corpus(), {"use_stemmer": False}),
                "vs_canonical_reference_stemmed": (
                    Corpus(list(case.predictions), [[canonical[i]] for i in case.ids]), {})}
    for key, (corpus, options) in variants.items():
        for rouge_type in TYPES:
            result, _ = score(build_metric({"name": rouge_type, **options}), corpus,
                              data_fingerprint="f" * 16, n_bootstrap=0)
            assert result.score == pytest.approx(case.expected[key][rouge_type]["f"] * 100, abs=1e-4), \
                (key, rouge_type)


@pytest.mark.parametrize("case", SHIPPED + SHARED[:1], ids=lambda c: c.name)
def test_realsumm_per_document_scores(case):
    # the shared goldens are stored to 6 places; the shipped ones at full precision
    tolerance = 1e-6 if case.origin == "shared" else 1e-12
    per_doc = {str(d["id"]): d for d in case.expected["per_doc_vs_own_reference_stemmed"]}
    for rouge_type in TYPES:
        result, _ = score(build_metric(rouge_type), case.corpus(), data_fingerprint="f" * 16, n_bootstrap=0)
        for doc_id, value in zip(case.ids, result.per_example):
            assert value / 100 == pytest.approx(per_doc[doc_id][rouge_type], abs=tolerance), (doc_id, rouge_type)


VECTORS = vectors_folders("rouge_score_vs_rouge155")  # the shipped copy first


@pytest.mark.parametrize("origin, folder", VECTORS, ids=[o for o, _ in VECTORS])
@pytest.mark.parametrize("key", ["rouge1", "rouge2", "rougeL", "rouge1_stem", "rouge2_stem"])
def test_rouge155_line_vectors(key, origin, folder):
    expected = load_json(folder / "expected.json")["rouge155_published"]
    targets = (folder / "target.txt").read_text(encoding="utf-8").splitlines()
    predictions = (folder / "prediction.txt").read_text(encoding="utf-8").splitlines()
    rouge_type, _, stem = key.partition("_")
    metric = build_metric({"name": rouge_type, "use_stemmer": bool(stem)})
    result, _ = score(metric, Corpus(predictions[:2], [[t] for t in targets[:2]]),
                      data_fingerprint="v" * 8, n_bootstrap=0)
    for line, value in enumerate(result.per_example):
        assert round(value / 100, 5) == expected[f"line{line}"][key][2]


@pytest.mark.parametrize("origin, folder", VECTORS, ids=[o for o, _ in VECTORS])
def test_rouge155_multi_sentence_vector(origin, folder):
    expected = load_json(folder / "expected.json")["rouge155_published"]["multi0"]["rougeLsum_stem"]
    target = (folder / "target_multi.0.txt").read_text(encoding="utf-8")
    prediction = (folder / "prediction_multi.0.txt").read_text(encoding="utf-8")
    result, _ = score(build_metric("rougeLsum"), Corpus([prediction], [[target]]),
                      data_fingerprint="v" * 8, n_bootstrap=0)
    assert round(result.score / 100, 5) == expected[2]
