"""A report shows the run it names: the run key decides what sweep reuses and what a table
calls one system, and every stored score is what its stored statistics give."""
from __future__ import annotations

import json
import shutil

import pytest

from conftest import demo_model, demo_rows, run_main, write_jsonl
from harness.registry import metrics
from harness.record.store import load_runs

FAMILIES = {  # every registered metric, on the demo task of its family
    "demo-translation": ("bleu", "chrf", "chrf++", "ter", "bertscore", "comet", "metricx"),
    "demo-summarization": ("rouge1", "rouge2", "rougeL", "rougeLsum", "rouge3", "rouge4", "rougeW",
                           "rougeS", "rougeSU", "rougeS4", "rougeSU4"),
    "demo-captioning": ("cider", "coco_bleu1", "coco_bleu2", "coco_bleu3", "coco_bleu4",
                        "coco_rougeL", "meteor", "clipscore", "refclipscore"),
}
LEARNED = ("bertscore", "comet", "metricx", "clipscore", "refclipscore")  # run on tiny checkpoints
CASES = [(task, (m,)) for task, names in FAMILIES.items() for m in names] \
    + [(task, names) for task, names in FAMILIES.items()]


def _run(capsys, *args: str) -> str:
    rc, out, err = run_main(capsys, "run", "--no-progress", "--bootstrap", "20", *args)
    assert rc == 0, err
    return out


def test_the_cases_cover_every_registered_metric():
    assert {m for names in FAMILIES.values() for m in names} == set(metrics.names())


@pytest.mark.parametrize("task, names", CASES, ids=lambda v: ",".join(v) if isinstance(v, tuple) else v)
def test_every_metric_round_trips_through_its_stored_statistics(task, names, tmp_path, capsys, request):
    if "meteor" in names and shutil.which("java") is None:
        pytest.skip("METEOR needs Java")
    # the tiny checkpoints are built (once) only for the cases that need them
    specs = request.getfixturevalue("tiny_learned") if set(names) & set(LEARNED) else {}
    _run(capsys, "--model", demo_model(task, tmp_path), "--tasks", task, "--metrics",
         ",".join(specs.get(m, m) for m in names), "--output", str(tmp_path / "out"))
    [record] = load_runs(tmp_path / "out")
    assert list(record.scores) == list(names)
    files = [record.score(m).stats for m in names]
    assert len({f.casefold() for f in files}) == len(files)  # chrf++ never in chrf's file
    for name in names:
        entry = record.score(name)
        assert entry.metric().aggregate(record.stats(name)) == pytest.approx(entry.score, rel=1e-9, abs=1e-9)


def test_compare_reads_chrf_from_chrfs_own_statistics(tmp_path, capsys):
    _run(capsys, "--model", "copy-source", "--tasks", "demo-translation", "--metrics",
         "bleu,chrf,chrf++,ter", "--output", str(tmp_path / "out"))
    [record] = load_runs(tmp_path / "out")
    rc, out, err = run_main(capsys, "compare", str(record.folder), str(record.folder), "--json")
    assert rc == 0, err
    rows = {c["metric"]: c for c in json.loads(out)["comparisons"]}
    for name in ("chrf", "chrf++"):
        assert rows[name]["baseline_score"] == pytest.approx(record.score(name).score, abs=1e-9)
    assert record.score("chrf").score != pytest.approx(record.score("chrf++").score)


def test_models_whose_names_differ_only_in_punctuation_keep_their_own_folders(tmp_path, capsys):
    rows = demo_rows("demo-translation")
    good = write_jsonl(tmp_path / "a+b.jsonl", [{"id": r["id"], "prediction": r["references"][0]} for r in rows])
    bad = write_jsonl(tmp_path / "a_b.jsonl", [{"id": r["id"], "prediction": "nothing"} for r in rows])
    for path in (good, bad):
        _run(capsys, "--model", f"predictions:{path}", "--tasks", "demo-translation", "--metrics",
             "bleu", "--output", str(tmp_path / "out"))
    records = {r.model.locator: r for r in load_runs(tmp_path / "out")}
    assert len(records) == 2 and records[str(good)].folder.parent != records[str(bad)].folder.parent
    assert records[str(good)].score("bleu").score > 99 > 1 > records[str(bad)].score("bleu").score


def _sweep_args(root, **changes) -> list[str]:
    settings = {"--tasks": "demo-translation", "--limit": "2", "--gen-kwargs": "max_new_tokens=2",
                "--metrics": "bleu", "--bootstrap": "10", "--output": str(root / "results"),
                "--plots": str(root / "plots"), **changes}
    return ["sweep", str(root / "run"), "--model-type", "hf-seq2seq", "--json"] \
        + [x for k, v in settings.items() for x in (k, v)]


