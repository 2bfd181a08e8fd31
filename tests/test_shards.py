"""Job-array shards through the command line: the last shard merges, a merged run is the run
one process makes, and a missing, duplicated or odd shard stops the merge naming it.

A file of predictions is the model here (generation is not the point; ``test_shards_tiny_model``
runs a real one); each command runs in-process with the ``sys.argv`` a shell would give it."""
import json
import re
import shutil
import sys

import pytest

from conftest import run_main, write_jsonl
from harness.record import store
from harness.run import merge
from harness.run.merge_lock import merge_lock
from harness.errors import UsageError
from harness.models.predictions import Predictions
from harness.run import RunOptions, evaluate
from harness.run.options import Shard

ROWS = [{"id": f"s{i}", "source": f"Sentence {i} has {'many ' * i}words.",
         "references": [f"Satz {i} hat {'viele ' * i}Wörter."]} for i in range(10)]


@pytest.fixture
def files(tmp_path):
    data = write_jsonl(tmp_path / "d.jsonl", ROWS)
    other = write_jsonl(tmp_path / "other.jsonl", [{**r, "references": ["anders"]} if r["id"] == "s3"
                                                   else r for r in ROWS])
    preds = write_jsonl(tmp_path / "p.jsonl", [{"id": r["id"], "prediction": r["references"][0]
                                                .replace("viele", "manche")} for r in ROWS])
    return {"data": data, "other": other, "preds": preds, "out": tmp_path / "out"}


def harness(capsys, monkeypatch, *args):
    monkeypatch.setattr(sys, "argv", ["harness", *args])  # what the record keeps as the command
    return run_main(capsys, *args)


def run(capsys, monkeypatch, files, *extra, data=None):
    return harness(capsys, monkeypatch, "run", "--model", f"predictions:{files['preds']}",
                   "--tasks", "demo-translation", "--data", str(data or files["data"]),
                   "--output", str(files["out"]), "--metrics", "chrf,bleu", "--bootstrap", "50",
                   "--no-progress", *extra)


def shard_files(out):
    return sorted(out.rglob("shard-*-of-*.json"))


def test_the_last_shard_merges_into_the_run_one_process_makes(capsys, monkeypatch, files, tmp_path):
    rc, out, err = run(capsys, monkeypatch, files, "--shard", "2/3")
    assert rc == 0 and out == "", err
    assert "waiting for shard 0, 1" in err and "harness merge" in err
    rc, out, err = run(capsys, monkeypatch, files, "--shard", "0/3")
    assert rc == 0 and "waiting for shard 1 " in err
    assert store.load_runs(files["out"]) == []  # nothing is a result before every shard is in
    rc, out, err = run(capsys, monkeypatch, files, "--shard", "1/3")
    assert rc == 0 and "merged 3 shards of demo-translation" in err
    assert "run folders:" in out

    merged, = store.load_runs(files["out"])
    parts = [json.loads(p.read_text()) for p in shard_files(files["out"])]
    assert merged.merged_from.count == 3
    assert merged.merged_from.run_ids == [p["run_id"] for p in sorted(parts, key=lambda p: p["index"])]
    assert sorted(i for p in parts for i in p["positions"]) == list(range(len(ROWS)))

    files["out"] = tmp_path / "single"
    assert run(capsys, monkeypatch, files)[0] == 0
    single, = store.load_runs(files["out"])
    assert single.merged_from is None
    for name in ("chrf", "bleu"):
        assert merged.score(name) == single.score(name)  # score, CI, signature, statistics file
        assert (merged.stats(name) == single.stats(name)).all()
    assert (merged.status, merged.n_scored, merged.task) == (single.status, single.n_scored, single.task)
    samples = [(merged.folder / "samples.jsonl").read_text(), (single.folder / "samples.jsonl").read_text()]
    assert samples[0] == samples[1]
    rc, out, err = harness(capsys, monkeypatch, "compare", str(single.folder), str(merged.folder))
    assert rc == 0, err


def test_merging_again_reads_the_merged_run_back(capsys, monkeypatch, files):
    for i in (0, 1):
        assert run(capsys, monkeypatch, files, "--shard", f"{i}/2")[0] == 0
    rc, out, err = harness(capsys, monkeypatch, "merge", str(files["out"]))
    assert rc == 0 and "already merged" in err
    assert len(list(files["out"].glob("*/*/2*"))) == 1


def test_each_task_of_a_sharded_run_is_merged(capsys, monkeypatch, files):
    for i in (0, 1):
        rc, out, err = run(capsys, monkeypatch, files, "--shard", f"{i}/2", "--tasks",
                           "demo-translation,demo-summarization")
        assert rc == 0, err
    assert "merged 2 shards of demo-translation" in err and "merged 2 shards of demo-summarization" in err
    records = store.load_runs(files["out"])
    assert sorted(r.task.name for r in records) == ["demo-summarization", "demo-translation"]
    assert all(r.merged_from.count == 2 and r.n_scored == len(ROWS) for r in records)


def test_a_missing_shard_is_named_with_its_folder_and_the_command_that_makes_it(capsys, monkeypatch,
                                                                               files):
    for i in (0, 2):
        assert run(capsys, monkeypatch, files, "--shard", f"{i}/3")[0] == 0
    rc, out, err = harness(capsys, monkeypatch, "merge", str(files["out"]))
    assert rc == 2
    folder = shard_files(files["out"])[0].parent
    assert "shard 1 of 3 is missing" in err and str(folder) in err
    assert "shard-0-of-3.json, shard-2-of-3.json" in err and "--shard 1/3" in err
    assert store.load_runs(files["out"]) == []


