"""The score table and throughput line, from typed records."""
import pytest

from conftest import write_jsonl
from harness.run import RunOptions, evaluate
from harness.record import ExampleError, Throughput, Timings
from harness.reports.table import format_table, throughput_line

ROWS = [{"id": "a", "source": "Das Haus ist klein.", "references": ["The house is small."]},
        {"id": "b", "source": "Der Hund bellt.", "references": ["The dog barks."]}]


@pytest.fixture(scope="module")
def record(tmp_path_factory):
    data = write_jsonl(tmp_path_factory.mktemp("data") / "d.jsonl", ROWS)
    [rec] = evaluate("copy-source", ["demo-translation"], RunOptions(data=data, write=False))
    return rec


def test_lower_is_better_metrics_are_marked(record):
    table = format_table([record])
    lines = table.splitlines()
    assert lines[0].split() == ["task", "model", "metric", "score", "95%", "CI", "n"]
    assert any(l.split()[2:4] == ["ter", "↓"] for l in lines[2:5])
    assert any(l.split()[2] == "bleu" and "↓" not in l for l in lines[2:5])
    assert "(↓ lower is better)" in table and record.score("ter").signature in table
    assert "↓" not in format_table([record.model_copy(update={"scores": {"bleu": record.score("bleu")}})])


def test_a_baseline_or_predictions_file_shows_no_rates(record):
    line = throughput_line(record)
    assert line.startswith("demo-translation: 2 examples | ")
    assert "ex/s" not in line and "tok/s" not in line and "padding" not in line
    assert "gen 0.0s, scoring" in line


def test_a_generating_model_shows_its_rates_and_real_load_time(record):
    generated = record.model_copy(update={
        "throughput": Throughput(examples_per_s=5.0, generated_tokens_per_s=48.6,
                                 generated_tokens=97, padding_efficiency=0.81),
        "timings": Timings(load_s=14.7, generate_s=0.4, score_s=0.2, total_s=15.3)})
    assert throughput_line(generated) == ("demo-translation: 2 examples | 5.0 ex/s | 49 tok/s | "
                                          "padding eff 0.81 | load 14.7s, gen 0.4s, scoring 0.2s")


def test_a_partial_run_shows_how_many_were_scored(record):
    partial = record.model_copy(update={"status": "partial", "n_scored": 1, "n_errors": 1,
                                        "errors": [ExampleError(id="b", error="timeout")]})
    assert "| 1 failed |" in throughput_line(partial)
    assert all(l.rstrip().endswith("1/2") for l in format_table([partial]).splitlines()[2:5])
