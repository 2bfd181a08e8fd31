"""BLEU / chrF / TER against sacrebleu itself: edge cases, options, signatures, errors.

Expected values are computed in each test with sacrebleu's public API (corpus_score /
sentence_score), which is the reference implementation we wrap.
"""
from __future__ import annotations

import importlib.util

import numpy as np
import pytest
from sacrebleu.metrics import BLEU, CHRF, TER

from harness.errors import DataError, MissingDependency, UsageError
from harness.metrics.base import Corpus
from harness.metrics.scoring import build_metric, score
from harness.testing.golden import golden_translation_cases, multi_reference_cases, wmt_cases

LONG_WORDS = [f"word{i % 97}" for i in range(1000)]
LONG = " ".join(LONG_WORDS)
LONG_EDITED = " ".join(w if i % 10 else "other" for i, w in enumerate(LONG_WORDS))  # TER shifts are slow

# (case id, prediction, references): None marks a missing reference in a multi-reference set
EDGE_CASES = [
    ("empty-prediction", "", ["The cat sat on the mat."]),
    ("empty-reference", "The cat sat.", [""]),
    ("whitespace-reference", "The cat sat.", ["   "]),
    ("whitespace-prediction", "  \t ", ["A dog."]),
    ("identical", "The quick brown fox jumps over the lazy dog.", ["The quick brown fox jumps over the lazy dog."]),
    ("one-word-match", "Cat", ["Cat"]),
    ("one-word-miss", "Cat", ["Dog"]),
    ("very-long", LONG, [LONG_EDITED]),
    ("chinese", "猫坐在垫子上。", ["猫坐在那个垫子上了。"]),
    ("japanese", "今日は天気がいいです。", ["今日はいい天気です。"]),
    ("hindi", "बिल्ली चटाई पर बैठी है।", ["बिल्ली चटाई पर बैठी थी।"]),
    ("arabic", "القط يجلس على الحصيرة", ["جلس القط على الحصيرة"]),
    ("nfc-vs-nfd", "Le café est chaud.", ["Le cafe\u0301 est chaud."]),
    ("multi-ref-gap", "The cat is on the mat.", ["There is a cat on the mat.", None]),
    ("multi-ref", "The cat is on the mat.", ["There is a cat on the mat.", "A cat sits on the mat."]),
]
SPECS = [
    ("bleu", {}, lambda: BLEU()),
    ("bleu", {"tokenize": "intl"}, lambda: BLEU(tokenize="intl")),
    ("bleu", {"tokenize": "zh"}, lambda: BLEU(tokenize="zh")),
    ("bleu", {"tokenize": "char", "lowercase": True}, lambda: BLEU(tokenize="char", lowercase=True)),
    ("bleu", {"smooth_method": "floor", "smooth_value": 0.2}, lambda: BLEU(smooth_method="floor", smooth_value=0.2)),
    ("chrf", {}, lambda: CHRF()),
    ("chrf++", {}, lambda: CHRF(word_order=2)),
    ("chrf", {"eps_smoothing": True, "beta": 1}, lambda: CHRF(eps_smoothing=True, beta=1)),
    ("ter", {}, lambda: TER()),
    ("ter", {"normalized": True, "asian_support": True, "case_sensitive": True},
     lambda: TER(normalized=True, asian_support=True, case_sensitive=True)),
]


def _streams(refs_per_example):
    width = max(len(r) for r in refs_per_example)
    return [[refs[j] if j < len(refs) else None for refs in refs_per_example] for j in range(width)]


def _spec_id(spec):
    name, options, _ = spec
    return name + "".join(f"-{k}={v}" for k, v in options.items())


@pytest.mark.parametrize("spec", SPECS, ids=_spec_id)
def test_corpus_score_equals_sacrebleu(spec):
    name, options, reference = spec
    preds = [p for _, p, _ in EDGE_CASES]
    refs = [r for _, _, r in EDGE_CASES]
    result, _ = score(build_metric({"name": name, **options}), Corpus(preds, refs),
                      data_fingerprint="e" * 8, n_bootstrap=0)
    assert result.score == pytest.approx(reference().corpus_score(preds, _streams(refs)).score, abs=1e-9)


@pytest.mark.parametrize("spec", SPECS, ids=_spec_id)
@pytest.mark.parametrize("case", EDGE_CASES, ids=lambda c: c[0])
def test_per_example_is_sacrebleu_sentence_score(spec, case):
    name, options, reference = spec
    _, pred, refs = case
    present = [r for r in refs if r is not None]
    result, _ = score(build_metric({"name": name, **options}), Corpus([pred], [refs]),
                      data_fingerprint="e" * 8, n_bootstrap=0)
    sentence_ref = reference()
    if name == "bleu":  # sacrebleu.sentence_bleu's defaults: effective order on
        sentence_ref = BLEU(effective_order=True, **options)
    assert result.per_example[0] == pytest.approx(sentence_ref.sentence_score(pred, present).score, abs=1e-9)
    assert result.score == pytest.approx(reference().corpus_score([pred], [[r] for r in present]).score, abs=1e-9)


