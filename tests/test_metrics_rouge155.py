"""ROUGE-1.5.5 exact (impl=rouge155, rouge3/4, rougeW, rougeS*/SU*) against the Perl script
itself (scripts/rouge155-oracle.sh installs it; one script call per option set, its output
kept by input), on REALSumm and on generated edge cases, and against REALSumm's published
per-document scores. The whole 1,200-document comparison is bench/rouge155_check.py.

Without the script, the comparisons read what it printed for these same inputs from
tests/data/conformance/rouge155_script (HARNESS_ROUGE155_SHIP=1 with the script present
writes them there; with HARNESS_SHARED_DATA=/nowhere too for the shipped REALSumm subset)."""
import json
import subprocess

import numpy as np
import pytest

from conftest import run_main, write_jsonl
from harness.errors import UsageError
from harness.metrics.base import Corpus
from harness.metrics.rouge155_text import porter_stem
from harness.metrics.scoring import build_metric
from harness.testing import rouge155_oracle
from harness.testing.golden import (golden_summarization_cases, load_json, summarization_published_rouge155,
                                    vectors_folders)

needs_oracle = pytest.mark.skipif(rouge155_oracle.oracle_script() is None,
                                  reason=rouge155_oracle.missing_reason())
EVERY_TYPE = ["-n", "4", "-w", "1.2", "-2", "4", "-U"]
# the script's name of each score -> the metric that computes it here
SPECS = {"ROUGE-1": {"name": "rouge1", "impl": "rouge155"}, "ROUGE-2": {"name": "rouge2", "impl": "rouge155"},
         "ROUGE-3": {"name": "rouge3"}, "ROUGE-4": {"name": "rouge4"},
         "ROUGE-L": {"name": "rougeLsum", "impl": "rouge155"}, "ROUGE-W-1.2": {"name": "rougeW"},
         "ROUGE-S4": {"name": "rougeS4"}, "ROUGE-SU4": {"name": "rougeSU4"}}
VECTORS = vectors_folders("rouge_score_vs_rouge155")  # the shipped copy first
UNLIMITED = {"ROUGE-S*": {"name": "rougeS"}, "ROUGE-SU*": {"name": "rougeSU"}}

LONG = ("The committee met on Tuesday to discuss the budget.\nMembers argued about the new "
        "school, the hospital and the roads.\nNo decision was taken; they meet again next week, "
        "officials said.\nCritics called the delay irresponsible and costly.")
EDGE_CASES = [  # (prediction, references)
    ("", ["the cat sat on the mat."]),  # empty summary
    ("cat", ["the cat sat on the mat."]),  # one word
    ("Cats!", ["cat"]),  # one word each
    ("the cat sat.\nthe cat sat.\nthe cat sat.", ["the cat sat on the mat.\nthe cat sat."]),  # repeated lines
    ("... !!! ---\nthe dog ran\n?!", ["--- ...\nthe dog ran away\n(( ))"]),  # punctuation-only lines
    ("   \nleading blanks   and\ttabs\n\n\nthe end", ["leading blanks, and tabs.\n   \nthe end"]),
    ("Café naïve résumé in Москва and 東京 today", ["the cafe was naive: Москва 東京 today"]),  # non-ASCII
    ("Children went running; mice were better-fed than geese",
     ["The child goes to run, the mouse is well fed as a goose"]),  # WordNet exceptions, hyphens
    ("yelling yes, yearly yields of $100,000 in 2015", ["yell yes 100 000 yield 2015 year"]),
    (LONG, [LONG.replace("Tuesday", "Monday"), "The budget meeting ended without a decision.\nIt resumes next week."]),
    ("ant bee cat dog eel fox gnu hen", ["hen gnu fox eel dog cat bee ant", "ant cat eel gnu", "bee dog fox hen"]),
    ("the cat the cat the cat", ["the cat", "cat the cat"]),  # clipping
]
# (the script's flags, our options); every set also gets EVERY_TYPE
OPTION_SETS = [
    (["-m"], {}),
    ([], {"use_stemmer": False}),
    (["-m", "-s"], {"stopwords": True}),
    (["-m", "-l", "10"], {"max_words": 10}),
    (["-m", "-b", "40"], {"max_bytes": 40}),
    (["-m", "-f", "B"], {"multiref": "B"}),
    (["-m", "-p", "0.3", "-c", "90", "-r", "200"], {"alpha": 0.3, "script_confidence": 90, "script_resamples": 200}),
]