@pytest.mark.parametrize("field, odd, keyed", [
    ("model.args", ["--model-args", "field=prediction"], True),
    ("task.data_fingerprint", "other", True),
    ("task.data_fingerprint", "other", False),
    ("seed", ["--seed", "7"], False),
])
def test_a_shard_run_with_other_settings_is_named_with_the_field_and_its_file(
        capsys, monkeypatch, files, field, odd, keyed):
    key = ["--shard-key", "job-81"] if keyed else []
    extra, data = ([], files[odd]) if isinstance(odd, str) else (odd, None)
    assert run(capsys, monkeypatch, files, "--shard", "0/2", *key)[0] == 0
    rc, out, err = run(capsys, monkeypatch, files, "--shard", "1/2", *key, *extra, data=data)
    if not keyed:  # other settings, another key: it waits in a folder of its own
        assert rc == 0 and "waiting for shard 0" in err
        rc, out, err = harness(capsys, monkeypatch, "merge", str(files["out"]))
    assert rc == 2
    first, odd_file = sorted(shard_files(files["out"]), key=lambda p: p.name)
    assert f"{field}: shard " in err and str(first) in err and str(odd_file) in err
    if keyed:  # one folder: the shard that differs from shard 0 is the odd one
        assert f"{field}: shard 0 ({first}) has" in err and f"shard 1 ({odd_file}) has" in err
    assert store.load_runs(files["out"]) == []


def test_a_duplicated_shard_is_named_with_both_files(capsys, monkeypatch, files, tmp_path):
    for i in (0, 1):
        assert run(capsys, monkeypatch, files, "--shard", f"{i}/2")[0] == 0
    first = next(p for p in shard_files(files["out"]) if p.name == "shard-0-of-2.json")
    copy = tmp_path / "elsewhere" / first.name
    copy.parent.mkdir()
    shutil.copy(first, copy)
    rc, out, err = harness(capsys, monkeypatch, "merge", str(first.parent), str(copy.parent))
    assert rc == 2
    assert f"shard 0 of 2 appears twice: {first} " in err and str(copy) in err


def test_two_shards_finding_every_part_at_once_merge_once(capsys, monkeypatch, files):
    assert run(capsys, monkeypatch, files, "--shard", "0/2")[0] == 0
    folder = shard_files(files["out"])[0].parent
    monkeypatch.setenv("HARNESS_MERGE_WAIT_S", "0")  # no waiting for the merge held below
    with merge_lock(folder, 2, "run-being-merged") as lock:  # another shard is merging right now
        assert lock.held_by is None
        rc, out, err = run(capsys, monkeypatch, files, "--shard", "1/2")
    assert rc == 2 and "is merging these shards" in err and out == ""
    assert f"has not finished after 0 s (HARNESS_MERGE_WAIT_S); once it has stopped, run `harness merge {folder}`" in err
    assert store.load_runs(files["out"]) == []
    parts = merge.find_parts([folder])
    rc, out, err = harness(capsys, monkeypatch, "merge", str(folder))
    assert rc == 0 and "merged 2 shards" in err
    assert merge.find_parts([folder]) == []  # put away under merged/<run id>/
    # a shard that lost the race, looking when the lock is free, finds the work done
    outcome = merge.merge_when_complete(parts[1], None, files["out"], None)
    assert outcome.record is None and "another shard merged it" in outcome.note
    assert len(store.load_runs(files["out"], all_runs=True)) == 1


@pytest.mark.parametrize("args, says", [
    (["--shard", "4/4"], "shards count from 0, so I is one of 0..3"),
    (["--shard", "1/4", "--shard", "4/4"], "$((SLURM_ARRAY_TASK_ID - 1))/4"),
    (["--shard=-1/4"], "I is one of 0..3"),
    (["--shard", "0/0"], "N, the number of shards, must be 1 or more"),
    (["--shard", "1of4"], "expected I/N, shard I of N counting from 0"),
    (["--shard", ""], "expected I/N"),
    (["--shard-key", "k"], "give --shard I/N with it"),
])
def test_a_bad_shard_is_a_usage_error_that_says_the_numbering(capsys, monkeypatch, files, args, says):
    rc, out, err = run(capsys, monkeypatch, files, *args)
    assert rc == 2 and says in err
    assert not files["out"].exists()


def test_run_help_says_shards_count_from_zero(capsys):
    rc, out, _ = run_main(capsys, "run", "--help")
    assert rc == 0
    assert "counting from 0" in out and "$SLURM_ARRAY_TASK_ID/4" in out and "JOB_COMPLETION_INDEX" in out
    rc, out, _ = run_main(capsys, "merge", "--help")
    assert rc == 0 and "harness merge results/" in out


@pytest.mark.parametrize("shard, write, says", [
    (Shard(2, 2), True, "I is one of 0..1"),
    (Shard(0, 2), False, "keeps its part in the output folder"),
])
def test_the_library_checks_the_shard_before_the_model_loads(files, monkeypatch, shard, write, says):
    def load(*_, **__):
        raise AssertionError("the model was loaded")
    monkeypatch.setattr(Predictions, "__init__", load)
    with pytest.raises(UsageError, match=re.escape(says)):
        evaluate(f"predictions:{files['preds']}", ["demo-translation"],
                 RunOptions(data=files["data"], output=files["out"], shard=shard, write=write))
