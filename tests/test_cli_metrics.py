"""`--metrics NAME:OPTION=VALUE,...`: metric options from the command line."""
import json

import pytest

from conftest import run_cli, write_jsonl
from harness.cli import parse_metrics
from harness.errors import UsageError


@pytest.mark.parametrize("text, specs", [
    ("bleu,chrf", ("bleu", "chrf")),
    ("bleu:tokenize=zh,chrf", ({"name": "bleu", "tokenize": "zh"}, "chrf")),
    ("bleu:tokenize=zh:lowercase=yes", ({"name": "bleu", "tokenize": "zh", "lowercase": "yes"},)),
    (" chrf++:word_order=2 , ter ", ({"name": "chrf++", "word_order": "2"}, "ter")),
    ("bleu,,", ("bleu",)),
])
def test_metric_specs_from_the_command_line(text, specs):
    assert parse_metrics(text) == specs


@pytest.mark.parametrize("text, message", [
    ("bleu:tokenize", "expected option=value after 'bleu:', got 'tokenize'"),
    ("bleu:=zh", "expected option=value"),
    (":tokenize=zh", "has no metric name"),
    ("bleu:tokenize=zh:tokenize=13a", "'tokenize' is given twice"),
])
def test_malformed_metric_specs_say_what_to_write(text, message):
    with pytest.raises(UsageError, match=message):
        parse_metrics(text)


@pytest.fixture
def scored(tmp_path):
    data = write_jsonl(tmp_path / "d.jsonl",
                       [{"id": "a", "source": "x", "references": ["The house is very small today."]}])
    preds = write_jsonl(tmp_path / "p.jsonl",
                        [{"id": "a", "prediction": "the house is very small today."}])
    return ["run", "--model", f"predictions:{preds}", "--tasks", "demo-translation", "--data",
            str(data), "--output", str(tmp_path / "out"), "--bootstrap", "0"]


def test_options_are_used_and_recorded_in_the_score_spec(scored):
    proc = run_cli(*scored, "--metrics", "bleu:tokenize=zh:lowercase=yes,chrf", "--json")
    assert proc.returncode == 0, proc.stderr
    scores = json.loads(proc.stdout)["scores"]
    assert scores["bleu"]["spec"] == {"name": "bleu", "tokenize": "zh", "lowercase": "yes"}
    assert "|case:lc|" in scores["bleu"]["signature"] and "|tok:zh|" in scores["bleu"]["signature"]
    assert scores["bleu"]["score"] == pytest.approx(100.0)  # lower-cased, the prediction is the reference
    assert scores["chrf"]["spec"] == {"name": "chrf"}


@pytest.mark.parametrize("metrics, message", [
    ("bleu:tokenize=zz", "metric 'bleu': tokenize='zz' is not one of 13a, intl, zh"),
    ("bleu:tokenise=zh", "did you mean 'tokenize'"),
    ("bleu:lowercase=maybe", "lowercase='maybe' is not a valid bool"),
    ("bleu,bleu:tokenize=zh", "metric 'bleu' is asked for twice"),
])
def test_bad_options_stop_before_anything_runs(scored, tmp_path, metrics, message):
    proc = run_cli(*scored, "--metrics", metrics)
    assert proc.returncode == 2 and message in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr and not (tmp_path / "out").exists()