def corpus_of(pairs) -> Corpus:
    return Corpus([p for p, _ in pairs], [list(r) for _, r in pairs])


def assert_as_the_script(corpus: Corpus, flags: list[str], options: dict, specs: dict) -> None:
    """Every document's recall, precision and F, and the printed averages and intervals, equal."""
    try:
        printed = rouge155_oracle.run_script(corpus.predictions, corpus.references, flags)
    except rouge155_oracle.OracleMissing as missing:
        pytest.skip(f"{missing} (and no shipped output of it for these inputs)")
    for script_name, spec in specs.items():
        metric = build_metric({**spec, **options})
        stats = metric.statistics(corpus)
        ours, theirs = stats[:, [1, 2, 0]], np.array(printed[script_name].documents)  # r, p, f
        differ = np.flatnonzero(np.any(ours != theirs, axis=1))
        assert not len(differ), (f"{script_name} {' '.join(flags)}: document {differ[0]}: ours {ours[differ[0]]}, "
                                 f"the script {theirs[differ[0]]}")
        boot = metric.details(stats)["script_bootstrap"]
        assert [tuple(boot[k]) for k in "rpf"] == [printed[script_name].printed[k] for k in "RPF"], script_name


def realsumm_sample() -> Corpus:
    """100 REALSumm documents: one system (the shared data), else the shipped subset's 80."""
    cases = golden_summarization_cases("shared") or golden_summarization_cases("shipped")
    pairs = [(p, r) for c in cases for p, r in zip(c.predictions, c.references)]
    return corpus_of(pairs[:100])


@pytest.mark.parametrize("stem", [True, False], ids=["-m", "no-stem"])
def test_realsumm_equals_the_script(stem):
    flags = EVERY_TYPE + ["-c", "95", "-r", "1000"] + (["-m"] if stem else [])
    assert_as_the_script(realsumm_sample(), flags, {"use_stemmer": stem}, SPECS)


@pytest.mark.parametrize("flags, options", OPTION_SETS, ids=[" ".join(f) or "plain" for f, _ in OPTION_SETS])
def test_edge_cases_equal_the_script(flags, options):
    assert_as_the_script(corpus_of(EDGE_CASES), EVERY_TYPE + flags, options, SPECS)


def test_unlimited_skip_bigrams_equal_the_script():
    assert_as_the_script(corpus_of(EDGE_CASES), ["-2", "-1", "-U", "-m"], {}, UNLIMITED)


@needs_oracle
def test_the_stemmer_is_the_scripts_on_every_word_of_realsumm():
    """The script's own ``stem`` subroutine (read from the installed script and run alone)."""
    corpus = realsumm_sample()
    words = sorted({w for text in [*corpus.predictions, *(r[0] for r in corpus.references)]
                    for w in text.lower().split() if w.isalnum() and w.isascii()}
                   | {"yelling", "yearly", "agreed", "replacement", "generalization", "oscillators"})
    source = rouge155_oracle.oracle_script().read_text(encoding="latin-1")
    program = source[source.index("local %step2list"):] + \
        '\ninitialise(); while (<STDIN>) { chomp; print stem($_), "\\n"; }\n'
    out = subprocess.run(["perl", "-e", program], input="\n".join(words) + "\n", capture_output=True,
                         text=True, check=True).stdout.splitlines()
    assert [porter_stem(w) for w in words] == out


