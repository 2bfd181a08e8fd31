"""`harness compare` against sacrebleu 2.6.0's own paired tests on WMT21 de-en (the shared data),
else on the shipped WMT17 subset, where sacrebleu runs its paired tests in the test.

The systems are scored through the real path (``predictions:`` files, run records on disk),
then compared from the stored statistics alone. The expected p-values are sacrebleu's
multi-system output in ``shared/data/translation/wmt21_newstest2021_de-en/paired_sacrebleu/``
(seed 12345, 1,000 bootstrap resamples, 10,000 randomization trials; the first system named
is the baseline). Both sets: clearly different systems, and close ones (mostly not significant).
The p-values match to the 4 decimals sacrebleu prints; they are equal because the resampling
draws the same indices and coin flips with the same seed, and sacrebleu's float32 statistics
do not move any resample across the observed delta on these pairs.
"""
from __future__ import annotations

import json
import re

import pytest

from conftest import run_cli, write_jsonl
from harness.run import RunOptions, evaluate
from harness.reports.compare import CompareSettings, compare_paths
from harness.testing import SHIPPED_DATA, shared_data
from harness.testing.golden import load_jsonl, sacrebleu_paired, wmt_cases

WMT21 = shared_data() / "translation" / "wmt21_newstest2021_de-en" if shared_data() else None
SHARED = WMT21 is not None and (WMT21 / "paired_sacrebleu").is_dir()
DATA = WMT21 if SHARED else SHIPPED_DATA / "translation" / "wmt17_newstest2017_en-de"
SETS = {"clear": ("Facebook-AI", ["Online-W", "UEdin", "VolcTrans-AT"]),
        "close": ("UEdin", ["VolcTrans-AT", "UF", "Borderline", "Online-A", "Watermelon", "NVIDIA-NeMo", "HuaweiTSC"])} \
    if SHARED else {"clear": ("uedin-nmt.4722", ["FBK.4870", "online-A.0", "PROMT-Rule-based.4735"])}
TASK = """name: wmt21-de-en
version: 1
family: translation
source: {{path: {data}}}
fields: {{id: id, source: source, references: references}}
metrics: [bleu, chrf]
"""


def sacrebleu_p_values(kind: str, baseline: str) -> dict[str, tuple[float, float]]:
    """System -> (BLEU p, chrF p) from sacrebleu's text table, or sacrebleu run here."""
    if not SHARED:
        cases = {c.system: c for c in wmt_cases()}
        table = sacrebleu_paired(cases[baseline], [cases[s] for s in SETS["clear"][1]], kind)
        return {system: tuple(row["p"]) for system, row in table.items()}
    out, current = {}, None
    for line in (DATA / "paired_sacrebleu" / f"paired_{kind}_baseline_{baseline}.txt").read_text().splitlines():
        system = re.match(r"│\s+(?:Baseline: )?(\S+)\.txt\s+│", line)
        current = system.group(1) if system else current
        p_values = re.findall(r"p = ([\d.]+)", line)
        if p_values:
            out[current] = tuple(float(p) for p in p_values)
    return out


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    root = tmp_path_factory.mktemp("wmt21")
    task = root / "wmt21-de-en.yaml"
    # WMT17 has no source text; the predictions model does not need one
    data = write_jsonl(root / "test.jsonl", [{"source": "", **r} for r in load_jsonl(DATA / "test.jsonl")])
    task.write_text(TASK.format(data=data))
    names = sorted({s for base, others in SETS.values() for s in [base, *others]})
    for name in names:  # no CIs: compare resamples the statistics itself
        evaluate(f"predictions:{DATA / 'systems' / f'{name}.jsonl'}", [str(task)],
                 RunOptions(output=root / "results", n_bootstrap=0, allow_outside_paths=True))
    return root / "results"


def _folder(results, system: str):
    [folder] = [p for p in results.iterdir() if p.name.endswith(f"_{system}.jsonl")]
    return folder


@pytest.mark.parametrize("which", sorted(SETS))
def test_p_values_equal_sacrebleus(results, which):
    baseline, systems = SETS[which]
    result = compare_paths([_folder(results, baseline)] + [_folder(results, s) for s in systems], CompareSettings())
    bs, ar = sacrebleu_p_values("bs", baseline), sacrebleu_p_values("ar", baseline)
    got = {(c.system.split("/")[-1][:-len(".jsonl")], c.metric): c for c in result.comparisons}
    assert len(got) == 2 * len(systems)
    for system in systems:
        for column, metric in enumerate(("bleu", "chrf")):
            c = got[(system, metric)]
            assert round(c.p_bootstrap, 4) == bs[system][column], (system, metric, "paired bootstrap")
            assert round(c.p_randomization, 4) == ar[system][column], (system, metric, "approximate randomization")
            assert c.n == len(load_jsonl(DATA / "test.jsonl")) and c.n_tests == 2 * len(systems)
            assert c.delta_ci95[0] <= c.delta <= c.delta_ci95[1]


def test_json_output_and_corrections_from_the_command_line(results):
    base, systems = SETS["clear"]
    args = ["compare", str(_folder(results, base)), *(str(_folder(results, s)) for s in systems),
            "--json", "--correction", "holm", "--metrics", "bleu"]
    proc = run_cli(*args)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["settings"]["correction"] == "holm"
    rows = out["comparisons"]
    assert len(rows) == 3 and all(r["n_tests"] == 3 for r in rows)
    keys = {"task", "metric", "baseline", "system", "baseline_score", "system_score", "delta", "delta_ci95",
            "p_bootstrap", "p_randomization", "n", "n_tests", "signature"}
    assert all(keys <= set(r) for r in rows)
    # Holm: the smallest raw p times 3, the next times 2 (never below the one before), the last times 1
    raw = sorted(r["p_randomization_raw"] for r in rows)
    adjusted = sorted(r["p_randomization"] for r in rows)
    assert adjusted[0] == pytest.approx(min(1, 3 * raw[0]))
    nrefs = len(load_jsonl(DATA / "test.jsonl")[0]["references"])
    assert all(r["signature"].startswith(f"bleu|nrefs:{nrefs}|") for r in rows)
