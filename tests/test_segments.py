"""`harness compare --segments` on the shipped real data of each family, through the command line.

Oracles: each bucket's BLEU is sacrebleu's corpus BLEU of the bucket's segments, and the
whole-set Δ and its CI are the ones `harness compare` prints for the same pair; the n-gram
counts and the bucket edges are tables worked out by hand.
"""
from __future__ import annotations

import json

import numpy as np
import pytest
import sacrebleu

from conftest import run_cli, run_main, write_jsonl
from harness.reports.ngram_diff import ngram_diff
from harness.reports.segments import quantile_buckets
from harness.testing import SHIPPED_DATA, shared_data
from harness.testing.golden import load_jsonl

WMT17 = SHIPPED_DATA / "translation" / "wmt17_newstest2017_en-de"
FAMILIES = {  # data folder, generic task, the metric its view is checked on
    "translation": (WMT17, "translation", "bleu"),
    "summarization": (SHIPPED_DATA / "summarization" / "realsumm_cnndm100", "summarization", "rouge1"),
    "captioning": (SHIPPED_DATA / "captioning" / "coco_fakecap", "captioning", "cider"),
}


def _run(capsys, root, data, task, system, *extra) -> str:
    rc, out, err = run_main(capsys, "run", "--model", f"predictions:{system}", "--tasks", task, "--data",
                            str(data / "test.jsonl"), "--output", str(root / "results"), "--bootstrap", "200",
                            "--allow-outside-paths", *extra)
    assert rc == 0, err
    return next(line.strip() for line in out.splitlines() if str(root / "results") in line)


def _human(root, data) -> str:
    """Each example's first reference as a second system (the shipped captions come with one)."""
    return str(write_jsonl(root / "first-reference.jsonl", [{"id": r["id"], "prediction": r["references"][0]}
                                                            for r in load_jsonl(data / "test.jsonl")]))


def test_buckets_are_the_metric_over_their_segments(capsys, tmp_path):
    """WMT17 en-de (150 segments): FBK against uedin-nmt; every BLEU bucket equals sacrebleu's
    corpus BLEU of its segments, the whole-set row equals `harness compare`'s."""
    runs = [_run(capsys, tmp_path, WMT17, "translation", WMT17 / "systems" / f"{s}.jsonl", "-l", "en-de",
                 "--metrics", "bleu,chrf") for s in ("FBK.4870", "uedin-nmt.4722")]
    rc, out, err = run_main(capsys, "compare", "--segments", *runs, "--json", "--examples", "3", "--bootstrap", "300")
    assert rc == 0, err
    [view] = json.loads(out)["views"]
    rc, out, err = run_main(capsys, "compare", *runs, "--json", "--randomization", "10", "--bootstrap", "300")
    compared = {c["metric"]: c for c in json.loads(out)["comparisons"]}
    refs = {str(r["id"]): r["references"][0] for r in load_jsonl(WMT17 / "test.jsonl")}
    preds = [{str(r["id"]): r["prediction"] for r in load_jsonl(WMT17 / "systems" / f"{s}.jsonl")}
             for s in ("FBK.4870", "uedin-nmt.4722")]
    for m in view["metrics"]:
        assert m["overall"]["delta"] == pytest.approx(compared[m["metric"]]["delta"], abs=1e-9)
        assert m["overall"]["ci95"] == pytest.approx(compared[m["metric"]]["delta_ci95"], abs=1e-9)
        assert set(m["bucketings"]) == {"reference length (tokens)", f"baseline's per-example {m['metric']}"}
        for buckets in m["bucketings"].values():
            ids = [i for b in buckets for i in b["ids"]]
            assert sorted(ids) == sorted(refs) and sum(b["n"] for b in buckets) == 150  # a partition
            assert all(b["ci95"][0] <= b["delta"] <= b["ci95"][1] for b in buckets)
            if m["metric"] != "bleu":
                continue
            for b in buckets:
                for side, key in ((0, "baseline"), (1, "system")):
                    oracle = sacrebleu.corpus_bleu([preds[side][i] for i in b["ids"]], [[refs[i] for i in b["ids"]]],
                                                   tokenize="13a")
                    assert b[key] == pytest.approx(oracle.score, abs=1e-9), (b["label"], key)
        gains, losses = m["gains"], m["losses"]
        sign = 1 if m["higher_is_better"] else -1
        assert len(gains) == 3 and all(sign * g["delta"] > 0 for g in gains)
        assert [sign * g["delta"] for g in gains] == sorted((sign * g["delta"] for g in gains), reverse=True)
        assert all(sign * x["delta"] < 0 for x in losses)
    text = run_cli("compare", "--segments", *runs, "--metrics", "bleu", "--examples", "1", "--bootstrap", "200",
                   "--plots", str(tmp_path / "plots"))
    assert text.returncode == 0, text.stderr
    assert sorted(p.suffix for p in (tmp_path / "plots").iterdir()) == [".png", ".svg"]
    assert text.stderr.count("plot written: ") == 2
    assert "reference length (tokens)" in text.stdout and "the example the system improves most" in text.stdout
    assert "reference n-grams (1-4) matched more often" in text.stdout and "source:" not in text.stdout


