"""compare and leaderboard on published system outputs of every family (predictions mode).

With the shared data: WMT17 en-de (3,004 segments, BLEU/chrF), REALSumm (100 CNN/DM documents,
ROUGE) and MAGIC's MSCOCO captions (the first 300 images, CIDEr-D and COCO BLEU-4). Without it,
the shipped subsets: WMT17 (150 segments), REALSumm (20 documents) and the COCO demo's fakecap
captions (100 images) beside two human "systems", each image's first and last reference. Each
is scored through ``harness.evaluate`` from the outputs, then compared and ranked from the records.
"""
from __future__ import annotations

import pytest

from harness.run import RunOptions, evaluate
from harness.reports.compare import CompareSettings, compare_paths
from harness.reports.leaderboard import LeaderboardSettings, build_leaderboard
from conftest import write_jsonl
from harness.testing import SHIPPED_DATA, shared_data
from harness.testing.golden import load_jsonl

ROOT = shared_data() or SHIPPED_DATA
SETS = {  # folder, family, systems, metrics, limit
    "wmt17": ("translation/wmt17_newstest2017_en-de", "translation", 3, "bleu, chrf", None),
    "realsumm": ("summarization/realsumm_cnndm100", "summarization", 3, "rouge1, rouge2, rougeLsum", None),
    "mscoco": ("captioning/magic_mscoco", "captioning", 3, "cider, coco_bleu4", 300),
} if shared_data() else {
    "wmt17": ("translation/wmt17_newstest2017_en-de", "translation", 3, "bleu, chrf", None),
    "realsumm": ("summarization/realsumm_cnndm100", "summarization", 3, "rouge1, rouge2, rougeLsum", None),
    "coco": ("captioning/coco_fakecap", "captioning", 1, "cider, coco_bleu4", None),
}
TASK = "name: {name}\nversion: 1\nfamily: {family}\nsource: {{path: {data}}}\nmetrics: [{metrics}]\n"


def _human_systems(data, folder):
    """Each image's first and last reference as two more systems (scored against all of them):
    the shipped captions come with one system, and a ranking wants three."""
    rows = load_jsonl(data / "test.jsonl")
    return [write_jsonl(folder / f"{name}.jsonl", [{"id": r["id"], "prediction": r["references"][at]} for r in rows])
            for name, at in (("first-reference", 0), ("last-reference", -1))]


@pytest.fixture(scope="module", params=sorted(SETS))
def scored(request, tmp_path_factory):
    folder, family, n, metrics, limit = SETS[request.param]
    data = ROOT / folder
    if not data.is_dir():
        pytest.skip(f"{data} not found")
    root = tmp_path_factory.mktemp(request.param)
    task = root / f"{request.param}.yaml"
    task.write_text(TASK.format(name=request.param, family=family, data=data / "test.jsonl", metrics=metrics))
    systems = sorted((data / "systems").glob("*.jsonl"))[:n]
    if len(systems) < 3:
        systems += _human_systems(data, root)
    for path in systems:
        evaluate(f"predictions:{path}", [str(task)], RunOptions(output=root / "results", limit=limit, n_bootstrap=200,
                                                          allow_outside_paths=True))
    return request.param, root / "results", [m.strip() for m in metrics.split(",")]


def test_compare_tests_every_metric(scored):
    name, results, metrics = scored
    folders = sorted(results.iterdir())
    result = compare_paths(folders, CompareSettings(n_bootstrap=200, n_randomization=1000))
    assert sorted({c.metric for c in result.comparisons}) == sorted(metrics)
    assert len(result.comparisons) == 2 * len(metrics)
    for c in result.comparisons:
        assert 0 < c.p_bootstrap <= 1 and 0 < c.p_randomization <= 1
        assert c.delta_ci95[0] <= c.delta <= c.delta_ci95[1] + 1e-9


def test_leaderboard_ranks_every_system(scored):
    name, results, metrics = scored
    board = build_leaderboard([results], LeaderboardSettings(n_bootstrap=200))
    assert [c.metric for c in board.columns] == metrics and len(board.models) == 3
    for column in board.columns:
        cells = [board.cells[(m, column.key)] for m in board.models]
        assert sorted(c.rank for c in cells)[0] == 1
        assert all(c.rank_range[0] <= c.rank <= c.rank_range[1] for c in cells)
