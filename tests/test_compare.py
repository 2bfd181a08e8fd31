"""`harness compare` on small real runs: direction, refusals, --force, examples, formats."""
from __future__ import annotations

import json

import pytest

from conftest import run_cli, write_jsonl
from harness.errors import UsageError
from harness.run import RunOptions, evaluate
from harness.reports.compare import CompareSettings, adjust, compare_paths
from harness.reports.compare_format import format_compare

PAIRS = [("Das Haus ist klein.", "The house is small."), ("Der Hund bellt laut.", "The dog barks loudly."),
         ("Ich trinke Kaffee.", "I drink coffee."), ("Es regnet heute.", "It is raining today."),
         ("Wir gehen nach Hause.", "We are going home."), ("Die Katze schläft.", "The cat is sleeping."),
         ("Das Auto ist rot.", "The car is red."), ("Er liest ein Buch.", "He is reading a book.")] * 3
REFS = [{"id": f"s{i}", "source": s, "references": [r]} for i, (s, r) in enumerate(PAIRS)]
GOOD = [r for _, r in PAIRS]
WEAK = [" ".join(r.split()[:2]) + " thing." for _, r in PAIRS]
TASK = "name: {name}\nversion: 1\nfamily: translation\nsource: {{path: {data}}}\nmetrics: [{metrics}]\n"


def task(root, name, metrics="bleu, chrf, ter", data="refs.jsonl"):
    path = root / f"{name}.yaml"
    path.write_text(TASK.format(name=name, data=root / data, metrics=metrics))
    return str(path)


def predictions(root, name, texts, rows=REFS):
    return f"predictions:{write_jsonl(root / f'{name}.jsonl', [{'id': r['id'], 'prediction': t} for r, t in zip(rows, texts)])}"


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    root = tmp_path_factory.mktemp("compare")
    write_jsonl(root / "refs.jsonl", REFS)
    write_jsonl(root / "other-refs.jsonl", [dict(r, id=f"x{i}") for i, r in enumerate(REFS)])
    tasks = [task(root, "mini-a"), task(root, "mini-b", "bleu, rouge1")]
    for name, texts in (("good", GOOD), ("weak", WEAK)):
        evaluate(predictions(root, name, texts), tasks, RunOptions(output=root / "results"))
    evaluate(predictions(root, "intl", GOOD), [task(root, "mini-intl", "{name: bleu, tokenize: intl}")],
             RunOptions(output=root / "intl"))
    evaluate(predictions(root, "weak-plain", WEAK), [task(root, "mini-intl", "bleu")], RunOptions(output=root / "intl"))
    other_rows = [dict(r, id=f"x{i}") for i, r in enumerate(REFS)]
    evaluate(predictions(root, "other", GOOD, other_rows), [task(root, "mini-a", data="other-refs.jsonl")],
             RunOptions(output=root / "other"))
    return root


def model(root, name, out="results"):
    [folder] = [p for p in (root / out).iterdir() if p.name.endswith(f"_{name}.jsonl")]
    return folder


def test_every_stored_metric_of_every_common_task(root):
    result = compare_paths([model(root, "weak"), model(root, "good")], CompareSettings(n_randomization=2000))
    got = {(c.task, c.metric): c for c in result.comparisons}
    assert set(got) == {("mini-a", "bleu"), ("mini-a", "chrf"), ("mini-a", "ter"), ("mini-b", "bleu"),
                        ("mini-b", "rouge1")}
    assert all(c.n == len(REFS) and c.n_tests == 5 for c in result.comparisons)
    for c in result.comparisons:
        assert c.delta == pytest.approx(c.system_score - c.baseline_score)
        assert c.verdict(0.05) == "better", c.metric
    # TER: lower is better, so the better system has a negative delta and still reads "better"
    assert got[("mini-a", "ter")].delta < 0 and not got[("mini-a", "ter")].higher_is_better
    swapped = compare_paths([model(root, "good"), model(root, "weak")], CompareSettings(n_randomization=2000))
    assert {c.verdict(0.05) for c in swapped.comparisons} == {"worse"}


@pytest.mark.parametrize("p, method, expected", [  # worked by hand from the definitions
    ([0.01, 0.04, 0.03], "holm", [0.03, 0.06, 0.06]),
    ([0.01, 0.04, 0.03], "bonferroni", [0.03, 0.12, 0.09]),
    ([0.01, 0.04, 0.03], "none", [0.01, 0.04, 0.03]),
    ([0.5, 0.6], "bonferroni", [1.0, 1.0]),
])
def test_corrections(p, method, expected):
    assert adjust(p, method) == pytest.approx(expected)