def _sweep(capsys, args) -> str:
    rc, _, err = run_main(capsys, *args)
    assert rc == 0, err
    return err


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    from harness.testing import tiny_models
    root = tmp_path_factory.mktemp("identity")
    tiny_models.build_seq2seq(root / "run" / "checkpoint-10", ["the house is small", "das haus ist klein"],
                              seed=0)
    data = demo_rows("demo-translation")[:3]
    write_jsonl(root / "other.jsonl", [{**r, "references": ["something else"]} for r in data])
    return root


@pytest.mark.parametrize("option, value", [
    ("--gen-kwargs", "max_new_tokens=3"), ("--metrics", "bleu,chrf"), ("--seed", "7"),
    ("--data", "other.jsonl"), ("--model-args", "dtype=float32"), ("--postprocess", "none"),
    ("--limit", "3"), ("--bootstrap", "20")])
def test_sweep_reuses_a_run_only_when_every_setting_matches(checkpoint, option, value, capsys):
    if option == "--data":
        value = str(checkpoint / value)
    base = _sweep_args(checkpoint)
    _sweep(capsys, base)
    assert "done before, skipped" in _sweep(capsys, base)
    changed = _sweep(capsys, _sweep_args(checkpoint, **{option: value}))
    assert "evaluating demo-translation" in changed, f"{option} {value} reused a run made without it"
    assert "done before, skipped" in _sweep(capsys, _sweep_args(checkpoint, **{option: value}))


def test_sweep_evaluates_a_checkpoint_again_when_its_weights_change(tmp_path, capsys):
    from harness.testing import tiny_models
    texts = ["the house is small", "das haus ist klein"]
    tiny_models.build_seq2seq(tmp_path / "run" / "checkpoint-10", texts, seed=0)
    _sweep(capsys, _sweep_args(tmp_path))
    shutil.rmtree(tmp_path / "run" / "checkpoint-10")
    tiny_models.build_seq2seq(tmp_path / "run" / "checkpoint-10", texts, seed=1)  # saved over
    assert "evaluating demo-translation" in _sweep(capsys, _sweep_args(tmp_path))


def _board(capsys, *paths) -> dict:
    rc, out, err = run_main(capsys, "leaderboard", *map(str, paths), "--json")
    assert rc == 0, err
    return json.loads(out)


def test_two_runs_of_one_model_are_two_rows_named_by_what_differs(tmp_path, capsys):
    out = tmp_path / "out"
    for post in ("task", "first_line"):
        _run(capsys, "--model", "lead-3", "--tasks", "demo-summarization", "--postprocess", post,
             "--output", str(out))
    runs = load_runs(out)
    assert len(runs) == 2
    rows = {r["model"]: r["cells"]["demo-summarization:rouge1"]["score"] for r in _board(capsys, out)["rows"]}
    by_steps = {",".join(r.postprocess): r.score("rouge1").score for r in runs}
    assert rows == {f"lead-3 [postprocess: {steps or 'none'}]": score for steps, score in by_steps.items()}
    first, second = sorted(runs, key=lambda r: r.created)
    rc, text, err = run_main(capsys, "compare", str(first.folder), str(second.folder), "--force")
    assert rc == 0, err
    assert "postprocess: first_line" in text and f"postprocess: {','.join(first.postprocess)}" in text


def test_a_run_on_other_data_does_not_hide_the_one_before(tmp_path, capsys):
    """One system scored against two references, then against one, in one results folder."""
    rows = demo_rows("demo-translation")
    one_ref = write_jsonl(tmp_path / "one-ref.jsonl", [{**r, "references": r["references"][:1]} for r in rows])
    two_refs = write_jsonl(tmp_path / "two-refs.jsonl",
                           [{**r, "references": [r["references"][0], r["source"]]} for r in rows])
    out = tmp_path / "out"
    for data in (two_refs, one_ref):
        _run(capsys, "--model", "copy-source", "--tasks", "demo-translation", "--data", str(data),
             "--metrics", "bleu", "--output", str(out))
    board = _board(capsys, out)
    models = sorted(r["model"] for r in board["rows"])
    assert models == ["copy-source [data: one-ref.jsonl]", "copy-source [data: two-refs.jsonl]"]
    rc, report, err = run_main(capsys, "report", str(out), "-o", str(tmp_path / "r.html"))
    assert rc == 0, err
    page = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert "data: one-ref.jsonl" in page and "data: two-refs.jsonl" in page
