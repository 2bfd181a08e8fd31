"""`harness run --model predictions:...` reproduces the golden scores of the reference implementations.

Golden values: ../shared/data/*/*/expected.json (sacrebleu 2.6.0, rouge-score 0.1.2,
pycocoevalcap 1.2), or without the shared data the shipped subset's (tests/data/conformance,
the same layout, fewer rows and systems). The metric-level suite (test_conformance*.py) covers
every system; here a few systems per data set go through the whole command line.
"""
import json
from pathlib import Path

import pytest

from rouge_score.rouge_scorer import RougeScorer

from conftest import write_jsonl
from harness.cli import main
from harness.task.postprocess import POSTPROCESS
from harness.testing import SHIPPED_DATA, shared_data

SHARED = shared_data() is not None
DATA = shared_data() or SHIPPED_DATA


def _task(tmp_path: Path, family: str, metrics: list) -> Path:
    path = tmp_path / f"golden-{family}.yaml"
    path.write_text(json.dumps({"name": f"golden-{family}", "family": family,
                                "source": {"path": "unused.jsonl"}, "metrics": metrics,
                                "postprocess": []}))
    return path


def _run(tmp_path, capsys, task: Path, data: Path, preds: Path) -> dict:
    code = main(["run", "--model", f"predictions:{preds}", "--tasks", str(task), "--data", str(data),
                 "--output", str(tmp_path / "out"), "--json", "--bootstrap", "0"])
    out = capsys.readouterr()
    assert code == 0, out.err
    record = json.loads(out.out)
    return {m: r["score"] for m, r in record["scores"].items()}


@pytest.mark.parametrize("system, ter", [("Facebook-AI", True), ("happypoet", False), ("UEdin", False)]
                         if SHARED else [("fakecap", True)])
def test_several_references(tmp_path, capsys, system, ter):
    """WMT21 de-en's two references; the shipped COCO captions' 5 or 6 (sacrebleu's nrefs:var)."""
    metrics = ["bleu", "chrf", "chrf++"] + (["ter"] if ter else [])
    if SHARED:
        folder = DATA / "translation/wmt21_newstest2021_de-en"
        golden = json.loads((folder / "expected.json").read_text())["systems"][system]["ref-all"]
        data = folder / "test.jsonl"
    else:
        folder = DATA / "captioning/coco_fakecap"
        golden = json.loads((folder / "expected.json").read_text())["systems"][system]["sacrebleu"]["scores"]
        data = write_jsonl(tmp_path / "test.jsonl", [{"id": r["id"], "source": "", "references": r["references"]}
                                                     for r in map(json.loads, (folder / "test.jsonl").open())])
    scores = _run(tmp_path, capsys, _task(tmp_path, "translation", metrics), data,
                  folder / "systems" / f"{system}.jsonl")
    for metric in metrics:
        assert scores[metric] == pytest.approx(golden[metric]["score"], abs=0.01), metric


def test_wmt17_one_reference(tmp_path, capsys):
    folder = DATA / "translation/wmt17_newstest2017_en-de"
    golden = json.loads((folder / "expected.json").read_text())["systems"]["uedin-nmt.4722"]
    # WMT17 has no source text; the predictions model does not need one
    rows = [{**r, "source": r.get("source") or ""} for r in map(json.loads, (folder / "test.jsonl").open())]
    data = write_jsonl(tmp_path / "test.jsonl", rows)
    scores = _run(tmp_path, capsys, _task(tmp_path, "translation", ["bleu", "chrf", "ter"]), data,
                  folder / "systems/uedin-nmt.4722.jsonl")
    for metric in ("bleu", "chrf", "ter"):
        assert scores[metric] == pytest.approx(golden[metric]["score"], abs=0.01), metric


@pytest.mark.parametrize("system", ["t5_out_11B" if SHARED else "t5_out_large", "ptr_generator_out_pointer_gen_cov"])
def test_realsumm_rouge(tmp_path, capsys, system):
    folder = DATA / "summarization/realsumm_cnndm100"
    golden = json.loads((folder / "expected.json").read_text())["systems"][system]
    task = _task(tmp_path, "summarization", ["rouge1", "rouge2", "rougeL", "rougeLsum"])
    canonical = _run(tmp_path, capsys, task, folder / "test.jsonl", folder / f"systems/{system}.jsonl")
    # REALSumm scored each system against its own copy of the reference
    rows = [json.loads(l) for l in (folder / f"systems/{system}.jsonl").open()]
    own = write_jsonl(tmp_path / "own.jsonl", [{"id": r["id"], "source": "-", "references": [r["reference"]]}
                                               for r in rows])
    own_scores = _run(tmp_path, capsys, task, own, folder / f"systems/{system}.jsonl")
    for metric in ("rouge1", "rouge2", "rougeL", "rougeLsum"):
        want = golden["vs_canonical_reference_stemmed"][metric]["f"] * 100
        assert canonical[metric] == pytest.approx(want, abs=1e-4), metric
        want = golden["vs_own_reference_stemmed"][metric]["f"] * 100
        assert own_scores[metric] == pytest.approx(want, abs=1e-4), metric


