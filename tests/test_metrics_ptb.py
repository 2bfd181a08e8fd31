"""The pure-Python PTB tokenizer against Stanford PTBTokenizer 3.4.1 (pycocoevalcap's jar).

The fixed expectations below were produced by the jar (``-preserveLines -lowerCase``, then
pycocoevalcap's punctuation filter), so they also check the Python path where Java is absent:
a table of hard cases, the jar's output for the 600 captions of the shipped COCO subset
(tests/data/conformance, every clone), and digests of its output for the 96,039 captions of the
full shared data (where present).
"""
from __future__ import annotations

import hashlib
import shutil

import pytest

from harness.errors import MissingDependency, UsageError
from harness.metrics import ptb
from harness.testing.golden import CAPTIONING_DATASETS, captioning_references, golden_captioning_cases, \
    shipped_ptb_jar_output

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


def _shipped_coco_documents() -> dict[str, list[str]]:
    """The shipped subset's references (file order) and predictions, as ptb_jar.json lists them."""
    case, = golden_captioning_cases("coco_fakecap", origin="shipped")
    refs = [r for rs in captioning_references("coco_fakecap", origin="shipped").values() for r in rs]
    return {"references": refs, "predictions": list(case.predictions)}


def test_python_tokenizer_reproduces_the_recorded_jar_output_on_the_shipped_coco_subset():
    recorded = shipped_ptb_jar_output()
    for name, lines in _shipped_coco_documents().items():
        assert len(lines) == len(recorded[name]) > 0
        mismatches = [(t, j, p) for t, j, p in zip(lines, recorded[name], ptb.tokenize_python(lines)) if j != p]
        assert mismatches == [], name


@needs_java
def test_recorded_shipped_output_is_the_jars():
    recorded = shipped_ptb_jar_output()
    for name, lines in _shipped_coco_documents().items():
        assert ptb.tokenize_java(lines) == recorded[name], name


# sha256 (first 16 hex digits) of the jar's output for each document of the COCO data, all
# documents tokenized together in this order (references in file order, then each system)
JAR_OUTPUT_SHA256 = {
    "coco_fakecap/references": "58200bc025173338", "magic_flickr30k/references": "4124e56c1370afbb",
    "magic_mscoco/references": "f0c1e765a796fc55", "coco_images12/references": "3aa06b1e54397a39",
    "coco_fakecap/fakecap": "8e0dfaabc269d1b6", "magic_flickr30k/clipre": "93b1a668540e5593",
    "magic_flickr30k/contrastive": "31db9ff543ec09c4", "magic_flickr30k/magic": "28c4d27604dbd3f2",
    "magic_flickr30k/nucleus_run_1": "15e99d0a80237e00", "magic_flickr30k/nucleus_run_2": "1663ccf6eae1c3ac",
    "magic_flickr30k/nucleus_run_3": "ff7c0cd9f8f3040a", "magic_flickr30k/top_k_run_1": "c9768afcda3d64d1",
    "magic_flickr30k/top_k_run_2": "90125c76c0627b8f", "magic_flickr30k/top_k_run_3": "c0a40c223237cb4f",
    "magic_flickr30k/zerocap": "7ed7ca6aa7f4f235", "magic_mscoco/clipre": "508f5d67e8e9e0d6",
    "magic_mscoco/contrastive": "25bbcb708c3e8d52", "magic_mscoco/magic": "d9c358993dfca90d",
    "magic_mscoco/nucleus_run_1": "8eb857ea7485ec02", "magic_mscoco/nucleus_run_2": "ad1f2b0d60d01fad",
    "magic_mscoco/nucleus_run_3": "2dda5bb4d5281c22", "magic_mscoco/top_k_run_1": "cc960fed0b325064",
    "magic_mscoco/top_k_run_2": "9129645fb684d9da", "magic_mscoco/top_k_run_3": "7ca523c052c70df9",
    "magic_mscoco/zerocap": "18bab2a5f1ee21dd",
}


def _all_coco_documents() -> dict[str, list[str]]:
    """Each data set's references (file order) and each system's predictions, as COCOEvalCap sees them."""
    docs = {}
    for dataset in CAPTIONING_DATASETS + ("coco_images12",):
        docs[f"{dataset}/references"] = [r for rs in captioning_references(dataset).values() for r in rs]
    docs.update({f"{c.dataset}/{c.system}": list(c.predictions) for c in golden_captioning_cases()})
    return {name: lines for name, lines in docs.items() if lines}


def _split_back(docs: dict[str, list[str]], tokens: list[str]) -> dict[str, list[str]]:
    out, at = {}, 0
    for name, lines in docs.items():
        out[name] = tokens[at:at + len(lines)]
        at += len(lines)
    return out


needs_data = pytest.mark.skipif(not golden_captioning_cases(), reason="shared evaluation data not found")


@needs_data
def test_python_tokenizer_reproduces_the_jar_on_all_coco_data_without_java(capsys):
    docs = _all_coco_documents()
    lines = [line for doc in docs.values() for line in doc]
    tokens = _split_back(docs, ptb.tokenize(lines, "ptb-python"))
    digests = {name: hashlib.sha256("\n".join(t).encode()).hexdigest()[:16] for name, t in tokens.items()}
    different = sorted(name for name in JAR_OUTPUT_SHA256 if digests.get(name) != JAR_OUTPUT_SHA256[name])
    with capsys.disabled():
        print(f"\nPTB python vs recorded jar output: {len(different)} of {len(digests)} documents differ "
              f"({len(lines)} captions)")
    assert set(digests) == set(JAR_OUTPUT_SHA256) and different == []


@needs_java
@needs_data
def test_no_mismatch_with_the_jar_on_all_coco_data(capsys):
    lines = [line for doc in _all_coco_documents().values() for line in doc]
    java, python = ptb.tokenize_java(lines), ptb.tokenize(lines, "ptb-python")
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
