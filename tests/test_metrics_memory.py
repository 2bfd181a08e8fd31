"""Scoring in chunks changes no number; a segment too long to score is one clear error.

Expected rows come from sacrebleu's own ``_extract_corpus_statistics`` over the whole corpus
at once (the reference implementation, unchunked) on real multi-reference data (WMT21's two
references with the shared data, else the shipped COCO captions' 5 or 6); ROUGE's from one pass.
"""
from __future__ import annotations

import logging
import time

import numpy as np
import pytest
from sacrebleu.metrics import BLEU, CHRF, TER

from harness.errors import DataError
from harness.metrics import rouge, sacrebleu_metrics
from harness.metrics.base import Corpus
from harness.metrics.scoring import build_metric, score
from harness.metrics.stats_cache import StatsCache
from harness.testing.golden import golden_summarization_cases, multi_reference_cases

WMT = multi_reference_cases()


def _streams(refs):
    """sacrebleu's reference streams; None where an example has fewer references."""
    width = max(len(r) for r in refs)
    return [[r[j] if j < len(r) else None for r in refs] for j in range(width)]


@pytest.fixture
def small_chunks(monkeypatch):
    """Chunks of 7 examples, so a few hundred examples cross dozens of chunk edges."""
    monkeypatch.setattr(sacrebleu_metrics, "CHUNK", 7)
    monkeypatch.setattr(sacrebleu_metrics, "REUSE_UP_TO", 7)
    monkeypatch.setattr(rouge, "CHUNK", 7)
    sacrebleu_metrics._REF_CACHE.clear()
    yield
    sacrebleu_metrics._REF_CACHE.clear()


# (spec, sacrebleu metric, examples): TER on fewer, sacrebleu's TER is slow
CASES = [({"name": "bleu"}, BLEU, 400), ({"name": "chrf"}, CHRF, 400),
         ({"name": "chrf++"}, lambda: CHRF(word_order=2), 200),
         ({"name": "bleu", "tokenize": "intl", "lowercase": True}, lambda: BLEU(tokenize="intl", lowercase=True), 200),
         ({"name": "ter"}, TER, 60)]


@pytest.mark.parametrize("workers", [1, 2])
@pytest.mark.parametrize("spec, reference, n", CASES, ids=lambda v: v.get("name") if isinstance(v, dict) else None)
def test_chunked_rows_equal_sacrebleus_unchunked_rows(small_chunks, spec, reference, n, workers):
    case = WMT[1 % len(WMT)]
    preds, refs = list(case.predictions[:n]), [list(r) for r in case.references[:n]]
    expected = np.asarray(reference()._extract_corpus_statistics(preds, _streams(refs)), dtype=np.float64)
    got = build_metric({**spec, "workers": workers}).statistics(Corpus(preds, refs))
    assert np.array_equal(got, expected)


def test_whole_test_set_scores_equal_sacrebleu_corpus_score(small_chunks):
    case = WMT[0]
    refs = [list(r) for r in case.references]
    for name, reference in (("bleu", BLEU), ("chrf", CHRF)):
        result, _ = score(build_metric(name), case.corpus(), data_fingerprint="0" * 8, n_bootstrap=0)
        assert result.score == reference().corpus_score(list(case.predictions), _streams(refs)).score


def test_reference_cache_kept_for_test_set_sizes_only(small_chunks):
    small = Corpus(["a b c"] * 7, [["a b d"]] * 7)
    large = Corpus(["a b c"] * 8, [["a b d"]] * 8)
    build_metric("bleu").statistics(small)
    assert len(sacrebleu_metrics._REF_CACHE) == 1  # other systems on these references reuse it
    build_metric("bleu").statistics(large)
    assert len(sacrebleu_metrics._REF_CACHE) == 1  # a larger corpus keeps nothing
    build_metric("chrf").statistics(small)
    assert len(sacrebleu_metrics._REF_CACHE) == 1  # chrF counts references with the predictions: nothing to keep


def test_tokenized_period_warning_once_per_corpus(small_chunks, caplog):
    preds, refs = ["the cat sat ."] * 150, [["the cat sat ."]] * 150
    with caplog.at_level(logging.WARNING, logger="sacrebleu"):
        build_metric("bleu").statistics(Corpus(preds, refs))
    assert sum("tokenized period" in r.getMessage() for r in caplog.records) == 1


@pytest.mark.timeout(20)
@pytest.mark.parametrize("name", ["bleu", "chrf", "chrf++", "ter"])
def test_ten_megabyte_line_is_one_clear_error_at_once(name):
    # unguarded, sacrebleu's TER would not finish on it and BLEU takes ~80 s and ~2 GB
    line = " ".join(f"w{i % 5000}" for i in range(2_000_000))[:10_000_000]
    corpus = Corpus(["short", line], [["short"], ["short"]], ids=["doc-1", "doc-2"])
    start = time.perf_counter()
    with pytest.raises(DataError, match=r"'doc-2'.*prediction has 10,000,000 characters.*max_chars"):
        score(build_metric(name), corpus, data_fingerprint="0" * 8)
    assert time.perf_counter() - start < 5


@pytest.mark.parametrize("name, reference", [("bleu", BLEU), ("chrf", CHRF), ("ter", TER)])
def test_max_chars_bounds_references_too_and_zero_lifts_it(name, reference):
    corpus = Corpus(["a b c", "d e"], [["a b c d"], ["d e " * 20]])
    with pytest.raises(DataError, match=r"#1.*reference has 80 characters, over max_chars=50"):
        build_metric({"name": name, "max_chars": 50}).statistics(corpus)
    result, _ = score(build_metric({"name": name, "max_chars": 0}), corpus, data_fingerprint="0" * 8)
    expected = reference().corpus_score(list(corpus.predictions), [["a b c d", "d e " * 20]]).score
    assert result.score == pytest.approx(expected, abs=1e-9)
    assert "max_chars" not in result.signature.format()  # it refuses input, never changes a number


SUMM = golden_summarization_cases() or golden_summarization_cases(origin="shipped")


@pytest.mark.parametrize("workers", [1, 2])
def test_rouge_chunks_equal_one_pass(monkeypatch, workers):
    preds, refs = list(SUMM[0].predictions[:40]), [list(r) for r in SUMM[0].references[:40]]
    kwargs = dict(tokenizer="default", use_stemmer=True, sentence_split="newline")
    whole = rouge.rouge_table(preds, refs, workers=1, **kwargs)
    monkeypatch.setattr(rouge, "CHUNK", 3)
    assert np.array_equal(rouge.rouge_table(preds, refs, workers=workers, **kwargs), whole)


def test_stats_cache_key_names_every_text(tmp_path):
    cache, metric = StatsCache(tmp_path), build_metric("bleu")

    def key(preds, refs):
        corpus = Corpus(preds, refs)
        return cache.key(metric, corpus, metric.signature(corpus))
    base = key(["a b", "c"], [["x"], ["y"]])
    assert base == key(["a b", "c"], [["x"], ["y"]])
    assert len({base, key(["a", "b c"], [["x"], ["y"]]), key(["a b", "c"], [["x", "y"], []]),
                key(["a b", "c"], [["y"], ["x"]])}) == 4
