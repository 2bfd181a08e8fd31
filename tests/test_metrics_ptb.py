"""The pure-Python PTB tokenizer against Stanford PTBTokenizer 3.4.1 (pycocoevalcap's jar).

The fixed expectations below were produced by the jar (``-preserveLines -lowerCase``, then
pycocoevalcap's punctuation filter), so they also check the Python path where Java is absent.
"""
from __future__ import annotations

import shutil

import pytest

from harness.errors import MissingDependency, UsageError
from harness.metrics import ptb
from harness.testing.golden import CAPTIONING_DATASETS, captioning_references, golden_captioning_cases

HAS_JAVA = shutil.which("java") is not None
needs_java = pytest.mark.skipif(not HAS_JAVA, reason="java not on PATH")

# text -> Stanford PTBTokenizer 3.4.1 output after pycocoevalcap's punctuation filter
FROM_THE_JAR = {
    "A man's dog (black) can't run.": "a man 's dog -lrb- black -rrb- ca n't run",
    "The colour of the centre, isn't it?": "the colour of the centre is n't it",
    "gonna cannot 'twas wanna": "gon na can not 't was wan na",
    "A cake topped with M&Ms and A&amp;M at&t": "a cake topped with m&m s and a&m at & t",
    "bag<|endoftext|>A <-pad-> x": "bag < | endoftext | > a < pad > x",
    "\u201ccurly\u201d \u2018single\u2019 it\u2019s don\u2019t \u2013 \u2014 \u2026": "curly single it 's do n't",
    "1 1/2 miles, $ 37,000 at 2:25. #25 #hashtag": "1\u00a01/2 miles $ 37,000 at 2:25 # 25 #hashtag",
    "U.S. The man. Mr. Smith e.g. etc. vs. no. 5": "u.s. the man mr. smith e.g. etc. vs. no. 5",
    "black-and-white t-shirt x_y a_b__c ___": "black-and-white t-shirt x_y a_b __ c ___",
    ":) :-( ^_^ <3 == ->": ":-rrb- :--lrb- ^_^ < 3 = = >",
    "Auto\u00adfahrer Ehlers/Fl\u00fcggen .62-year": "autofahrer ehlers/fl \u00fcggen .62 year",
    "emoji \U0001F600 gone": "emoji gone",
    "": "",
}


@pytest.mark.parametrize("text", list(FROM_THE_JAR), ids=range(len(FROM_THE_JAR)))
def test_python_tokenizer_matches_recorded_jar_output(text):
    assert ptb.tokenize_python([text]) == [FROM_THE_JAR[text]]


def test_lines_stay_aligned():
    texts = ["A dog.", "", "Line\nbreak inside", "x\u2028y", "The end"]
    out = ptb.tokenize_python(texts)
    assert out == ["a dog", "", "line break inside", "x y", "the end"]


@needs_java
def test_recorded_expectations_are_the_jars():
    texts = list(FROM_THE_JAR)
    assert ptb.tokenize_java(texts) == [FROM_THE_JAR[t] for t in texts]


def _all_coco_documents() -> list[list[str]]:
    """Each data set's references (file order) and each system's predictions, as COCOEvalCap sees them."""
    docs = []
    for dataset in CAPTIONING_DATASETS + ("coco_images12",):
        refs = captioning_references(dataset)
        docs.append([r for rs in refs.values() for r in rs])
    docs += [list(case.predictions) for case in golden_captioning_cases()]
    return [d for d in docs if d]


@needs_java
@pytest.mark.skipif(not golden_captioning_cases(), reason="shared evaluation data not found")
def test_no_mismatch_with_the_jar_on_all_coco_data(capsys):
    lines = [line for doc in _all_coco_documents() for line in doc]
    java, python = ptb.tokenize_java(lines), ptb.tokenize_python(lines)
    mismatches = [(t, j, p) for t, j, p in zip(lines, java, python) if j != p]
    with capsys.disabled():
        print(f"\nPTB python vs java on COCO data: {len(mismatches)} mismatches in {len(lines)} captions")
    assert len(lines) > 90_000
    assert mismatches == []


def test_tokenizer_choice():
    assert ptb.resolve("ptb-python") == "ptb-python"
    assert ptb.resolve("auto") == ("ptb-java" if HAS_JAVA else "ptb-python")
    with pytest.raises(UsageError, match="did you mean 'ptb-java'"):
        ptb.resolve("ptb-jav")


def test_without_java_auto_falls_back_and_java_is_a_missing_dependency(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # a PATH with no java on it
    assert ptb.resolve("auto") == "ptb-python"
    with pytest.raises(MissingDependency, match="java"):
        ptb.resolve("ptb-java")
    from harness.metrics.meteor import MeteorScorer
    with pytest.raises(MissingDependency, match="METEOR"):
        MeteorScorer()
