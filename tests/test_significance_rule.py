"""One significance rule: compare's verdict and the leaderboard's clusters agree on every pair.

A pair is significant when the paired bootstrap gives p < alpha (harness/reports/significance.py).
For every pair of systems, compare's verdict is better*/worse* exactly when the leaderboard
separates the pair in that column; a close pair shares a cluster and a clear pair does not.
On project-made runs, and on WMT21 de-en where the shared data is present: there UEdin and
VolcTrans-AT are 0.06 BLEU apart (bootstrap p 0.35: close), Facebook-AI and Online-W 2.6
(clear), and Online-A and Online-W 0.85, where the bootstrap says p = 0.043 and approximate
randomization p = 0.076 (sacrebleu 2.6.0's ``--paired-bs`` / ``--paired-ar``): significant by
the rule, and compare marks the row as one where the tests disagree.
"""
from __future__ import annotations

import html
import itertools
import json

import pytest

from conftest import GOOD, PAIRS, REFS, run_cli, write_jsonl
from harness.reports.compare import CompareSettings, compare_paths
from harness.reports.compare_format import format_compare
from harness.reports.leaderboard import LeaderboardSettings, build_leaderboard
from harness.reports.leaderboard_format import format_leaderboard
from harness.reports.significance import SignificanceRule
from harness.run import RunOptions, evaluate
from harness.testing import shared_data

SYSTEMS = {"good": GOOD,
           "near": ["The home is small."] + GOOD[1:],  # one word from good: a close pair
           "weak": [" ".join(r.split()[:2]) + " thing." for _, r in PAIRS]}  # far from both: clear pairs
TASK = "name: {name}\nversion: 1\nfamily: translation\nsource: {{path: {data}}}\nmetrics: [{metrics}]\n"
WMT21 = shared_data() / "translation" / "wmt21_newstest2021_de-en" if shared_data() else None
WMT21_SYSTEMS = ["Facebook-AI", "HuaweiTSC", "UEdin", "VolcTrans-AT", "Online-A", "Online-W"]
RULE = dict(n_bootstrap=1000, seed=12345, alpha=0.05)


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    root = tmp_path_factory.mktemp("rule")
    data = write_jsonl(root / "refs.jsonl", REFS)
    (root / "mini.yaml").write_text(TASK.format(name="mini", data=data, metrics="bleu, chrf, ter"))
    for name, texts in SYSTEMS.items():
        path = write_jsonl(root / f"{name}.jsonl", [{"id": r["id"], "prediction": t} for r, t in zip(REFS, texts)])
        evaluate(f"predictions:{path}", [str(root / "mini.yaml")], RunOptions(output=root / "results"))
    return root / "results"


@pytest.fixture(scope="module")
def wmt21(tmp_path_factory):
    if WMT21 is None or not WMT21.is_dir():
        pytest.skip("shared WMT21 de-en data not found")
    root = tmp_path_factory.mktemp("wmt21")
    (root / "wmt21.yaml").write_text(TASK.format(name="wmt21-de-en", data=WMT21 / "test.jsonl", metrics="bleu, chrf"))
    for name in WMT21_SYSTEMS:
        evaluate(f"predictions:{WMT21 / 'systems' / f'{name}.jsonl'}", [str(root / "wmt21.yaml")],
                 RunOptions(output=root / "results", n_bootstrap=0, allow_outside_paths=True))
    return root / "results"


def _short(label: str) -> str:
    return label.rsplit("/", 1)[-1].removesuffix(".jsonl")


def verdicts(results) -> dict[tuple[str, frozenset], str]:
    """compare's verdict for every pair of model folders, on every metric."""
    folders = sorted(results.iterdir())
    out = {}
    for i, base in enumerate(folders[:-1]):
        for c in compare_paths([base, *folders[i + 1:]], CompareSettings(**RULE, n_randomization=2000)).comparisons:
            out[(c.metric, frozenset((_short(c.baseline), _short(c.system))))] = c
    return out


def check_agreement(results) -> tuple[dict, object]:
    board = build_leaderboard([results], LeaderboardSettings(**RULE))
    found = verdicts(results)
    for column in board.columns:
        separated = {frozenset(map(_short, pair)) for pair in board.separated[column.key]}
        for a, b in itertools.combinations(board.models, 2):
            pair = frozenset((_short(a), _short(b)))
            verdict = found[(column.metric, pair)].verdict(RULE["alpha"])
            assert (verdict != "n.s.") == (pair in separated), (column.key, sorted(pair), verdict)
            cell_a, cell_b = board.cells[(a, column.key)], board.cells[(b, column.key)]
            if verdict == "n.s.":  # a close pair: ranges overlap, one cluster
                assert cell_a.cluster == cell_b.cluster, (column.key, sorted(pair))
                assert cell_a.rank_range[0] <= cell_b.rank_range[1] and cell_b.rank_range[0] <= cell_a.rank_range[1]
    return found, board


def test_project_made_close_and_clear_pairs_agree(made):
    found, board = check_agreement(made)
    assert found[("bleu", frozenset(("good", "near")))].verdict(0.05) == "n.s."
    assert found[("bleu", frozenset(("good", "weak")))].verdict(0.05) != "n.s."
    cells = {_short(m): board.cells[(m, "mini:bleu")] for m in board.models}
    assert cells["good"].cluster == cells["near"].cluster != cells["weak"].cluster


def test_wmt21_close_and_clear_pairs_agree(wmt21):
    found, board = check_agreement(wmt21)
    close = found[("bleu", frozenset(("UEdin", "VolcTrans-AT")))]
    assert close.verdict(0.05) == "n.s." and not close.randomization_disagrees(0.05)
    assert found[("bleu", frozenset(("Facebook-AI", "Online-W")))].verdict(0.05) in ("better", "worse")
    borderline = found[("bleu", frozenset(("Online-A", "Online-W")))]
    assert round(borderline.p_bootstrap, 4) == 0.0430 and round(borderline.p_randomization, 3) > 0.05  # 2,000 trials
    assert borderline.verdict(0.05) != "n.s." and borderline.randomization_disagrees(0.05)
    cells = {_short(m): board.cells[(m, "wmt21-de-en:bleu")] for m in board.models}
    assert cells["UEdin"].cluster == cells["VolcTrans-AT"].cluster
    assert cells["Facebook-AI"].cluster < cells["Online-W"].cluster


def test_the_rule_is_printed_under_every_table(made):
    text = SignificanceRule(**RULE).text()
    folders = sorted(made.iterdir())
    result = compare_paths(folders[:2], CompareSettings(**RULE, n_randomization=2000))
    board = build_leaderboard([made], LeaderboardSettings(**RULE))
    for fmt in ("text", "md"):
        assert text in format_compare(result, fmt).replace("\\_", "_")
        assert text in format_leaderboard(board, fmt).replace("\\_", "_")
    assert html.escape(text) in format_leaderboard(board, "html")
    for out in (json.loads(format_compare(result, "json")), json.loads(format_leaderboard(board, "json"))):
        assert out["significance"]["rule"] == "paired bootstrap p < alpha"
        assert out["significance"]["resamples"] == 1000 and out["significance"]["alpha"] == 0.05
    assert "paired bootstrap (500 resamples" in run_cli("leaderboard", str(made), "--bootstrap", "500").stdout