def test_refuses_other_data_naming_it(root):
    paths = [model(root, "good") / "mini-a", model(root, "other", "other") / "mini-a"]
    with pytest.raises(UsageError, match=r"data fingerprint: \w+ vs \w+; example ids: 24 only in the baseline"):
        compare_paths(paths)
    with pytest.raises(UsageError, match="no example in common"):
        compare_paths(paths, CompareSettings(force=True))


def test_refuses_another_tokenizer_naming_the_field(root):
    paths = [model(root, "weak-plain", "intl"), model(root, "intl", "intl")]
    with pytest.raises(UsageError, match=r"bleu signature tok: 13a vs intl"):
        compare_paths(paths)
    forced = compare_paths(paths, CompareSettings(force=True, n_randomization=500))
    assert all("tok: 13a vs intl" in c.forced for c in forced.comparisons)
    text = format_compare(forced)
    assert "(forced)" in text and "forced (--force): mini-intl bleu" in text


def test_examples_that_moved_most(root):
    result = compare_paths([model(root, "weak") / "mini-a", model(root, "good") / "mini-a"],
                           CompareSettings(examples=2, metrics=("bleu",), n_randomization=500))
    [c] = result.comparisons
    assert len(c.examples) == 2
    first = c.examples[0]
    assert first["system_prediction"] in GOOD and first["baseline_prediction"] in WEAK
    assert first["references"] == [first["system_prediction"]] and first["source"]
    assert abs(first["delta"]) >= abs(c.examples[1]["delta"])
    assert first["system_score"] == pytest.approx(100.0)
    assert f"[{first['id']}]" in format_compare(result)


def test_the_command_prints_every_format(root):
    args = ["compare", str(model(root, "weak")), str(model(root, "good")), "--randomization", "500"]
    text = run_cli(*args)
    assert text.returncode == 0, text.stderr
    assert "p (bootstrap)" in text.stdout and "5 tests; correction: none" in text.stdout and "ter ↓" in text.stdout
    md = run_cli(*args, "--format", "md").stdout
    assert md.startswith("| task | metric |") and "\\|" not in md.splitlines()[2]
    latex = run_cli(*args, "--format", "latex").stdout
    assert "\\toprule" in latex and "\\bottomrule" in latex and "$\\downarrow$" in latex
    csv = run_cli(*args, "--format", "csv").stdout.splitlines()
    assert csv[0].startswith("task,metric,system,baseline,baseline_score") and len(csv) == 6
    assert json.loads(run_cli(*args, "--json").stdout)["comparisons"][0]["tests"]["p_bootstrap"] == "paired bootstrap"


def test_json_without_a_bootstrap_writes_null_intervals(root):
    """No resamples, no interval: strict JSON has null where the interval would be."""
    proc = run_cli("compare", str(model(root, "weak")), str(model(root, "good")), "--bootstrap", "0", "--json")
    assert proc.returncode == 0, proc.stderr
    [first, *_] = json.loads(proc.stdout)["comparisons"]
    assert first["delta_ci95"] == [None, None] and isinstance(first["delta"], float)


def test_a_missing_folder_is_an_error_with_the_path(root):
    proc = run_cli("compare", str(root / "nope"), str(model(root, "good")))
    assert proc.returncode == 2 and f"{root / 'nope'}: no such run" in proc.stderr


def test_markdown_shows_examples_as_literal_text(root):
    result = compare_paths([model(root, "weak") / "mini-a", model(root, "good") / "mini-a"],
                           CompareSettings(examples=1, metrics=("chrf",), n_randomization=200))
    md = format_compare(result, "md")
    block = md.split("```text", 1)[1]
    assert block.rstrip().endswith("```") and "reference:" in block
    assert "moved most" not in format_compare(result, "latex")


def test_identical_outputs_are_not_significant(root, tmp_path):
    twin = predictions(tmp_path, "twin", GOOD)
    [record] = evaluate(twin, [task(root, "mini-a")], RunOptions(output=tmp_path / "results"))
    result = compare_paths([model(root, "good") / "mini-a", record.folder], CompareSettings(n_randomization=200))
    assert {c.verdict(0.05) for c in result.comparisons} == {"n.s."}
    assert all(c.delta == 0 for c in result.comparisons)
    assert "Δ = 0 reads n.s." in format_compare(result)
