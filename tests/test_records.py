"""The typed run record: its JSON schema, round trips, helpers, and schema-1 records."""
import json

import numpy as np
import pytest

from conftest import write_jsonl
from harness.errors import DataError, UsageError
from harness.run import RunOptions, evaluate
from harness.record import SCHEMA_PATH, RunRecord, json_schema
from harness.record.store import load_runs, read_record

ROWS = [{"id": "a", "source": "Das Haus ist klein.", "references": ["The house is small."]},
        {"id": "b", "source": "Der Hund bellt laut.", "references": ["The dog barks loudly."]},
        {"id": "c", "source": "Es regnet.", "references": ["It is raining.", "It rains."]}]


@pytest.fixture
def task_file(tmp_path):
    data = write_jsonl(tmp_path / "data.jsonl", ROWS)
    path = tmp_path / "t.yaml"
    path.write_text(json.dumps({"name": "t", "family": "translation", "source": {"path": str(data)},
                                "metrics": [{"name": "bleu", "tokenize": "intl"}, "chrf", "ter"]}))
    return path


def test_the_schema_file_is_generated_from_the_models():
    assert SCHEMA_PATH.read_text(encoding="utf-8") == json_schema(), \
        "run_record.schema.json is stale; run: python -m harness.record"


def test_a_written_record_reads_back_equal(tmp_path, task_file):
    [record] = evaluate("copy-source", [str(task_file)], RunOptions(output=tmp_path / "out"))
    again = read_record(record.folder / "run.json")
    assert again.to_dict() == record.to_dict()
    assert again.schema_version == 2 and again.status == "complete" and again.n_scored == 3
    assert again.scores["bleu"].spec == {"name": "bleu", "tokenize": "intl"}
    assert again.scores["chrf"].spec == {"name": "chrf"}
    assert again.scores["ter"].higher_is_better is False
    assert again.postprocess == ["strip"]


@pytest.mark.parametrize("name", ["bleu", "chrf", "ter"])
def test_stored_spec_and_statistics_rebuild_the_score(tmp_path, task_file, name):
    [record] = evaluate("copy-source", [str(task_file)], RunOptions(output=tmp_path / "out"))
    [loaded] = load_runs(record.folder)
    entry = loaded.score(name)
    stats = loaded.stats(name)
    assert stats.shape[0] == 3
    assert entry.metric().aggregate(stats) == pytest.approx(entry.score, abs=1e-9)


def test_unwritten_records_keep_their_statistics_in_memory(tmp_path, task_file):
    [record] = evaluate("copy-source", [str(task_file)], RunOptions(write=False, n_bootstrap=0))
    assert record.folder is None and not (tmp_path / "results").exists()
    assert record.score("bleu").metric().aggregate(record.stats("bleu")) == \
        pytest.approx(record.score("bleu").score)


def test_asking_for_a_missing_score_names_the_ones_there(tmp_path, task_file):
    [record] = evaluate("copy-source", [str(task_file)], RunOptions(write=False, n_bootstrap=0))
    with pytest.raises(UsageError, match=r"no score 'bleu4'.*did you mean 'bleu'.*it has: bleu, chrf, ter"):
        record.score("bleu4")


