"""Run folders on disk: runs never overwrite each other, appear whole, and are read by one reader."""
import json
import os
from pathlib import Path

import pytest

from conftest import write_jsonl
from harness.record import store
from harness.errors import DataError
from harness.run import RunOptions, evaluate
from harness.record.store import load_runs

ROWS = [{"id": "a", "source": "Das Haus ist klein.", "references": ["The house is small."]},
        {"id": "b", "source": "Der Hund bellt.", "references": ["The dog barks."]},
        {"id": "c", "source": "Es regnet.", "references": ["It is raining."]}]


@pytest.fixture
def run(tmp_path):
    data = write_jsonl(tmp_path / "data.jsonl", ROWS)

    def run_once(seed=12345, tasks=("demo-translation",), model="copy-source"):
        options = RunOptions(output=tmp_path / "out", data=data, seed=seed, n_bootstrap=20,
                             metrics=("bleu",))
        return evaluate(model, list(tasks), options)
    return run_once


def test_two_runs_coexist_and_latest_names_the_second(run, tmp_path):
    [first] = run(seed=1)
    [second] = run(seed=1)
    task = tmp_path / "out" / "copy-source" / "demo-translation"
    assert first.folder != second.folder and first.folder.parent == second.folder.parent == task
    assert sorted(p.name for p in task.iterdir()) == sorted([first.run_id, second.run_id, "latest"])
    assert (task / "latest").read_text().strip() == second.run_id
    for folder in (first.folder, second.folder):
        assert {p.name for p in folder.iterdir()} == {"run.json", "samples.jsonl", "stats"}
    ids = lambda records: [r.run_id for r in records]
    assert ids(load_runs(task)) == [second.run_id]
    assert ids(load_runs(task, all_runs=True)) == [first.run_id, second.run_id]
    assert ids(load_runs(first.folder)) == [first.run_id]
    assert ids(load_runs(first.folder / "run.json")) == [first.run_id]
    assert ids(load_runs(tmp_path / "out")) == [second.run_id]
    assert ids(load_runs(tmp_path / "out" / "copy-source", all_runs=True)) == [first.run_id, second.run_id]


def test_a_run_with_other_settings_is_read_beside_the_newest(run, tmp_path):
    """Another seed is another run key: the folder's newest run does not hide it."""
    [first] = run(seed=1)
    [second] = run(seed=2)
    [third] = run(seed=2)
    task = tmp_path / "out" / "copy-source" / "demo-translation"
    assert [r.run_id for r in load_runs(task)] == [first.run_id, third.run_id]
    assert first.key.differences(second.key) == ["seed"] and second.key == third.key


def test_every_latest_run_under_a_results_folder(run, tmp_path):
    run(tasks=("demo-translation",))
    run(tasks=("demo-translation",), model="lead-3")
    records = load_runs(tmp_path / "out")
    assert sorted((r.model.spec, r.task.name) for r in records) == [
        ("copy-source", "demo-translation"), ("lead-3", "demo-translation")]


def test_the_tasks_of_one_call_share_a_run_id(tmp_path):
    data = write_jsonl(tmp_path / "data.jsonl", [{**r, "references": [r["references"][0]]} for r in ROWS])
    task = tmp_path / "other.yaml"
    task.write_text(json.dumps({"name": "other", "family": "translation", "source": {"path": str(data)},
                                "metrics": ["chrf"]}))
    records = evaluate("copy-source", ["demo-translation", str(task)],
                       RunOptions(output=tmp_path / "out", limit=2, n_bootstrap=0))
    assert records[0].run_id == records[1].run_id
    assert [r.folder.parent.name for r in records] == ["demo-translation", "other"]