@pytest.mark.parametrize("family", ["summarization", "captioning"])
def test_every_family_through_the_cli(capsys, tmp_path, family):
    data, task, metric = FAMILIES[family]
    # two published systems where there are two (a reference as a system matches every reference n-gram)
    systems = sorted((data / "systems").glob("*.jsonl"))[:2]
    if len(systems) < 2:
        systems.append(_human(tmp_path, data))
    runs = [_run(capsys, tmp_path, data, task, system) for system in systems]
    rc, out, err = run_main(capsys, "compare", "--segments", *runs, "--json", "--metrics", metric,
                            "--bootstrap", "200")
    assert rc == 0, err
    [view] = json.loads(out)["views"]
    [m] = view["metrics"]
    n = len(load_jsonl(data / "test.jsonl"))
    assert view["n"] == n and m["overall"]["delta"] == pytest.approx(m["overall"]["system"] - m["overall"]["baseline"])
    for buckets in m["bucketings"].values():
        assert sum(b["n"] for b in buckets) == n and 1 < len(buckets) <= 5
    assert view["ngrams"]["system_more"] and view["ngrams"]["baseline_more"]
    rc, md, err = run_main(capsys, "compare", "--segments", *runs, "--format", "md", "--metrics", metric,
                           "--bootstrap", "200")
    assert rc == 0 and md.count("```text") == 1 and f"| {metric} | all | all | {n} |" in md


def test_wmt21_two_references_and_sources(capsys, tmp_path):
    """WMT21 de-en (shared data), UEdin against HuaweiTSC: the whole-set row is compare's
    (docs/reports.md), sources are bucketed, and the n-grams name the habit behind the losses."""
    data = shared_data()
    wmt21 = data / "translation" / "wmt21_newstest2021_de-en" if data else None
    if not wmt21 or not wmt21.is_dir():
        pytest.skip("needs the shared data: translation/wmt21_newstest2021_de-en")
    runs = [_run(capsys, tmp_path, wmt21, "translation", wmt21 / "systems" / f"{s}.jsonl", "-l", "de-en",
                 "--metrics", "bleu") for s in ("UEdin", "HuaweiTSC")]
    rc, out, err = run_main(capsys, "compare", "--segments", *runs, "--json")
    assert rc == 0, err
    [view] = json.loads(out)["views"]
    [m] = view["metrics"]
    assert [round(x, 2) for x in (m["overall"]["delta"], *m["overall"]["ci95"])] == [1.18, 0.46, 1.91]
    assert list(m["bucketings"]) == ["reference length (tokens)", "source length (tokens)",
                                     "baseline's per-example bleu"]
    leaning = {r["ngram"]: (r["baseline"], r["system"], len(r["ids"])) for r in view["ngrams"]["baseline_more"]}
    assert leaning["coronavirus"][:2] == (37, 8) and leaning["coronavirus outbreak"] == (5, 0, 5)
    assert m["signature"].startswith("bleu|nrefs:2|")