def test_variable_reference_counts_say_var_like_sacrebleu():
    corpus = Corpus(["a b c", "d e f"], [["a b c", "x"], ["d e"]])
    result, _ = score(build_metric("bleu"), corpus, data_fingerprint="1234abcd", n_bootstrap=0)
    sacre = BLEU()
    sacre.corpus_score(["a b c", "d e f"], [["a b c", "d e"], ["x", None]])
    assert result.signature.format() == f"bleu|{sacre.get_signature().format()}|data:1234abcd"
    assert result.signature.get("nrefs") == "var"


def test_signatures_name_every_option():
    sig = build_metric({"name": "bleu", "tokenize": "intl", "lowercase": "yes", "smooth_method": "floor"}) \
        .signature(Corpus(["a"], [["a"]]))
    assert sig.format() == "bleu|nrefs:1|case:lc|eff:no|tok:intl|smooth:floor[0.10]|version:2.6.0"
    chrf = build_metric({"name": "chrf", "beta": "3", "char_order": 4}).signature(Corpus(["a"], [["a"]]))
    assert chrf.format() == "chrf|nrefs:1|case:mixed|eff:yes|nc:4|nw:0|space:no|beta:3|version:2.6.0"
    assert build_metric("chrf++").signature(Corpus(["a"], [["a"]])).format() \
        .startswith("chrf++|nrefs:1|case:mixed|eff:yes|nc:6|nw:2")
    assert build_metric("ter").signature(Corpus(["a"], [["a"]])).format() == \
        "ter|nrefs:1|case:lc|tok:tercom|norm:no|punct:yes|asian:no|version:2.6.0"


@pytest.mark.parametrize("name, reference", [("bleu", BLEU), ("chrf", CHRF), ("ter", TER)])
def test_interval_signature_is_sacrebleus_confidence_signature(name, reference):
    # sacrebleu --confidence names bs and seed (SACREBLEU_SEED, default 12345) in the signature
    preds, refs = ["the cat sat", "a dog barks", "hello"], [["the cat sat down"], ["a dog"], ["hello there"]]
    sacre = reference()
    sacre.corpus_score(preds, _streams(refs), n_bootstrap=1000)
    result, _ = score(build_metric(name), Corpus(preds, refs), data_fingerprint="1234abcd")
    expected = sacre.get_signature().format()
    if name == "chrf":
        expected = expected.replace("|version:", "|beta:2|version:")
    assert result.ci_signature.format() == f"{name}|{expected}|data:1234abcd"
    assert "bs" not in result.signature.names() and "seed" not in result.signature.names()


def test_ter_is_lower_is_better():
    result, _ = score(build_metric("ter"), Corpus(["a b"], [["a c"]]), data_fingerprint="x" * 8)
    assert result.higher_is_better is False and result.score == pytest.approx(50.0)


@pytest.mark.parametrize("spec, message", [
    ({"name": "bleu", "tokenise": "intl"}, "did you mean 'tokenize'"),
    ({"name": "bleu", "tokenize": "13b"}, "did you mean '13a'"),
    ({"name": "chrf", "word_order": "two"}, "not a valid int"),
    ({"name": "ter", "normalized": "maybe"}, "not a valid bool"),
    ({"name": "bleu", "smooth_method": "floor", "smooth_value": "a little"}, "not a valid float"),
    ("blue", "did you mean 'bleu'"),
    ({"tokenize": "intl"}, "needs a 'name'"),
])
def test_bad_specs_are_usage_errors(spec, message):
    with pytest.raises(UsageError, match=message):
        build_metric(spec).signature(Corpus(["a"], [["a"]]))


@pytest.mark.skipif(importlib.util.find_spec("MeCab") is not None, reason="MeCab is installed")
def test_missing_tokenizer_extra_is_a_missing_dependency():
    with pytest.raises(MissingDependency, match=r"pip install 'harness\[ja\]'"):
        build_metric({"name": "bleu", "tokenize": "ja-mecab"}).statistics(Corpus(["a"], [["a"]]))


def test_example_without_references_names_the_example():
    corpus = Corpus(["a", "b"], [["a"], [None]], ["doc-1", "doc-2"])
    with pytest.raises(DataError, match="'doc-2'.*no references"):
        score(build_metric("bleu"), corpus, data_fingerprint="x" * 8)
    with pytest.raises(DataError, match="nothing to score"):
        score(build_metric("bleu"), Corpus([], []), data_fingerprint="x" * 8)


