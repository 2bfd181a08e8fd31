"""`harness sweep` over tiny real checkpoints: step order, skipping, curves, best-vs-last tests."""
from __future__ import annotations

import json

import pytest

from conftest import run_cli, write_jsonl
from harness.testing import tiny_models
from harness.errors import UsageError
from harness.reports.sweep import SweepSettings, find_checkpoints, format_sweep, run_sweep

PAIRS = [("the house is small", "das haus ist klein"), ("the dog barks", "der hund bellt"),
         ("i drink coffee", "ich trinke kaffee"), ("it is raining", "es regnet"),
         ("we go home", "wir gehen nach hause"), ("the cat sleeps", "die katze schläft")]
ROWS = [{"id": f"p{i}", "source": s, "references": [t]} for i, (s, t) in enumerate(PAIRS)]


@pytest.fixture(scope="module")
def training_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("sweep")
    texts = [t for pair in PAIRS for t in pair]
    for steps in (0, 60):  # untrained, then trained on the pairs: the later checkpoint is better
        tiny_models.build_seq2seq(root / "run" / f"checkpoint-{steps}", texts, seed=0, train_steps=steps, pairs=PAIRS)
    return root


def _settings(root, **kw):
    return SweepSettings(model_type="hf-seq2seq", tasks=("demo-translation",), output=root / "results",
                         data=write_jsonl(root / "data.jsonl", ROWS), metrics=("bleu", "chrf", "ter"),
                         gen_kwargs={"max_new_tokens": 8}, **kw)


def test_checkpoints_in_step_order(tmp_path):
    for step in (1000, 500, 20):
        (tmp_path / f"checkpoint-{step}").mkdir()
    (tmp_path / "runs").mkdir()
    assert [s for s, _ in find_checkpoints([tmp_path])] == [20, 500, 1000]
    with pytest.raises(UsageError, match="no checkpoint-N folders"):
        find_checkpoints([tmp_path / "runs"])


def test_sweep_curves_tests_and_rerun(training_run):
    lines = []
    result = run_sweep([training_run / "run"], _settings(training_run), log=lines.append)
    assert [s for s, _ in result.checkpoints] == [0, 60]
    assert all("evaluating" in line for line in lines)
    chrf = next(c for c in result.curves if c.metric == "chrf")
    assert chrf.steps == [0, 60] and chrf.best == 1 and chrf.scores[1] > chrf.scores[0]
    assert set(chrf.tests) == {"first"}  # the best is the last; tested against the first
    assert chrf.tests["first"].baseline.endswith("checkpoint-0")
    assert sorted(p.suffix for p in chrf.files) == [".png", ".svg"] and all(p.stat().st_size for p in chrf.files)
    ter = next(c for c in result.curves if c.metric == "ter")
    assert ter.best == min(range(2), key=lambda i: ter.scores[i])  # lower is better
    text = format_sweep(result)
    assert "best (step 60) vs first" in text and "demo-translation:ter ↓" in text
    # a new checkpoint appears during training: only it is evaluated
    tiny_models.build_seq2seq(training_run / "run" / "checkpoint-120", [t for p in PAIRS for t in p], seed=0,
                              train_steps=120, pairs=PAIRS)
    lines.clear()
    again = run_sweep([training_run / "run"], _settings(training_run), log=lines.append)
    assert [s for s, _ in again.checkpoints] == [0, 60, 120]
    assert sum("done before, skipped" in line for line in lines) == 2 and "evaluating" in lines[-1]


def test_the_command_prints_json_and_markdown(training_run):
    data = write_jsonl(training_run / "data.jsonl", ROWS)
    args = ["sweep", str(training_run / "run" / "checkpoint-0"), str(training_run / "run" / "checkpoint-60"),
            "--model-type", "hf-seq2seq", "--tasks", "demo-translation", "--data", str(data),
            "--output", str(training_run / "results"), "--metrics", "bleu,chrf,ter", "--gen-kwargs", "max_new_tokens=8"]
    out = json.loads(run_cli(*args, "--json").stdout)
    assert [c["steps"] for c in out["curves"]] == [[0, 60]] * 3
    assert out["curves"][1]["best_step"] == 60 and "p_bootstrap" in out["curves"][1]["tests"]["first"]
    md = run_cli(*args, "--format", "md").stdout
    assert md.startswith("| step | checkpoint | demo-translation:bleu |")


def test_the_report_draws_the_training_curves(training_run, tmp_path):
    from harness.reports.html import write_report
    run_sweep([training_run / "run"], _settings(training_run))
    html = write_report([training_run / "results"], tmp_path / "report.html").read_text(encoding="utf-8")
    curves = html.split('id="sweeps"', 1)[1].split("<h2", 1)[0]
    assert curves.count("data:image/png;base64,") == 3 and "demo-translation chrf" in curves
