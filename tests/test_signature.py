"""Signatures as records: exact text round trips, diffs that name fields, comparability."""
from __future__ import annotations

import pytest

from harness.metrics.base import Corpus
from harness.metrics.scoring import build_metric, score
from harness.signature import FieldDiff, Signature, comparability

# every shape of signature the harness writes, and sacrebleu's own text
TEXTS = [
    "bleu|nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:2.6.0|data:3fa9c1d2",
    "bleu|nrefs:var|case:lc|eff:no|tok:intl|smooth:floor[0.10]|version:2.6.0",
    "chrf++|nrefs:2|case:mixed|eff:yes|nc:6|nw:2|space:no|beta:2|version:2.6.0|data:01234567",
    "ter|nrefs:1|case:lc|tok:tercom|norm:no|punct:yes|asian:no|version:2.6.0",
    "rougeLsum|stem:yes|tok:default|split:newline|nrefs:1|multiref:max-f|version:rouge-score-0.1.2",
    "cider|variant:D|sigma:6|n:4|df:scored-refs|tok:ptb-java|nrefs:5|version:pycocoevalcap-1.2|data:aa",
    "meteor|jar:meteor-1.5|lang:en|norm:yes|tok:ptb-python|nrefs:var|version:pycocoevalcap-1.2",
    "length|unit:char",  # a third-party metric's text
    "cider|cider-d|sigma:6",  # written before every field had a name: a bare token
    "BLEU|nrefs:1|bs:1000|seed:12345|case:mixed|eff:no|tok:13a|smooth:exp|version:2.6.0",  # sacrebleu --confidence
    "x|empty:|url:http://host:8080/a",  # empty values; values holding ':'
]
CORPUS = Corpus(["the cat sat", "a dog"], [["the cat sat down", "a cat sat"], ["a dog barks", None]])
METRICS = ["bleu", "chrf", "chrf++", "ter", "rouge1", "rougeLsum", {"name": "cider", "tokenizer": "none"},
           {"name": "coco_bleu4", "tokenizer": "none"}, {"name": "coco_rougeL", "tokenizer": "none"}]


@pytest.mark.parametrize("text", TEXTS)
def test_parse_then_format_gives_the_text_back(text):
    signature = Signature.parse(text)
    assert signature.format() == str(signature) == text
    assert Signature.parse(signature.format()) == signature


@pytest.mark.parametrize("spec", METRICS, ids=str)
def test_every_harness_signature_round_trips_and_names_every_field(spec):
    result, _ = score(build_metric(spec), CORPUS, data_fingerprint="0123456789abcdef")
    for signature in (result.signature, result.ci_signature):
        assert Signature.parse(signature.format()) == signature
        assert all(value is not None for _, value in signature.fields), "a bare token has no field name"
    assert result.signature.get("data") == "01234567" and result.signature.names()[-1] == "data"


@pytest.mark.parametrize("a, b, expected", [
    ("bleu|tok:13a|version:2.6.0", "bleu|tok:13a|version:2.6.0", []),
    ("bleu|tok:13a|version:2.6.0", "bleu|tok:intl|version:2.6.0", [("tok", "13a", "intl")]),
    ("bleu|tok:13a|data:aa", "bleu|tok:13a", [("data", "aa", None)]),
    ("bleu|tok:13a", "bleu|tok:13a|data:bb", [("data", None, "bb")]),
    ("bleu|nrefs:1", "chrf|nrefs:2", [("metric", "bleu", "chrf"), ("nrefs", "1", "2")]),
    ("cider|cider-d|n:4", "cider|variant:D|n:4", [("cider-d", "cider-d", None), ("variant", None, "D")]),
    ("a|x:1|y:2", "a|y:2|x:1", []),  # field order is presentation, not meaning
])
def test_diff_names_each_differing_field(a, b, expected):
    assert Signature.parse(a).diff(Signature.parse(b)) == [FieldDiff(*d) for d in expected]


def test_comparability_of_results_says_which_field_differs():
    first, _ = score(build_metric("bleu"), CORPUS, data_fingerprint="d" * 16)
    same, _ = score(build_metric("bleu"), CORPUS, data_fingerprint="d" * 16, seed=7, n_bootstrap=100)
    other, _ = score(build_metric({"name": "bleu", "tokenize": "intl"}), CORPUS, data_fingerprint="e" * 16)
    assert comparability(first, same).ok  # the bootstrap settings change the interval only
    verdict = comparability(first, other)
    assert not verdict.ok
    assert [d.field for d in verdict.differences] == ["tok", "data"]
    assert verdict.explain() == "tok: 13a vs intl; data: dddddddd vs eeeeeeee"
    assert comparability(first.signature, first.signature.format()).explain() == "comparable"


def test_with_bootstrap_goes_where_sacrebleu_puts_it():
    sig = Signature.parse("bleu|nrefs:1|case:mixed|version:2.6.0|data:aa")
    assert sig.with_bootstrap(1000, 12345).format() == \
        "bleu|nrefs:1|bs:1000|seed:12345|case:mixed|version:2.6.0|data:aa"
    assert sig.with_bootstrap(10, None).with_bootstrap(20, 1).format() == \
        "bleu|nrefs:1|bs:20|seed:1|case:mixed|version:2.6.0|data:aa"
    assert Signature.parse("length|unit:char").with_bootstrap(5, 3).format() == "length|unit:char|bs:5|seed:3"


def test_of_writes_values_as_sacrebleu_does():
    sig = Signature.of("m", ("stem", True), ("lc", False), ("n", 4), ("skipped", None))
    assert sig.format() == "m|stem:yes|lc:no|n:4"
    assert sig.with_field("n", 2).with_field("data", "ab").format() == "m|stem:yes|lc:no|n:2|data:ab"
    assert sig.without("lc", "absent").format() == "m|stem:yes|n:4"


@pytest.mark.parametrize("metric, fields, message", [
    ("", (), "metric name"),
    ("a|b", (), "metric name"),
    ("m", (("t|x", "1"),), "field name"),
    ("m", (("t:x", "1"),), "field name"),
    ("m", (("t", "1|2"),), "value of 't'"),
    ("m", (("t", "1"), ("t", "2")), "'t' appears twice"),
])
def test_signatures_that_would_not_round_trip_are_refused(metric, fields, message):
    with pytest.raises(ValueError, match=message):
        Signature(metric, fields)