def test_a_crash_before_the_rename_leaves_no_run_and_the_next_run_is_fine(run, tmp_path, monkeypatch):
    def crash(tmp, final):
        raise KeyboardInterrupt  # as if stopped between writing the files and publishing them
    monkeypatch.setattr(store, "_publish", crash)
    with pytest.raises(KeyboardInterrupt):
        run(seed=1)
    task = tmp_path / "out" / "copy-source" / "demo-translation"
    assert list(task.iterdir()) == []  # the stopped write took its temporary folder with it
    assert load_runs(tmp_path / "out") == [] and load_runs(task, all_runs=True) == []
    monkeypatch.undo()
    [record] = run(seed=2)
    assert [r.run_id for r in load_runs(task, all_runs=True)] == [record.run_id]
    assert (task / "latest").read_text().strip() == record.run_id


@pytest.mark.parametrize("name", ["..", ".", "../../etc", "/abs/path", "a/../../b", "", ".hidden",
                                  "latest/..", "x" * 300, "hf-causal:./my-checkpoint"])
def test_slugs_are_one_visible_component_inside_the_output(name, tmp_path):
    part = store.slug(name)
    assert part and "/" not in part and not part.startswith(".") and part not in (".", "..")
    assert len(part) <= store.MAX_SLUG
    folder = store.task_dir(tmp_path, name, name)
    assert folder.resolve().parent.parent == tmp_path.resolve()


def test_long_model_paths_keep_the_name_that_tells_them_apart():
    deep = "predictions:/" + "/".join(["a-long-folder-name"] * 12)
    first, second = store.slug(f"{deep}/systems/Facebook-AI.jsonl"), store.slug(f"{deep}/systems/UEdin.jsonl")
    assert first.endswith("_Facebook-AI.jsonl") and second.endswith("_UEdin.jsonl")
    assert len(first) <= store.MAX_SLUG and len(second) <= store.MAX_SLUG
    same_end = store.slug(f"predictions:/elsewhere/{'b' * 120}/systems/UEdin.jsonl")
    assert same_end != second and same_end.endswith("_UEdin.jsonl")


def test_model_and_task_names_cannot_escape_the_output(tmp_path):
    data = write_jsonl(tmp_path / "data.jsonl", ROWS)
    task = tmp_path / "evil.yaml"
    task.write_text(json.dumps({"name": "../../escaped", "family": "translation",
                                "source": {"path": str(data)}, "metrics": ["chrf"]}))
    from harness.models.baselines import CopySource
    [record] = evaluate("../..", [str(task)], RunOptions(output=tmp_path / "out", n_bootstrap=0),
                        model=CopySource())
    assert Path(os.path.commonpath([record.folder.resolve(), (tmp_path / "out").resolve()])) == \
        (tmp_path / "out").resolve()
    assert load_runs(tmp_path / "out")[0].task.name == "../../escaped"


def test_a_missing_path_says_what_it_expected(tmp_path):
    with pytest.raises(DataError, match="no such run, task or results folder"):
        load_runs(tmp_path / "nowhere")


def test_new_run_ids_sort_by_time_and_differ_within_a_second():
    from datetime import datetime, timezone
    early = store.new_run_id(datetime(2026, 11, 30, 11, 51, 3, tzinfo=timezone.utc))
    late = store.new_run_id(datetime(2026, 11, 30, 11, 51, 4, tzinfo=timezone.utc))
    assert early.startswith("20261130T115103Z-") and early < late
    assert store.RUN_ID.match(early)
    assert len({store.new_run_id() for _ in range(50)}) == 50


def test_samples_are_written_as_they_are_made_not_held(run, tmp_path):
    """A million sample rows joined before writing are gigabytes: write_run writes each row
    as the iterable yields it, so most of them are on disk before the last one is made."""
    record, = run()
    again = record.model_copy(update={"run_id": store.new_run_id()})
    written = []

    def rows():
        for i in range(1000):
            if i == 999:
                samples = next((tmp_path / "out").rglob(f".tmp-{again.run_id}.*/samples.jsonl"))
                written.append(samples.stat().st_size)
            yield {"id": f"x{i}", "prediction": "p" * 100}
    folder = store.write_run(tmp_path / "out", again, rows(), {})
    lines = (folder / "samples.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["id"] for line in lines] == [f"x{i}" for i in range(1000)]
    assert written[0] > 0.9 * (folder / "samples.jsonl").stat().st_size
