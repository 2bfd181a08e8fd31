"""ROUGE against rouge-score itself: edge cases, multiple references, tokenizers, workers.

Expected values come from rouge_score.rouge_scorer.RougeScorer in each test.
"""
from __future__ import annotations

import numpy as np
import pytest
from rouge_score import rouge_scorer, tokenizers

from harness.metrics.base import Corpus
from harness.metrics.rouge import ROUGE_TYPES, rouge_table
from harness.metrics.rouge_tokenizers import make_tokenizer, split_sentences
from harness.metrics.scoring import build_metric, score
from harness.testing.golden import golden_summarization_cases

LONG = "\n".join(f"Sentence {i} talks about running cats and {i % 7} dogs." for i in range(60))
LONG_OTHER = "\n".join(f"Sentence {i} talked about a running cat and {i % 5} dogs." for i in range(55))

EDGE_CASES = [
    ("empty-prediction", "", ["The cat sat on the mat."]),
    ("empty-reference", "The cat sat.", [""]),
    ("whitespace", "   ", ["\n \n"]),
    ("identical", "The cats were running.\nThey stopped.", ["The cats were running.\nThey stopped."]),
    ("one-word", "running", ["runs"]),
    ("one-word-miss", "cat", ["dog"]),
    ("very-long", LONG, [LONG_OTHER]),
    ("chinese", "猫坐在垫子上。", ["猫坐在那个垫子上了。"]),
    ("nfc-vs-nfd", "Le café est chaud.", ["Le cafe\u0301 est chaud."]),
    ("multi-reference", "The cat is on the mat.\nIt sleeps.",
     ["A dog is on the rug.", "There is a cat on the mat.\nThe cat sleeps.", ""]),
    ("punctuation-only", "!!! ...", ["?"]),
]


def _rouge_score(prediction, references, tokenizer=None, stem=True):
    scorer = rouge_scorer.RougeScorer(list(ROUGE_TYPES), use_stemmer=stem, tokenizer=tokenizer)
    return scorer.score_multi(references, prediction)


@pytest.mark.parametrize("stem", [True, False])
@pytest.mark.parametrize("case", EDGE_CASES, ids=lambda c: c[0])
def test_edge_cases_equal_rouge_score(case, stem):
    _, prediction, references = case
    expected = _rouge_score(prediction, references, stem=stem)
    corpus = Corpus([prediction], [references])
    for rouge_type in ROUGE_TYPES:
        result, _ = score(build_metric({"name": rouge_type, "use_stemmer": stem}), corpus,
                          data_fingerprint="r" * 8, n_bootstrap=0)
        assert result.score == pytest.approx(100 * expected[rouge_type].fmeasure, abs=1e-12), rouge_type
        assert result.per_example[0] == pytest.approx(result.score)


def test_default_tokenizer_drops_non_latin_and_unicode_tokenizer_does_not():
    corpus = Corpus(["猫坐在垫子上。", "ภาษาไทยง่าย"], [["猫坐在那个垫子上了。"], ["ภาษาไทยยาก"]])
    default, _ = score(build_metric("rouge1"), corpus, data_fingerprint="r" * 8, n_bootstrap=0)
    assert default.score == 0.0
    unicode_tok = make_tokenizer("unicode", True)
    for name in ("unicode", "char"):
        result, _ = score(build_metric({"name": "rouge1", "tokenizer": name}), corpus,
                          data_fingerprint="r" * 8, n_bootstrap=0)
        assert 0 < result.score < 100 and result.signature.get("tok") == name
    # our tokenizer plugged into rouge-score gives the same numbers
    result, _ = score(build_metric({"name": "rouge2", "tokenizer": "unicode"}), corpus,
                      data_fingerprint="r" * 8, n_bootstrap=0)
    expected = [_rouge_score(p, r, tokenizer=unicode_tok)["rouge2"].fmeasure * 100
                for p, r in zip(corpus.predictions, corpus.references)]
    assert result.per_example == pytest.approx(expected, abs=1e-12)


def test_unicode_tokenizer_tokens():
    tok = make_tokenizer("unicode", True)
    assert tok.tokenize("The cats were running, 東京タワー! Cafe\u0301") == \
        ["the", "cat", "were", "run", "東", "京", "タ", "ワ", "ー", "café"]
    assert make_tokenizer("char", False).tokenize("ab 猫!") == ["a", "b", "猫"]


def test_simple_sentence_split_for_rouge_lsum():
    prediction = "It was happy! The cat sat. Was it?"
    reference = "A cat sat down. It was very happy."
    assert split_sentences(prediction, "simple") == ["It was happy!", "The cat sat.", "Was it?"]
    corpus = Corpus([prediction], [[reference]])
    result, _ = score(build_metric({"name": "rougeLsum", "sentence_split": "simple"}), corpus,
                      data_fingerprint="r" * 8, n_bootstrap=0)
    expected = _rouge_score("It was happy!\nThe cat sat.\nWas it?", ["A cat sat down.\nIt was very happy."])
    expected = expected["rougeLsum"].fmeasure
    assert result.score == pytest.approx(100 * expected, abs=1e-12)
    assert result.signature.get("split") == "simple"
    newline, _ = score(build_metric("rougeLsum"), corpus, data_fingerprint="r" * 8, n_bootstrap=0)
    assert newline.score != result.score


def test_signature():
    sig = build_metric({"name": "rougeLsum", "use_stemmer": "false"}).signature(Corpus(["a"], [["a", "b"]]))
    assert sig.format() == "rougeLsum|stem:no|tok:default|split:newline|nrefs:2|multiref:max-f|version:rouge-score-0.1.2"
    assert "split" not in build_metric("rouge1").signature(Corpus(["a"], [["a"]])).names()


def test_cached_stemmer_tokens_equal_rouge_scores_tokenizer():
    cases = golden_summarization_cases()
    texts = [t for c in cases[:3] for t in c.predictions] or [c[1] for c in EDGE_CASES]
    ours, theirs = make_tokenizer("default", True), tokenizers.DefaultTokenizer(use_stemmer=True)
    assert all(ours.tokenize(t) == theirs.tokenize(t) for t in texts)


def test_worker_processes_give_identical_scores():
    # REALSumm's 100 documents with the shared data, else the shipped 20
    cases = (golden_summarization_cases() or golden_summarization_cases(origin="shipped"))[:3]
    predictions = [p for c in cases for p in c.predictions]
    references = [list(r) for c in cases for r in c.references]
    kwargs = dict(tokenizer="default", use_stemmer=True, sentence_split="newline")
    one = rouge_table(predictions, references, workers=1, **kwargs)
    two = rouge_table(predictions, references, workers=2, **kwargs)
    assert one.shape == (len(predictions), 4) and len(predictions) >= 60 and np.array_equal(one, two)
