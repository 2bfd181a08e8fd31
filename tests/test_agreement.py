"""The leaderboard's metric-agreement panel on the shipped WMT17 en-de subset (150 segments).

Two submitted systems, and two made from the reference whose order BLEU and TER must dispute:
"lowercased" (every word right but its case: BLEU is case-sensitive, sacrebleu's TER is not,
so TER 0) and "last word dropped" (every case right, one word a segment missing). τ is checked
against Kendall's τ-b counted pair by pair from the leaderboard's own cells.
"""
from __future__ import annotations

import itertools
import json
import math

import pytest

from conftest import run_main, write_jsonl
from harness.run import RunOptions, evaluate
from harness.testing.golden import golden_translation_cases

TASK = "name: wmt17-sub\nversion: 1\nfamily: translation\nsource: {{path: {data}}}\nmetrics: [bleu, chrf, ter]\n"


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    root = tmp_path_factory.mktemp("agreement")
    cases = {c.system: c for c in golden_translation_cases("wmt17_newstest2017_en-de", origin="shipped")}
    first = cases["uedin-nmt.4722"]
    refs = [r[0] for r in first.references]
    data = write_jsonl(root / "refs.jsonl", [{"id": i, "references": [r]} for i, r in zip(first.ids, refs)])
    (root / "task.yaml").write_text(TASK.format(data=data))
    systems = {"uedin": first.predictions, "online-A": cases["online-A.0"].predictions,
               "lowercased": [r.lower() for r in refs], "dropped": [r.rsplit(" ", 1)[0] for r in refs]}
    for name, texts in systems.items():
        path = write_jsonl(root / f"{name}.jsonl", [{"id": i, "prediction": t} for i, t in zip(first.ids, texts)])
        evaluate(f"predictions:{path}", [str(root / "task.yaml")], RunOptions(output=root / "results", n_bootstrap=0))
    return root / "results"


def _short(model: str) -> str:
    return model.rsplit("/", 1)[-1].removesuffix(".jsonl")


def tau_b(x: list[float], y: list[float]) -> float:
    """Kendall's τ-b from its definition: (concordant - discordant) / √(untied in x · untied in y)."""
    pairs = list(itertools.combinations(range(len(x)), 2))
    signs = [((x[i] > x[j]) - (x[i] < x[j]), (y[i] > y[j]) - (y[i] < y[j])) for i, j in pairs]
    score = sum(a * b for a, b in signs)
    return score / math.sqrt(sum(a != 0 for a, _ in signs) * sum(b != 0 for _, b in signs))


def test_kendall_tau_and_the_pairs_two_metrics_order_differently(results, capsys):
    rc, out, err = run_main(capsys, "leaderboard", str(results), "--json", "--bootstrap", "300")
    assert rc == 0, err
    board = json.loads(out)
    columns = {c["metric"]: c for c in board["columns"]}
    scores = {m: {_short(r["model"]): (1 if columns[m]["higher_is_better"] else -1) * r["cells"][c["key"]]["score"]
                  for r in board["rows"]} for m, c in columns.items()}
    separated = {m: {frozenset(map(_short, p)) for p in c["separated"]} for m, c in columns.items()}
    pairs = {tuple(p["metrics"]): p for p in board["agreement"]}
    assert set(pairs) == {("bleu", "chrf"), ("bleu", "ter"), ("chrf", "ter")}
    for (a, b), pair in pairs.items():
        systems = sorted(scores[a])
        assert pair["systems"] == 4
        assert pair["kendall_tau"] == pytest.approx(tau_b([scores[a][s] for s in systems], [scores[b][s] for s in systems]))
        expected = {frozenset((x, y)) for x, y in itertools.combinations(systems, 2)
                    if frozenset((x, y)) in separated[a] & separated[b]
                    and (scores[a][x] - scores[a][y]) * (scores[b][x] - scores[b][y]) < 0}
        found = [(_short(d["a_prefers"]), _short(d["b_prefers"])) for d in pair["disagreements"]]
        assert {frozenset(f) for f in found} == expected
        assert all(scores[a][x] > scores[a][y] and scores[b][y] > scores[b][x] for x, y in found)
    assert ("dropped", "lowercased") in [(_short(d["a_prefers"]), _short(d["b_prefers"]))
                                         for d in pairs[("bleu", "ter")]["disagreements"]]


def test_the_panel_prints_under_the_table_and_needs_two_metrics(results, capsys):
    rc, out, _ = run_main(capsys, "leaderboard", str(results), "--format", "md")
    assert rc == 0 and "**Metric agreement" in out and "| wmt17-sub | bleu | ter | 4 |" in out
    assert "ter puts " in out and "lowercased.jsonl ahead by" in out
    rc, out, _ = run_main(capsys, "leaderboard", str(results), "--metrics", "bleu")
    assert rc == 0 and "Metric agreement" not in out