@pytest.mark.parametrize("folder, system", [("coco_fakecap", "fakecap")] + ([("magic_flickr30k", "magic")] if SHARED else []))
def test_coco_captioning(tmp_path, capsys, folder, system):
    folder = DATA / "captioning" / folder
    golden = json.loads((folder / "expected.json").read_text())["systems"][system]
    preds = [json.loads(l) for l in (folder / f"systems/{system}.jsonl").open()]
    covered = {str(p["id"]) for p in preds}
    # captions need an input; the image files are not shipped, the predictions model never opens them
    rows = [{"id": r["id"], "image": r.get("file_name") or str(r["id"]), "references": r["references"]}
            for r in map(json.loads, (folder / "test.jsonl").open()) if str(r["id"]) in covered]
    data = write_jsonl(tmp_path / "test.jsonl", rows)
    names = {"cider": "CIDEr", "coco_bleu1": "Bleu_1", "coco_bleu4": "Bleu_4", "coco_rougeL": "ROUGE_L"}
    scores = _run(tmp_path, capsys, _task(tmp_path, "captioning", list(names)), data,
                  folder / f"systems/{system}.jsonl")
    for ours, theirs in names.items():
        assert scores[ours] == pytest.approx(golden[theirs] * 100, abs=1e-4), ours


def _rouge_lsum_after_the_tasks_steps(folder, system):
    """rouge-score's mean rougeLsum F of ``system`` after cnn-dailymail's postprocess steps."""
    refs = {r["id"]: r["references"][0] for r in map(json.loads, (folder / "test.jsonl").open())}
    scorer = RougeScorer(["rougeLsum"], use_stemmer=True)
    scores = []
    for row in map(json.loads, (folder / f"systems/{system}.jsonl").open()):
        text = POSTPROCESS["sentences_to_lines"](POSTPROCESS["strip"](row["prediction"]))
        scores.append(scorer.score(refs[row["id"]], text)["rougeLsum"].fmeasure)
    return 100 * sum(scores) / len(scores)


@pytest.mark.parametrize("postprocess, rouge_lsum", [
    (None, 39.4906),  # rouge-score on the file as written (expected.json, vs the canonical reference)
    ("task", 39.4721),  # cnn-dailymail's sentences_to_lines re-splits sentences already one per line
] if SHARED else [(None, None), ("task", None)])  # the shipped subset's: from rouge-score below
def test_realsumm_predictions_are_scored_as_written(tmp_path, capsys, postprocess, rouge_lsum):
    folder = DATA / "summarization/realsumm_cnndm100"
    system = "presumm_out_abs" if SHARED else "t5_out_large"
    golden = json.loads((folder / "expected.json").read_text())["systems"][system]
    if rouge_lsum is None:
        rouge_lsum = golden["vs_canonical_reference_stemmed"]["rougeLsum"]["f"] * 100 if postprocess is None \
            else _rouge_lsum_after_the_tasks_steps(folder, system)
    args = ["run", "--model", f"predictions:{folder / f'systems/{system}.jsonl'}",
            "--tasks", "cnn-dailymail", "--data", str(folder / "test.jsonl"),
            "--output", str(tmp_path / "out"), "--json", "--bootstrap", "0"]
    code = main(args + (["--postprocess", postprocess] if postprocess else []))
    out = capsys.readouterr()
    assert code == 0, out.err
    record = json.loads(out.out)
    assert record["scores"]["rougeLsum"]["score"] == pytest.approx(rouge_lsum, abs=5e-5)
    if postprocess is None:
        assert record["postprocess"] == []
        want = golden["vs_canonical_reference_stemmed"]["rougeLsum"]["f"] * 100
        assert record["scores"]["rougeLsum"]["score"] == pytest.approx(want, abs=1e-9)
    else:
        assert record["postprocess"] == ["strip", "sentences_to_lines"]
