"""`harness power` on real WMT systems: the detectable Δ against a direct simulation, the
formula's parts, compare's note under n.s. rows, and the CLI's refusals.

On the shipped WMT17 en-de subset (150 segments, every clone has it), where a simulation of
200 test sets takes seconds; bench/power.py runs the larger one on WMT21 de-en (1,000
segments, the shared data) that docs/reports.md quotes.
"""
from __future__ import annotations

import json
import math
from statistics import NormalDist

import numpy as np
import pytest

from conftest import run_main, write_jsonl
from harness.metrics.bootstrap import bootstrap_scores
from harness.record.store import load_runs
from harness.reports.significance import SignificanceRule
from harness.run import RunOptions, evaluate
from harness.testing.golden import golden_translation_cases
from harness.testing.power_simulation import simulated_power

TASK = "name: wmt\nversion: 1\nfamily: translation\nsource: {{path: {data}}}\nmetrics: [bleu, chrf]\n"
Z = NormalDist().inv_cdf(0.95) + NormalDist().inv_cdf(0.8)  # the rule's one-sided z + z at 80% power


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Two real systems, and "near": the first with one segment taken from the second (n.s.)."""
    root = tmp_path_factory.mktemp("power")
    cases = {c.system: c for c in golden_translation_cases("wmt17_newstest2017_en-de", origin="shipped")}
    a, b = cases["uedin-nmt.4722"], cases["online-A.0"]
    data = write_jsonl(root / "refs.jsonl", [{"id": i, "references": list(r)} for i, r in zip(a.ids, a.references)])
    (root / "task.yaml").write_text(TASK.format(data=data))
    near = (b.predictions[0],) + a.predictions[1:]
    folders = {}
    for name, texts in (("a", a.predictions), ("b", b.predictions), ("near", near)):
        path = write_jsonl(root / f"{name}.jsonl", [{"id": i, "prediction": t} for i, t in zip(a.ids, texts)])
        evaluate(f"predictions:{path}", [str(root / "task.yaml")], RunOptions(output=root / name, n_bootstrap=0))
        folders[name] = root / name
    return folders


def _power(capsys, *args: str) -> list[dict]:
    rc, out, err = run_main(capsys, "power", *map(str, args), "--json")
    assert rc == 0, err
    return json.loads(out)["rows"]


def test_the_detectable_difference_agrees_with_a_direct_simulation(runs, capsys):
    [row] = _power(capsys, runs["a"], runs["b"], "--metrics", "bleu")
    assert row["measured"] and 0 < row["correlation"] < 1
    assert row["detectable"] == pytest.approx(Z * row["se"])
    [a], [b] = load_runs(runs["a"]), load_runs(runs["b"])
    rule = SignificanceRule(n_bootstrap=100)  # each simulated test set tested as compare does, fewer resamples
    power, se = simulated_power(a.score("bleu").metric(), a.stats("bleu"), b.stats("bleu"), row["detectable"],
                                test_sets=200, rule=rule)
    assert abs(power - 0.8) <= 3 * se, (power, se)


def test_one_run_its_power_and_the_examples_a_difference_needs(runs, capsys):
    [a] = load_runs(runs["a"])
    rows = {r["metric"]: r for r in _power(capsys, runs["a"])}
    assert set(rows) == {"bleu", "chrf"} and rows["bleu"]["delta"] is None and rows["bleu"]["n_for_delta"] is None
    for name, row in rows.items():
        spread = np.std(bootstrap_scores(a.score(name).metric(), a.stats(name), 1000, 12345), ddof=1)
        assert row["se"] == pytest.approx(spread * math.sqrt(2 * (1 - 0.5)))  # --correlation 0.5
        assert not row["measured"] and row["correlation"] == 0.5 and row["detectable"] == pytest.approx(Z * row["se"])
    detectable = rows["bleu"]["detectable"]
    [at] = _power(capsys, runs["a"], "--metrics", "bleu", "--delta", detectable)
    [half] = _power(capsys, runs["a"], "--metrics", "bleu", "--delta", detectable / 2, "--correlation", 0.5)
    assert at["power_at_delta"] == pytest.approx(0.8) and at["n_for_delta"] in (at["n"], at["n"] + 1)
    assert half["power_at_delta"] < 0.4 and half["n_for_delta"] == pytest.approx(4 * at["n"], abs=1)  # SE ∝ 1/√n
    [measured] = _power(capsys, runs["a"], runs["b"], "--metrics", "bleu", "--delta", detectable)
    assert measured["detectable"] < detectable  # two systems of one test set correlate: the pair sees more


def test_compare_says_what_the_test_set_detects_under_a_non_significant_row(runs, capsys):
    rc, out, _ = run_main(capsys, "compare", str(runs["a"]), str(runs["near"]), "--randomization", "200")
    assert rc == 0 and "n.s." in out
    [row] = _power(capsys, runs["a"], runs["near"], "--metrics", "bleu")
    assert f"Δ ≥ {row['detectable']:.2f} bleu" in out
    rc, out, _ = run_main(capsys, "compare", str(runs["a"]), str(runs["near"]), "--randomization", "200", "--json")
    found = {c["metric"]: c["detectable"] for c in json.loads(out)["comparisons"]}
    assert found["bleu"] == pytest.approx(row["detectable"])


def test_the_leaderboard_says_what_it_can_tell_between_neighbours(runs, capsys):
    [row] = _power(capsys, runs["a"], runs["b"], "--metrics", "bleu")
    rc, out, _ = run_main(capsys, "leaderboard", str(runs["a"]), str(runs["b"]), "--metrics", "bleu", "--json")
    [column] = json.loads(out)["columns"]
    [pair] = column["neighbours"]  # the same resamples as power's: the same number
    assert pair["detectable"] == pytest.approx(row["detectable"]) and pair["delta"] == pytest.approx(abs(row["delta"]))
    rc, out, _ = run_main(capsys, "leaderboard", str(runs["a"]), str(runs["b"]), "--metrics", "bleu")
    assert f"this test set detects Δ ≥ {row['detectable']:.2f} (median" in out


@pytest.mark.parametrize("args, message", [
    (("a", "b", "near"), "power takes one run (its own variance) or two"),
    (("a", "--alpha", "1.5"), "--alpha 1.5: give a probability between 0 and 1"),
    (("a", "--metrics", "rouge*"), "no metric with stored statistics matches --metrics rouge*"),
])
def test_refusals_say_what_to_do(runs, capsys, args, message):
    rc, out, err = run_main(capsys, "power", *(str(runs[x]) if x in runs else x for x in args))
    assert rc == 2 and message in err and "Traceback" not in err
