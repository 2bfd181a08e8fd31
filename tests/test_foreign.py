"""Other harnesses' outputs scored as predictions. The files were written by the tools
themselves (scripts/make_foreign_fixtures.sh: lm-eval 0.4.13, inspect_ai 0.3.285, lighteval
0.13.0 on a tiny GPT-2, over the first 12 segments of WMT17 en-de), and each tool scored them
with its own sacrebleu call; `harness run` must reproduce those numbers where the metric is the
same."""
import json
from pathlib import Path

import pytest

from conftest import REPO, run_main, write_jsonl
from harness.errors import DataError
from harness.models import foreign
from harness.models.predictions import Predictions

FIXTURES = REPO / "tests" / "data" / "foreign"
DATA = REPO / "tests" / "data" / "conformance" / "translation" / "wmt17_newstest2017_en-de" / "test.jsonl"
LM_EVAL = next((FIXTURES / "lm-eval").glob("samples_*.jsonl"))
LIGHTEVAL = next((FIXTURES / "lighteval" / "details").rglob("details_*.parquet"))
INSPECT_EVAL, INSPECT_JSON = FIXTURES / "inspect" / "wmt17_head.eval", FIXTURES / "inspect" / "wmt17_head.json"
NEEDS = {"lighteval": "pyarrow", "inspect": "zstandard"}  # the `foreign` extra

# (file, format, examples, the tool's own numbers as it reported them, ours where they differ)
CASES = [
    # lm-eval's results_<date>.json: bleu, chrf and ter call sacrebleu's corpus_* defaults
    (LM_EVAL, "lm-eval", 12, {"bleu": 64.85378640220661, "chrf": 73.43678098169092,
                              "ter": 32.78688524590164}, {}),
    # inspect's log header: the task's own scorer calls sacrebleu.corpus_bleu/corpus_chrf
    (INSPECT_EVAL, "inspect", 12, {"bleu": 0.9989792294928513, "chrf": 14.149117032753011}, {}),
    (INSPECT_JSON, "inspect", 3, {"bleu": 1.6273189711262068, "chrf": 17.338548786091575}, {}),
    # lighteval's results_<date>.json. Its BLEU agrees; its chrF and TER pass each document's
    # references as one reference stream, so sacrebleu scores the first output alone against
    # 12 references: 4.2756 and 39.34. Ours equal sacrebleu on the transposed references
    # (corpus_chrf(preds, [refs]) = 14.1491, corpus_ter = 97.95), and inspect's chrF of the same
    # greedy outputs (both tools prompt through the chat template) is 14.1491 as well.
    (LIGHTEVAL, "lighteval", 12, {"bleu": 0.9989792294928513, "chrf": 4.275612862992222,
                                  "ter": 39.344262295081975},
     {"chrf": 14.149117032753011, "ter": 97.95081967213115}),
]


def _needs(fmt: str) -> None:
    if fmt in NEEDS:
        pytest.importorskip(NEEDS[fmt], reason=f"pip install 'harness[foreign]' reads {fmt} files")


@pytest.mark.parametrize("path, fmt, n, theirs, ours_differ", CASES, ids=lambda x: getattr(x, "name", None))
def test_rescoring_reproduces_the_tools_own_numbers(capsys, tmp_path, path, fmt, n, theirs, ours_differ):
    _needs(fmt)
    rc, out, err = run_main(capsys, "run", "--model", f"predictions:{path}", "--tasks", "translation",
                            "--data", str(DATA), "-l", "en-de", "--limit", str(n), "--bootstrap", "0",
                            "--metrics", ",".join(theirs), "--output", str(tmp_path), "--json")
    assert rc == 0, err
    record = json.loads(out)
    assert record["model"]["runtime"] == {"format": fmt, "reported": theirs}
    assert record["n_scored"] == n
    ours = {name: score["score"] for name, score in record["scores"].items()}
    assert ours == pytest.approx({**theirs, **ours_differ}, abs=1e-9)


def test_the_table_shows_the_tools_numbers_beside_ours(capsys, tmp_path):
    _needs("lighteval")
    rc, out, err = run_main(capsys, "run", "--model", f"predictions:{LIGHTEVAL}", "--tasks", "translation",
                            "--data", str(DATA), "-l", "en-de", "--limit", "12", "--bootstrap", "0",
                            "--metrics", "bleu,chrf", "--output", str(tmp_path), "--predictions-format", "lighteval")
    assert rc == 0, err
    assert "lighteval reported bleu 1.00 (here 1.00), chrf 4.28 (here 14.15), ter 39.34\n" in out


@pytest.mark.parametrize("path, fmt", [(LM_EVAL, "lm-eval"), (LIGHTEVAL, "lighteval"), (INSPECT_EVAL, "inspect"),
                                       (INSPECT_JSON, "inspect"), (DATA, None)], ids=lambda x: getattr(x, "name", x))
def test_the_format_is_detected_from_the_content(path, fmt):
    assert foreign.detect(path) == fmt


