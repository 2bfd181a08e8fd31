"""What reports may trust: every reader (compare, leaderboard, report, sweep) takes each score
from the run's statistics, says so when run.json disagrees, refuses damaged statistics with
the file's name, and lists the runs it leaves out. Runs are made by `harness run` and read by
the real commands in subprocesses."""
from __future__ import annotations

import json
import os
import shutil
import textwrap
from pathlib import Path

import numpy as np
import pytest

from conftest import GOOD, PAIRS, REFS, demo_model, run_cli, run_main, write_jsonl

WEAK = [" ".join(r.split()[:2]) + " thing." for _, r in PAIRS]
TASK = "name: mini\nversion: 1\nfamily: translation\nsource: {{path: {data}}}\nmetrics: [bleu, chrf, ter]\n"
# a model that fails two examples: with --on-error skip, the run is partial
FLAKY = '''
from harness.models.baselines import CopySource
from harness.types import Generation

class Flaky(CopySource):
    description = "the source, except for two examples it cannot answer"
    def generate(self, requests):
        for r in requests:
            failed = r.example_id in ("s1", "s2")
            yield Generation(example_id=r.example_id, text="" if failed else r.prompt or "",
                             error="backend said no" if failed else None)
'''


def _ok(*args: str, env: dict | None = None):
    proc = run_cli(*args, env=env)
    assert proc.returncode == 0, proc.stderr
    return proc


@pytest.fixture(scope="module")
def made(tmp_path_factory) -> Path:
    """results/: two complete runs of one task; partial/: a run in which 2 of 32 examples failed."""
    root = tmp_path_factory.mktemp("checks")
    (root / "mini.yaml").write_text(TASK.format(data=write_jsonl(root / "refs.jsonl", REFS)))
    for name, texts in (("good", GOOD), ("weak", WEAK)):
        path = write_jsonl(root / f"{name}.jsonl", [{"id": r["id"], "prediction": t} for r, t in zip(REFS, texts)])
        _ok("run", "--model", f"predictions:{path}", "--tasks", str(root / "mini.yaml"),
            "--output", str(root / "results"))
    plugin, dist = root / "plugin", root / "plugin" / "flaky_plugin-0.1.dist-info"
    dist.mkdir(parents=True)
    (plugin / "flaky_plugin.py").write_text(textwrap.dedent(FLAKY))
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: flaky-plugin\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text("[harness.models]\nflaky = flaky_plugin:Flaky\n")
    env = {"PYTHONPATH": os.pathsep.join([str(plugin), os.environ.get("PYTHONPATH", "")])}
    _ok("run", "--model", "flaky", "--tasks", str(root / "mini.yaml"), "--on-error", "skip",
        "--output", str(root / "partial"), env=env)
    return root


@pytest.fixture
def copy(made, tmp_path) -> Path:
    """A copy of the runs, to damage."""
    shutil.copytree(made, tmp_path / "m", ignore=shutil.ignore_patterns("plugin"))
    return tmp_path / "m"


def run_of(root: Path, model: str, output: str = "results") -> Path:
    [folder] = (root / output).glob(f"*{model}*/mini/2*")
    return folder


def edit_score(run: Path, metric: str, **fields) -> None:
    record = json.loads((run / "run.json").read_text())
    record["scores"][metric].update(fields)
    (run / "run.json").write_text(json.dumps(record))


READERS = {
    "compare": lambda root: ["compare", str(run_of(root, "good").parent), str(run_of(root, "weak").parent)],
    "leaderboard": lambda root: ["leaderboard", str(root / "results")],
    "report": lambda root: ["report", str(root / "results"), "-o", str(root / "report.html")],
}


# --- run.json's score against the statistics ------------------------------------------------

def test_an_edited_score_is_ranked_by_its_statistics_and_flagged_by_every_reader(copy):
    weak = run_of(copy, "weak")
    edit_score(weak, "bleu", score=99.99)  # the real score is about 6
    board = json.loads(_ok("leaderboard", str(copy / "results"), "--json").stdout)
    first, second = board["rows"]
    assert first["model"].endswith("good.jsonl") and second["model"].endswith("weak.jsonl")
    cell = second["cells"]["mini:bleu"]
    assert cell["check"] == "mismatch" and cell["stored_score"] == 99.99 and cell["score"] < 50 and cell["rank"] == 2
    assert first["cells"]["mini:bleu"]["check"] == "verified"
    text = _ok("leaderboard", str(copy / "results"))
    assert " !" in text.stdout and f"{weak}: bleu stored 99.9900, statistics give {cell['score']:.4f}" in text.stdout
    assert str(weak) in text.stderr  # a warning as well, for output sent to a file
    _ok("report", str(copy / "results"), "-o", str(copy / "report.html"))
    html = (copy / "report.html").read_text()
    assert f"bleu stored 99.9900, statistics give {cell['score']:.4f}" in html
    assert html.index("good.jsonl</td>") < html.index("weak.jsonl</td>")  # the good run still ranks first
    compare = _ok(*READERS["compare"](copy), "--metrics", "bleu")
    assert "worse*" in compare.stdout and "stored 99.9900" in compare.stdout and str(weak) in compare.stdout