def test_realsumm_published_scores_per_document():
    """REALSumm's per-document ROUGE-1.5.5 (-c 95 -n 2 -a -r 1000 -m): all 1,200 equal."""
    rows = summarization_published_rouge155()
    if not rows:
        pytest.skip("the shared REALSumm data (with its published scores) is absent")
    corpus = corpus_of([(r["prediction"], [r["reference"]]) for r in rows])
    for name, published in [("rouge1", "rouge1"), ("rouge2", "rouge2"), ("rougeLsum", "rougeL_summary_level")]:
        stats = build_metric({"name": name, "impl": "rouge155"}).statistics(corpus)
        want = np.array([[r["published_rouge155"][published][k] for k in "frp"] for r in rows])
        assert np.abs(stats - want).max() <= 1e-5 + 1e-12, name


@pytest.mark.parametrize("origin, folder", VECTORS, ids=[o for o, _ in VECTORS])
def test_the_rouge155_values_rouge_score_publishes(origin, folder):
    """The ROUGE-1.5.5 (recall, precision, F) in rouge-score's own tests: recall and precision
    exactly; F to 1e-5, as those tests check it (line 1's ROUGE-2 F is 0.36364 there, the F of
    the unrounded values; the script prints 0.36363, F from the rounded ones, as here)."""
    expected = load_json(folder / "expected.json")["rouge155_published"]
    targets = (folder / "target.txt").read_text(encoding="utf-8").splitlines()[:2]
    predictions = (folder / "prediction.txt").read_text(encoding="utf-8").splitlines()[:2]
    lines = corpus_of([(p, [t]) for p, t in zip(predictions, targets)])
    multi = corpus_of([((folder / "prediction_multi.0.txt").read_text(encoding="utf-8"),
                        [(folder / "target_multi.0.txt").read_text(encoding="utf-8")])])
    checks = [(f"line{i}", key, lines, i) for key in ["rouge1", "rouge2", "rougeL", "rouge1_stem", "rouge2_stem"]
              for i in range(2)] + [("multi0", "rougeLsum_stem", multi, 0)]
    for case, key, corpus, row in checks:
        name, _, stem = key.partition("_")
        f, r, p = build_metric({"name": name, "impl": "rouge155", "use_stemmer": bool(stem)}).statistics(corpus)[row]
        want_r, want_p, want_f = expected[case][key]
        assert (r, p) == (want_r, want_p) and abs(f - want_f) <= 1e-5 + 1e-12, (case, key, (r, p, f))


@pytest.mark.parametrize("tokenizer, prediction, reference, f", [
    ("unicode", "кошка сидит на ковре", "кошка сидела на ковре", 0.75),  # 3 of 4 words
    ("char", "我爱北京", "我爱上海", 0.5),  # 2 of 4 characters
    ("default", "кошка сидит на ковре", "кошка сидела на ковре", 0.0),  # the script deletes them all
])
def test_other_scripts_score_with_the_harness_tokenizers(tokenizer, prediction, reference, f):
    corpus = corpus_of([(prediction, [reference])])
    metric = build_metric({"name": "rouge1", "impl": "rouge155", "tokenizer": tokenizer})
    assert metric.aggregate(metric.statistics(corpus)) == pytest.approx(100 * f)
    assert f"|tok:{'rouge155' if tokenizer == 'default' else tokenizer}|" in metric.signature(corpus).format()


def test_the_corpus_score_is_the_plain_mean_of_the_chosen_column():
    corpus = corpus_of(EDGE_CASES)
    stats = build_metric({"name": "rouge2", "impl": "rouge155"}).statistics(corpus)
    for column, score in enumerate("frp"):
        metric = build_metric({"name": "rouge2", "impl": "rouge155", "score": score})
        assert metric.aggregate(stats) == pytest.approx(100 * stats[:, column].mean(), abs=1e-12)
        assert f"|score:{score}|" in metric.signature(corpus).format()


def test_worker_processes_give_identical_statistics():
    corpus = corpus_of(EDGE_CASES * 4)
    for name in ("rougeW", "rougeSU4"):
        one = build_metric({"name": name, "workers": 1}).statistics(corpus)
        assert np.array_equal(build_metric({"name": name, "workers": 2}).statistics(corpus), one), name