# the shape store.py and pipeline.py wrote before run ids (schema 1)
V1 = {
    "schema_version": 1,
    "task": {"name": "demo-translation", "version": 1, "family": "translation",
             "source": "file:demo/translation.jsonl", "metrics": ["bleu", "chrf", "ter"],
             "description": "", "data_fingerprint": "11065f42" + "0" * 56, "n_examples": 2,
             "limit": 2, "data_override": None},
    "model": {"spec": "hf-seq2seq:t5-small", "kind": "hf-seq2seq", "locator": "t5-small",
              "args": {}, "fingerprint": {"locator": "t5-small", "revision": "abc"}},
    "generation": {"max_new_tokens": 64, "min_new_tokens": 0, "num_beams": 1, "do_sample": False,
                   "temperature": 1.0, "top_p": 1.0, "top_k": 0, "repetition_penalty": 1.0,
                   "stop": ["\n"], "seed": 12345},
    "seed": 12345,
    "scores": {"demo-translation": {
        "bleu": {"score": 6.02, "signature": "bleu|nrefs:1|data:11065f42", "higher_is_better": True,
                 "ci95": [1.6, 13.2], "details": {"bp": 1.0}},
        "ter": {"score": 107.7, "signature": "ter|data:11065f42", "higher_is_better": False,
                "ci95": None}}},
    "timings": {"load_s": 0.016, "prepare_s": 0.01, "generation_s": 14.9, "scoring_s": 0.4,
                "n_requests": 2, "n_cached": 0, "n_generated": 2, "n_truncated": 0,
                "examples_per_s": 10.0, "generated_tokens_per_s": 100.0, "generated_tokens": 20,
                "seconds": {"load": 14.7, "generation": 0.2, "total": 14.9, "model": 0.15,
                            "overhead": 0.05},
                "peak_memory_bytes": 1000, "peak_memory_kind": "process peak RSS",
                "cache": "/c/generations.sqlite", "padding_efficiency": 0.8,
                "device": "cpu", "dtype": "float32", "threads": 2,
                "batches": {"count": 1, "batch_size": "auto", "mean_rows": 2.0, "max_rows": 2,
                            "oom_retries": 0, "token_budget_start": 4096, "token_budget_end": 4096}},
    "environment": {"python": "3.11.7", "platform": "Linux", "packages": {"sacrebleu": "2.6.0"},
                    "harness_git": None, "hardware": {"machine": "x86_64", "cpus": 2,
                                                      "processor": None},
                    "command": ["harness", "run"], "user": None},
    "created": "2026-11-29T10:00:00+00:00",
    "files": {"folder": "results/hf-seq2seq_t5-small/demo-translation", "samples": "samples.jsonl",
              "stats": {"bleu": "stats/bleu.npy", "ter": "stats/ter.npy"}},
}


def _write_v1(root):
    folder = root / "hf-seq2seq_t5-small" / "demo-translation"
    (folder / "stats").mkdir(parents=True)
    (folder / "run.json").write_text(json.dumps(V1))
    np.save(folder / "stats" / "bleu.npy", np.ones((2, 9)))
    return folder


def test_a_schema_1_record_is_converted_on_reading(tmp_path):
    folder = _write_v1(tmp_path)
    [record] = load_runs(tmp_path)
    assert record.folder == folder and record.status == "complete"
    assert record.run_id == "20261129T100000Z-v1"
    assert set(record.scores) == {"bleu", "ter"} and record.score("ter").higher_is_better is False
    assert record.score("bleu").ci95 == (1.6, 13.2) and record.score("bleu").spec is None
    assert record.timings.load_s == pytest.approx(14.716)  # both of schema 1's load times
    assert record.timings.generate_s == pytest.approx(0.2)
    assert record.timings.total_s == pytest.approx(14.716 + 0.01 + 0.2 + 0.4)
    assert record.model.runtime == {"device": "cpu", "dtype": "float32", "threads": 2}
    assert record.engine.batches.token_budget_end == 4096 and record.throughput.padding_efficiency == 0.8
    assert record.postprocess is None and record.n_scored == 2
    assert record.stats("bleu").shape == (2, 9)
    with pytest.raises(DataError, match="rerun"):
        record.score("bleu").metric()


def test_a_schema_1_folder_sits_beside_newer_runs(tmp_path):
    folder = _write_v1(tmp_path)
    data = write_jsonl(tmp_path / "d.jsonl", ROWS[:2])
    options = RunOptions(output=tmp_path, data=data, n_bootstrap=0, metrics=("bleu",))
    from harness.models.baselines import CopySource
    [new] = evaluate("hf-seq2seq:t5-small", ["demo-translation"], options, model=CopySource())
    assert new.folder.parent == folder
    assert [r.run_id for r in load_runs(folder, all_runs=True)] == ["20261129T100000Z-v1", new.run_id]
    assert [r.run_id for r in load_runs(folder)] == [new.run_id]


def test_records_from_a_newer_schema_are_refused_with_the_fix(tmp_path):
    path = tmp_path / "run.json"
    path.write_text(json.dumps({"schema_version": 3}))
    with pytest.raises(DataError, match=r"run.json: schema_version 3 .*upgrade harness"):
        read_record(path)
    path.write_text(json.dumps({**V1, "schema_version": 2}))
    with pytest.raises(DataError, match="malformed schema-2 run record"):
        read_record(path)


def test_unknown_fields_are_refused_not_dropped():
    from pydantic import ValidationError
    with pytest.raises(ValidationError, match="extra"):
        RunRecord.model_validate({"schema_version": 2, "surprise": 1})