def test_a_score_without_statistics_is_shown_as_stored_and_marked_unverified(copy):
    edit_score(run_of(copy, "weak"), "bleu", stats=None)
    board = json.loads(_ok("leaderboard", str(copy / "results"), "--json").stdout)
    cell = board["rows"][1]["cells"]["mini:bleu"]
    assert cell["check"] == "unverified" and cell["score"] == cell["stored_score"]
    text = _ok("leaderboard", str(copy / "results")).stdout
    assert " ?" in text and "unverified, shown as stored" in text and "no statistics stored" in text


def test_every_registered_metric_re_aggregates_to_its_stored_score_exactly(tmp_path, capsys, tiny_learned):
    # chrf and chrf++ together: they once shared stats/chrf.npy, which the column check refuses
    names = ["bleu", "chrf", "chrf++", "ter", "rouge1", "rouge2", "rougeL", "rougeLsum", "rouge3", "rouge4",
             "rougeW", "rougeS", "rougeSU", "rougeS4", "rougeSU4", "cider", "coco_bleu1", "coco_bleu2",
             "coco_bleu3", "coco_bleu4", "coco_rougeL"]
    names += ["meteor"] if shutil.which("java") else []
    learned = {"demo-translation": ["bertscore", "comet", "metricx"],  # on tiny checkpoints
               "demo-captioning": ["clipscore", "refclipscore"]}
    every = names + [m for group in learned.values() for m in group]
    listed = json.loads(_ok("metrics", "--json").stdout)
    assert {m["name"] for m in listed} - {"meteor"} <= set(every)  # a new metric joins this table
    _ok("run", "--model", "lead-3", "--tasks", "demo-summarization", "--limit", "20", "--metrics",
        ",".join(names), "--output", str(tmp_path))
    for task, group in learned.items():  # in-process: a subprocess would import torch again
        rc, _, err = run_main(capsys, "run", "--no-progress", "--model", demo_model(task, tmp_path), "--tasks",
                              task, "--metrics", ",".join(tiny_learned[m] for m in group), "--output", str(tmp_path))
        assert rc == 0, err
    board = json.loads(_ok("leaderboard", str(tmp_path), "--json").stdout)
    cells = [c for row in board["rows"] for c in row["cells"].values()]
    assert sorted(c["metric"] for c in cells) == sorted(every)
    assert all(c["check"] == "verified" and c["score"] == c["stored_score"] for c in cells)


# --- damaged statistics ------------------------------------------------------------------------

def _truncate(path):
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


DAMAGE = {  # what is done to weak's stats/bleu.npy (32 rows, 10 columns), what the error says
    "truncated": (_truncate, "not a readable .npy statistics file"),
    "not-npy": (lambda p: p.write_text("bleu statistics, as text\n"), "not a readable .npy statistics file"),
    "missing": (lambda p: p.unlink(), "missing"),
    "fewer-rows": (lambda p: np.save(p, np.load(p)[:-3]), "29 rows of statistics, but the run scored 32"),
    "more-rows": (lambda p: np.save(p, np.vstack([np.load(p), np.load(p)[:2]])), "34 rows of statistics"),
    "columns": (lambda p: np.save(p, np.load(p)[:, :-1]), "9 columns of statistics, but bleu"),
}


@pytest.mark.parametrize("reader", READERS)
@pytest.mark.parametrize("damage", DAMAGE)
def test_damaged_statistics_are_an_error_naming_the_file(copy, damage, reader):
    path = run_of(copy, "weak") / "stats" / "bleu.npy"
    harm, says = DAMAGE[damage]
    harm(path)
    proc = run_cli(*READERS[reader](copy))
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr and f"{path}" in proc.stderr
    assert says in proc.stderr and "rerun the task" in proc.stderr


# --- runs left out ---------------------------------------------------------------------------