def test_an_empty_reference_scores_zero_where_the_script_divides_by_zero():
    corpus = corpus_of([("the cat sat", ["?!"]), ("the cat sat", ["the cat"])])
    stats = build_metric({"name": "rougeW"}).statistics(corpus)
    assert stats[0].tolist() == [0.0, 0.0, 0.0] and stats[1, 0] > 0


def test_rougeL_reads_each_summary_as_one_line():
    pairs = EDGE_CASES[3:6] + EDGE_CASES[9:10]
    flat = [(p.replace("\n", " "), [r.replace("\n", " ") for r in refs]) for p, refs in pairs]
    rouge_l = build_metric({"name": "rougeL", "impl": "rouge155"}).statistics(corpus_of(pairs))
    assert np.array_equal(rouge_l, build_metric({"name": "rougeLsum", "impl": "rouge155"}).statistics(corpus_of(flat)))
    assert not np.array_equal(rouge_l, build_metric({"name": "rougeLsum", "impl": "rouge155"}).statistics(corpus_of(pairs)))


@pytest.mark.parametrize("spec, message", [
    ({"name": "rouge1", "stopwords": True}, "option 'stopwords' belongs to ROUGE-1.5.5; add impl=rouge155"),
    ({"name": "rouge2", "impl": "rouge155", "max_words": 10, "max_bytes": 50}, "max_words or max_bytes, not both"),
    ({"name": "rougeW", "weight": 0}, "weight must be above 0"),
    ({"name": "rouge3", "impl": "rouge-score"}, "impl='rouge-score' is not one of rouge155"),
])
def test_option_mistakes_say_what_to_do(spec, message):
    with pytest.raises(UsageError, match=message):
        build_metric(spec)


def test_run_compare_and_leaderboard_from_the_command_line(tmp_path, capsys):
    cases = [c for c in golden_summarization_cases("shipped")][:2]
    data = write_jsonl(tmp_path / "data.jsonl", [{"id": i, "source": "x", "references": list(r)}
                                                 for i, r in zip(cases[0].ids, cases[0].references)])
    metrics = "rouge1:impl=rouge155,rouge2:impl=rouge155,rougeLsum:impl=rouge155,rougeSU4,rougeW"
    runs = []
    for case in cases:
        preds = write_jsonl(tmp_path / f"{case.system}.jsonl",
                            [{"id": i, "prediction": p} for i, p in zip(case.ids, case.predictions)])
        rc, out, err = run_main(capsys, "run", "--model", f"predictions:{preds}", "--tasks", "demo-summarization",
                                "--data", str(data), "--output", str(tmp_path / "out"), "--metrics", metrics, "--json")
        assert rc == 0, err
        runs.append(json.loads(out))
    scores = runs[0]["scores"]
    assert scores["rougeSU4"]["signature"].startswith("rougeSU4|impl:rouge155|skip:4|stem:wordnet2.0+porter|")
    assert set(scores["rouge1"]["details"]["script_bootstrap"]) == {"resamples", "confidence", "f", "r", "p"}
    models = sorted(str(p) for p in (tmp_path / "out").iterdir())  # one folder per model
    rc, out, err = run_main(capsys, "compare", *models, "--format", "json")
    assert rc == 0, err
    comparisons = json.loads(out)["comparisons"]
    assert {c["metric"] for c in comparisons} == {"rouge1", "rouge2", "rougeLsum", "rougeSU4", "rougeW"}
    stored = {run["model"]["spec"]: run["scores"] for run in runs}
    for c in comparisons:  # re-aggregated from the stored statistics: the run's own numbers
        assert c["system_score"] == pytest.approx(stored[c["system"]][c["metric"]]["score"], abs=1e-9)
    rc, out, err = run_main(capsys, "leaderboard", str(tmp_path / "out"))
    assert rc == 0 and "rougeW" in out and "impl:rouge155" in out, err