# WMT21 with the shared data; else the shipped COCO captions (multi-reference), WMT17 (systems)
MULTI_REF, WMT = multi_reference_cases(), wmt_cases()


def test_multi_reference_ter_and_workers_match_sacrebleu():
    case = MULTI_REF[2 % len(MULTI_REF)]
    preds, refs = list(case.predictions[:150]), [list(r) for r in case.references[:150]]
    expected = TER().corpus_score(preds, _streams(refs)).score
    one = build_metric({"name": "ter", "workers": 1}).statistics(Corpus(preds, refs))
    two = build_metric({"name": "ter", "workers": 2}).statistics(Corpus(preds, refs))
    assert np.array_equal(one, two)
    assert build_metric("ter").aggregate(two) == pytest.approx(expected, abs=1e-9)


def test_bleu_details_are_sacrebleus_counts():
    case = WMT[0]
    metric = build_metric("bleu")
    details = metric.details(metric.statistics(case.corpus()))
    golden = case.expected["bleu"]
    # the shipped goldens leave the brevity penalty out: sacrebleu computes it here
    bp = golden.get("bp", BLEU().corpus_score(list(case.predictions), _streams(case.references)).bp)
    assert details["counts"] == golden["counts"] and details["totals"] == golden["totals"]
    assert details["bp"] == bp and details["ref_len"] == golden["ref_len"]


@pytest.mark.parametrize("spec", [s for s in SPECS if not s[1].get("tokenize")], ids=_spec_id)
def test_sentence_scores_across_chunks_are_sacrebleus(spec, monkeypatch):
    """Per-example scores are computed a chunk of rows at a time; crossing chunk borders
    (7 rows a chunk here, 2,000 in a run) changes none of sacrebleu's sentence scores."""
    from harness.metrics import sacrebleu_metrics
    monkeypatch.setattr(sacrebleu_metrics, "CHUNK", 7)
    name, options, reference = spec
    case = MULTI_REF[1 % len(MULTI_REF)]
    preds, refs = list(case.predictions[:40]), [list(r) for r in case.references[:40]]
    metric = build_metric({"name": name, **options})
    sentence = BLEU(effective_order=True, **options) if name == "bleu" else reference()
    expected = [sentence.sentence_score(p, r).score for p, r in zip(preds, refs)]
    assert metric.per_example(metric.statistics(Corpus(preds, refs))).tolist() == pytest.approx(expected, abs=1e-9)


# corpora shorter than chrF's n-gram order, blanks, ties between references, gaps
TINY_CORPORA = [([""], [[""]]), (["  "], [[" \t"]]), (["", "a"], [[""], [""]]), (["a"], [["", "a"]]),
                (["ab"], [["a", None]]), (["", ""], [["x", ""], ["", "y"]]), (["ab c"], [["ba", "ab"]])]


@pytest.mark.parametrize("preds, refs", TINY_CORPORA)
@pytest.mark.parametrize("options", [{}, {"whitespace": True}, {"char_order": 3, "lowercase": True}])
def test_chrf_of_tiny_corpora_is_sacrebleus(preds, refs, options):
    result, _ = score(build_metric({"name": "chrf", **options}), Corpus(preds, refs),
                      data_fingerprint="e" * 8, n_bootstrap=0)
    assert result.score == pytest.approx(CHRF(**options).corpus_score(preds, _streams(refs)).score, abs=1e-9)


def _chrf_cases():
    """Every system of the shipped WMT subset with three option sets; where the shared data is
    present, a spread of its systems (each costs sacrebleu seconds) with the defaults."""
    options = [{}, {"lowercase": True, "whitespace": True}, {"char_order": 4}]
    shipped = [pytest.param(c, o, id=f"{c.name}-{i}") for c in golden_translation_cases(origin="shipped")
               for i, o in enumerate(options)]
    shared = golden_translation_cases()
    return shipped + [pytest.param(c, {}, id=c.name) for c in shared[::max(1, len(shared) // 6)]]


@pytest.mark.parametrize("case, options", _chrf_cases())
def test_chrf_rows_are_sacrebleus_rows_on_real_systems(case, options):
    """chrF's character n-grams are counted as arrays (char_ngrams.py), not by sacrebleu:
    sacrebleu stays the oracle, row by row, on real system outputs and references."""
    preds, refs = list(case.predictions), [list(r) for r in case.references]
    ours = build_metric({"name": "chrf", **options}).statistics(Corpus(preds, refs))
    theirs = CHRF(**options)._extract_corpus_statistics(preds, _streams(refs))
    assert np.array_equal(np.asarray(ours), np.asarray(theirs, dtype=float))