def test_a_partial_run_is_listed_under_the_table_or_shown_marked(made, tmp_path):
    flaky = run_of(made, "flaky", "partial")
    both = [str(made / "results"), str(made / "partial")]
    text = _ok("leaderboard", *both).stdout
    assert "flaky" not in text.split("\n\n")[0]  # not a row of the table
    assert "left out: 1 partial run; --include-partial shows partial runs" in text
    assert f"{flaky}: 2 of 32 examples failed" in text
    shown = _ok("leaderboard", *both, "--include-partial").stdout
    row = next(line for line in shown.splitlines() if line.startswith("flaky"))
    assert row.count("†") == 3 and f"{flaky}: 2 of 32 examples failed" in shown and "left out" not in shown
    board = json.loads(_ok("leaderboard", *both, "--include-partial", "--json").stdout)
    # its scores cover other examples (another data fingerprint): columns of their own, as ever
    cells = board["rows"][-1]["cells"]
    assert [c["partial"] for c in cells.values()] == ["2 of 32 examples failed"] * 3
    assert all(key.startswith("mini:") and "[data: " in key for key in cells)
    _ok("report", *both, "-o", str(tmp_path / "left.html"))
    assert f"{flaky}: 2 of 32 examples failed" in (tmp_path / "left.html").read_text()
    _ok("report", *both, "-o", str(tmp_path / "shown.html"), "--include-partial")
    assert "<td data-value=\"flaky\">flaky</td>" in (tmp_path / "shown.html").read_text()


def test_with_only_partial_runs_the_error_says_so_and_how_to_show_them(made):
    for args in (["leaderboard", str(made / "partial")],
                 ["report", str(made / "partial"), "-o", str(made / "never.html")]):
        proc = run_cli(*args)
        assert proc.returncode == 2 and "Traceback" not in proc.stderr
        assert "can be shown; every run found is left out" in proc.stderr and "2 of 32 examples failed" in proc.stderr
        assert "--include-partial" in proc.stderr and "--models" not in proc.stderr


def test_compare_names_the_option_that_reads_a_partial_run(made):
    flaky = run_of(made, "flaky", "partial")
    good = str(run_of(made, "good").parent)
    explicit = run_cli("compare", good, str(flaky))
    assert explicit.returncode == 2 and "--include-partial" in explicit.stderr and "statuses=" not in explicit.stderr
    by_task = run_cli("compare", good, str(flaky.parent))
    assert by_task.returncode == 2 and f"{flaky}: 2 of 32 examples failed" in by_task.stderr
    assert "--include-partial" in by_task.stderr
    shown = _ok("compare", good, str(flaky.parent), "--include-partial", "--force", "--metrics", "bleu")
    assert "† partial run" in shown.stdout and f"{flaky}: 2 of 32 examples failed" in shown.stdout


def test_filters_name_the_runs_they_leave_out(made):
    text = _ok("leaderboard", str(made / "results"), "--models", "*good*").stdout
    assert "left out: 1 filtered run:" in text
    assert f"{run_of(made, 'weak')}: --models *good* does not match predictions:" in text
    proc = run_cli("leaderboard", str(made / "results"), "--metrics", "rouge*")
    assert proc.returncode == 2 and "--metrics rouge* matches none of bleu, chrf, ter" in proc.stderr


# --- sweep -------------------------------------------------------------------------------------

def test_sweep_curves_take_the_statistics_score(tmp_path):
    from harness.testing import tiny_models
    pairs = [("the house is small", "das haus ist klein"), ("the dog barks", "der hund bellt"),
             ("i drink coffee", "ich trinke kaffee"), ("it is raining", "es regnet")]
    texts = [t for pair in pairs for t in pair]
    for seed in (0, 1):
        tiny_models.build_seq2seq(tmp_path / "run" / f"checkpoint-{seed + 1}", texts, seed=seed, train_steps=0,
                                  pairs=pairs)
    data = write_jsonl(tmp_path / "data.jsonl", [{"id": f"p{i}", "source": s, "references": [t]}
                                                  for i, (s, t) in enumerate(pairs)])
    args = ["sweep", str(tmp_path / "run"), "--model-type", "hf-seq2seq", "--tasks", "demo-translation",
            "--data", str(data), "--metrics", "chrf", "--gen-kwargs", "max_new_tokens=8",
            "--output", str(tmp_path / "results"), "--json"]
    before = json.loads(_ok(*args).stdout)["curves"][0]
    worse = before["steps"][1 - before["steps"].index(before["best_step"])]
    run = Path(json.loads(_ok(*args).stdout)["runs"][str(worse)]["demo-translation"])
    edit_score(run, "chrf", score=99.99)
    after = json.loads(_ok(*args).stdout)["curves"][0]  # both checkpoints done before: nothing generated
    assert after["best_step"] == before["best_step"] and after["scores"] == before["scores"]
    assert [c["state"] for c in after["checks"]][before["steps"].index(worse)] == "mismatch"
    text = _ok(*args[:-1]).stdout
    assert f"{run}: chrf stored 99.9900" in text