def test_ids_are_the_documents_not_the_rows():
    # lighteval writes its rows in its own order: the first row is segment 7, matched by its id
    _needs("lighteval")
    outputs = foreign.read(LIGHTEVAL, "lighteval", foreign.Selection())
    assert outputs[0].example_id == "7" and sorted(int(o.example_id) for o in outputs) == list(range(12))


def _lm_eval_rows() -> list[dict]:
    return [json.loads(line) for line in LM_EVAL.read_text(encoding="utf-8").splitlines()]


@pytest.mark.parametrize("change, message", [
    (lambda r: r.pop("filtered_resps"), ":2: not an lm-eval sample: no 'filtered_resps' field"),
    (lambda r: r.update(filtered_resps=[0.5]), ":2: 'filtered_resps' is not a list of generated texts"),
    (lambda r: r.update(doc_id=0, doc={}), ":2: duplicate id '0' (first at "),
])
def test_bad_lm_eval_rows_name_file_and_line(tmp_path, change, message):
    rows = _lm_eval_rows()[:2]
    change(rows[1])
    path = write_jsonl(tmp_path / "samples_x_2026-01-01T00-00-00.0.jsonl", rows)
    with pytest.raises(DataError) as error:
        Predictions(str(path), format="lm-eval")
    assert f"{path}{message}" in str(error.value)


def test_two_filters_ask_which(tmp_path):
    rows = _lm_eval_rows()[:1]
    path = write_jsonl(tmp_path / "samples.jsonl", rows + [{**rows[0], "filter": "strict-match"}])
    with pytest.raises(DataError, match="filters none, strict-match; choose one with --model-args filter=NAME"):
        Predictions(str(path))
    assert Predictions(str(path), filter="strict-match").texts == {"0": rows[0]["filtered_resps"][0]}


def test_references_that_differ_from_the_tasks_stop_the_run(capsys, tmp_path):
    # the same references under shifted ids: the file's ids name other documents
    rows = [json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines()][:12]
    data = write_jsonl(tmp_path / "shifted.jsonl", [{**r, "id": (r["id"] + 1) % 12} for r in rows])
    args = ("run", "--model", f"predictions:{LM_EVAL}", "--tasks", "translation", "--data", str(data),
            "-l", "en-de", "--bootstrap", "0", "--metrics", "bleu", "--output", str(tmp_path / "out"))
    rc, _, err = run_main(capsys, *args)
    # the data's first example is now id 1, whose line in the lm-eval file holds segment 1
    assert rc == 2 and f"{LM_EVAL}:2: id '1': the lm-eval file's reference 'Ein 28-jähriger Koch," in err
    assert "check_references=false" in err and "Traceback" not in err
    rc, _, err = run_main(capsys, *args, "--model-args", "check_references=false")
    assert rc == 0, err


def test_inspect_epochs_and_formats_are_checked(capsys, tmp_path):
    _needs("inspect")
    with pytest.raises(DataError, match="no sample of epoch 2; the log holds epochs 1: choose one"):
        Predictions(str(INSPECT_EVAL), epoch="2")
    rc, _, err = run_main(capsys, "run", "--model", "lead-3", "--tasks", "cnn-dailymail",
                          "--predictions-format", "inspect")
    assert rc == 2 and "--predictions-format reads a file of existing outputs" in err
    broken = tmp_path / "broken.eval"
    broken.write_bytes(INSPECT_EVAL.read_bytes()[:2000])
    with pytest.raises(DataError, match=f"{broken}: not a readable inspect_ai .eval log"):
        Predictions(str(broken))


def test_score_takes_them_beside_a_reference_file(capsys, tmp_path):
    # `harness score` reads each -i as `run` does; the first 12 segments are the reference file
    for fmt in NEEDS:
        _needs(fmt)
    refs = tmp_path / "head12.jsonl"
    refs.write_text("".join(DATA.read_text(encoding="utf-8").splitlines(True)[:12]), encoding="utf-8")
    rc, out, err = run_main(capsys, "score", "-r", str(refs), "-i", str(LM_EVAL), str(INSPECT_EVAL), str(LIGHTEVAL),
                            "-l", "en-de", "-m", "bleu", "--bootstrap", "0", "--output", str(tmp_path / "out"), "--json")
    assert rc == 0, err
    records = json.loads(out)
    assert [(r["model"]["runtime"]["format"], round(r["scores"]["bleu"]["score"], 4)) for r in records] == \
        [("lm-eval", 64.8538), ("inspect", 0.999), ("lighteval", 0.999)]
    rc, out, err = run_main(capsys, "score", "-r", str(refs), "-i", str(LIGHTEVAL), "-l", "en-de", "-m", "chrf",
                            "--bootstrap", "0", "--output", str(tmp_path / "out"))
    assert rc == 0 and "head12: lighteval reported bleu 1.00, chrf 4.28 (here 14.15), ter 39.34\n" in out
