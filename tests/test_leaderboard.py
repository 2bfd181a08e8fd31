"""`harness leaderboard` on small real runs: ranks, clusters, signature columns, filters, formats."""
from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from conftest import GOOD, PAIRS, REFS, run_cli, write_jsonl
from harness.errors import UsageError
from harness.run import RunOptions, evaluate
from harness.reports.leaderboard import LeaderboardSettings, build_leaderboard
from harness.reports.leaderboard_format import format_leaderboard

NEAR = ["The home is small."] + GOOD[1:]  # one word away from GOOD: not separable from it
WEAK = [" ".join(r.split()[:2]) + " thing." for _, r in PAIRS]
TASK = "name: {name}\nversion: 1\nfamily: translation\nsource: {{path: {data}}}\nmetrics: [{metrics}]\n"


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    root = tmp_path_factory.mktemp("board")
    data = write_jsonl(root / "refs.jsonl", REFS)
    tasks = []
    for name in ("mini-a", "mini-b"):
        (root / f"{name}.yaml").write_text(TASK.format(name=name, data=data, metrics="bleu, ter"))
        tasks.append(str(root / f"{name}.yaml"))
    for name, texts in (("good", GOOD), ("near", NEAR), ("weak", WEAK)):
        path = write_jsonl(root / f"{name}.jsonl", [{"id": r["id"], "prediction": t} for r, t in zip(REFS, texts)])
        evaluate(f"predictions:{path}", tasks, RunOptions(output=root / "results"))
    evaluate("copy-source", tasks, RunOptions(output=root / "results"))  # a baseline beside published outputs
    (root / "intl.yaml").write_text(TASK.format(name="mini-a", data=data, metrics="{name: bleu, tokenize: intl}"))
    evaluate(f"predictions:{root / 'good.jsonl'}", [str(root / "intl.yaml")], RunOptions(output=root / "intl"))
    return root


def _board(results, **kw):
    return build_leaderboard([results / "results"], LeaderboardSettings(**kw))


def _short(model: str) -> str:
    return model.rsplit("/", 1)[-1]


def test_ranks_rank_ranges_and_clusters(results):
    board = _board(results)
    cells = {_short(m): board.cells[(m, "mini-a:bleu")] for m in board.models}
    assert [_short(m) for m in board.models] == ["good.jsonl", "near.jsonl", "weak.jsonl", "copy-source"]
    assert (cells["good.jsonl"].rank, cells["near.jsonl"].rank) == (1, 2)
    # one differing example out of 32: the paired test cannot separate them; they share a cluster
    assert cells["good.jsonl"].rank_range == cells["near.jsonl"].rank_range == (1, 2)
    assert cells["good.jsonl"].cluster == cells["near.jsonl"].cluster == 1
    assert (cells["weak.jsonl"].rank_range, cells["weak.jsonl"].cluster) == ((3, 3), 2)
    assert (cells["copy-source"].rank_range, cells["copy-source"].cluster) == ((4, 4), 3)
    ter = {_short(m): board.cells[(m, "mini-a:ter")] for m in board.models}
    assert ter["good.jsonl"].rank == 1 and ter["good.jsonl"].score < ter["weak.jsonl"].score  # lower is better
    assert board.family_means[(board.models[0], "translation bleu")] == pytest.approx(100.0)


def test_another_signature_gets_its_own_column_and_a_warning(results):
    board = build_leaderboard([results / "results", results / "intl"], LeaderboardSettings(metrics=("bleu",)))
    keys = [c.key for c in board.columns]
    assert "mini-a:bleu" in keys and "mini-a:bleu [tok: 13a vs intl]" in keys
    assert any("tok: 13a vs intl" in w and "never averaged" in w for w in board.warnings)
    # the family mean reads only the usual columns
    assert ("predictions:" + str(results / "good.jsonl"), "translation bleu") in board.family_means


def test_filters_sort_and_rounding(results):
    board = _board(results, models=("predictions:*",), tasks=("mini-b",), metrics=("ter",), sort="mini-b:ter",
                   digits=1)
    assert [c.key for c in board.columns] == ["mini-b:ter"]
    assert all(m.startswith("predictions:") for m in board.models) and len(board.models) == 3
    text = format_leaderboard(board)
    assert "mini-b:ter ↓" in text and "0.0 ±0.0 #1" in text
    with pytest.raises(UsageError, match="--sort mini-c:bleu: no such column"):
        _board(results, sort="mini-c:bleu")
    with pytest.raises(UsageError, match="match the filters"):
        _board(results, models=("hf-*",))


def test_json_rows_hold_cells_with_their_column(results):
    proc = run_cli("leaderboard", str(results / "results"), "--json")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert len(out["rows"]) == 4 and out["clusters"]["test"] == "paired bootstrap"
    cell = out["rows"][0]["cells"]["mini-a:bleu"]
    assert {"score", "ci95", "rank", "cluster", "task", "metric", "signature"} <= set(cell)
    assert cell["signature"].startswith("bleu|") and out["rows"][0]["model"].endswith("good.jsonl")


def test_markdown_csv_html(results):
    md = run_cli("leaderboard", str(results / "results"), "--format", "md").stdout.splitlines()
    assert md[0].startswith("| model |") and md[1].startswith("| --- | ---: |")
    assert all(line.count(" | ") == md[0].count(" | ") for line in md[2:6])
    csv = run_cli("leaderboard", str(results / "results"), "--format", "csv").stdout.splitlines()
    assert csv[0].startswith("model,mini-a:bleu,") and "mini-a:bleu cluster" in csv[0] and len(csv) == 5
    html = run_cli("leaderboard", str(results / "results"), "--format", "html").stdout
    assert html.startswith("<!DOCTYPE html>") and 'class="sortable"' in html


@pytest.mark.skipif(not shutil.which("pdflatex"), reason="pdflatex not installed; LaTeX compile check skipped")
def test_latex_compiles_with_booktabs(results, tmp_path):
    table = format_leaderboard(_board(results), "latex")
    (tmp_path / "t.tex").write_text("\\documentclass{article}\\usepackage{booktabs}\\usepackage[utf8]{inputenc}"
                                    "\\begin{document}\n" + table + "\n\\end{document}\n")
    proc = subprocess.run(["pdflatex", "-interaction=nonstopmode", "t.tex"], cwd=tmp_path, capture_output=True)
    assert proc.returncode == 0, proc.stdout[-2000:]


def test_latex_escapes_what_latex_would_read(results):
    table = format_leaderboard(_board(results, metrics=("bleu",)), "latex")
    assert "\\toprule" in table and "\\midrule" in table and "\\bottomrule" in table
    body = table.split("\\midrule", 1)[1].split("\\bottomrule", 1)[0]
    assert "\\_" in body or "_" not in body
    assert "#" not in body.replace("\\#", "")


def test_column_resampling_equals_each_systems_own_bootstrap(results):
    import numpy as np

    from harness.metrics.bootstrap import bootstrap_scores
    from harness.reports.clusters import resample_all
    from harness.record.store import load_runs
    runs = [r for r in load_runs(results / "results") if r.task.name == "mini-a"]
    for name in ("bleu", "ter"):
        metric, stats = runs[0].score(name).metric(), [r.stats(name) for r in runs]
        for together, alone in zip(resample_all(metric, stats, 300, 7), (bootstrap_scores(metric, s, 300, 7) for s in stats)):
            np.testing.assert_allclose(together, alone, rtol=0, atol=1e-9)