def test_captions_with_their_images(capsys, tmp_path):
    """Twelve real COCO images (shared data) captioned by MAGIC and ZeroCap, as published: the
    inputs are images, so there is no source length to bucket by."""
    data = shared_data()
    if not data or not (data / "captioning" / "coco_images12").is_dir():
        pytest.skip("needs the shared data: captioning/coco_images12 and magic_mscoco")
    images = data / "captioning" / "coco_images12"
    ids = [r["id"] for r in load_jsonl(images / "test.jsonl")]
    runs = []
    for name in ("zerocap", "magic"):  # MAGIC's ids name the file: COCO_val2014_....jpg
        outputs = {r["id"].removesuffix(".jpg"): r["prediction"]
                   for r in load_jsonl(data / "captioning" / "magic_mscoco" / "systems" / f"{name}.jsonl")}
        path = write_jsonl(tmp_path / f"{name}.jsonl", [{"id": i, "prediction": outputs[i]} for i in ids])
        runs.append(_run(capsys, tmp_path, images, "captioning", path, "--metrics", "cider"))
    rc, out, err = run_main(capsys, "compare", "--segments", *runs, "--json", "--bootstrap", "200")
    assert rc == 0, err
    [view] = json.loads(out)["views"]
    [m] = view["metrics"]
    assert list(m["bucketings"]) == ["reference length (tokens)", "baseline's per-example cider"]
    assert m["overall"]["delta"] > 0 and view["n"] == 12  # MAGIC over ZeroCap, as its paper reports


def test_refused_where_the_data_differs(capsys, tmp_path):
    rows = load_jsonl(WMT17 / "test.jsonl")[:20]
    other = write_jsonl(tmp_path / "other.jsonl", [dict(r, id=f"x{r['id']}") for r in rows])
    preds = write_jsonl(tmp_path / "preds.jsonl", [{"id": f"x{r['id']}", "prediction": r["prediction"]}
                                                  for r in load_jsonl(WMT17 / "systems" / "FBK.4870.jsonl")][:20])
    a = _run(capsys, tmp_path, WMT17, "translation", WMT17 / "systems" / "FBK.4870.jsonl", "--task-name", "t",
             "--limit", "20")
    rc, out, err = run_main(capsys, "run", "--model", f"predictions:{preds}", "--tasks", "translation", "--data",
                            str(other), "--task-name", "t", "--output", str(tmp_path / "results"))
    b = next(line.strip() for line in out.splitlines() if "results" in line and line.strip() != a)
    rc, out, err = run_main(capsys, "compare", "--segments", a, b)
    assert rc == 2 and "not comparable: data fingerprint" in err and "--force" in err


def test_ngrams_each_side_matches_more_often():
    """Worked by hand: the reference's n-grams that only one system's output has, clipped."""
    refs = [["The house is small.", "The house is tiny."], ["the the the"]]
    diff = ngram_diff(["a", "b"], refs, ["The house is big.", "the"], ["A home is small.", "the the the the"], k=20)
    system = {c.ngram: (c.baseline, c.system, c.ids) for c in diff.system_more}
    baseline = {c.ngram: (c.baseline, c.system, c.ids) for c in diff.baseline_more}
    # clipped at the reference's count: "the" 3 times at most, so the fourth earns nothing
    assert system == {"small": (0, 1, ("a",)), "is small": (0, 1, ("a",)), "small .": (0, 1, ("a",)),
                      "is small .": (0, 1, ("a",)), "the": (2, 3, ("a", "b")), "the the": (0, 2, ("b",)),
                      "the the the": (0, 1, ("b",))}
    assert baseline == {"house": (1, 0, ("a",)), "the house": (1, 0, ("a",)), "house is": (1, 0, ("a",)),
                        "the house is": (1, 0, ("a",))}
    assert [c.ngram for c in diff.system_more][:2] == ["the the", "is small"]  # most matches first among equal shares


@pytest.mark.parametrize("values, integer, expected", [
    ([3, 9, 12, 12, 15, 20, 31, 40, 41, 55], True,
     [("≤ 9", 2), ("10–12", 2), ("13–20", 2), ("21–40", 2), ("≥ 41", 2)]),
    ([0, 0, 0, 0, 0, 0, 0, 10, 20, 30], True, [("≤ 0", 7), ("1–10", 1), ("≥ 11", 2)]),  # ties stay together
    ([5.0, 5.0, 5.0], False, [("all", 3)]),
    ([5, 4, 5, 5, 5, 5], True, [("≤ 4", 1), ("≥ 5", 5)]),  # not one bucket because most share a length
    ([0.0, 12.5, 40.0, 80.25], False, [("≤ 0.0", 1), ("(0.0, 12.5]", 1), ("(12.5, 40.0]", 1), ("> 40.0", 1)]),
])
def test_buckets_of_about_equal_size(values, integer, expected):
    got = quantile_buckets(np.array(values, dtype=float), 5, integer)
    assert [(label, len(rows)) for label, rows in got] == expected
    assert sorted(int(i) for _, rows in got for i in rows) == list(range(len(values)))
