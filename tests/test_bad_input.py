"""Bad input fails with the file and line (or example id) and a non-zero exit, never a silent drop."""
import json

import pytest

from conftest import run_cli, write_jsonl

GOOD = [{"id": "a", "source": "Das Haus ist klein.", "references": ["The house is small."]},
        {"id": "b", "source": "Der Hund bellt.", "references": ["The dog barks."]}]


def _run(tmp_path, data, preds=None, model="copy-source"):
    args = ["run", "--tasks", "demo-translation", "--data", str(data), "--output", str(tmp_path / "out"),
            "--metrics", "bleu", "--bootstrap", "0", "--no-progress"]
    if preds is not None:
        model = f"predictions:{preds}"
    return run_cli(*args, "--model", model)


@pytest.mark.parametrize("lines, message", [
    (['{"id": "a", "source": "x", "references": ["y"]}', '{"id": "b", "source": '],
     ":2: malformed JSON"),
    (['{"id": "a", "source": "x"}'], ":1: missing 'references'"),
    (['{"id": "a", "source": "x", "references": []}'], ":1: 'references' is empty"),
    (['{"id": "a", "source": "x", "references": ["y"]}', '{"id": "a", "source": "z", "references": ["w"]}'],
     ":2: duplicate id 'a'"),
    (['{"id": "a", "references": ["y"]}'], "neither a source text nor an image"),
    (['["not", "an", "object"]'], ":1: expected a JSON object"),
])
def test_malformed_data_file(tmp_path, lines, message):
    data = tmp_path / "data.jsonl"
    data.write_text("\n".join(lines) + "\n")
    proc = _run(tmp_path, data)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert f"{data}" in proc.stderr and message in proc.stderr
    assert "Traceback" not in proc.stderr


def test_predictions_missing_an_example(tmp_path):
    data = write_jsonl(tmp_path / "data.jsonl", GOOD)
    preds = write_jsonl(tmp_path / "preds.jsonl", [{"id": "a", "prediction": "The house is small."}])
    proc = _run(tmp_path, data, preds)
    assert proc.returncode == 2
    assert "no prediction for 1 of 2 examples" in proc.stderr and "'b'" in proc.stderr


def test_predictions_with_unknown_or_duplicate_ids(tmp_path):
    data = write_jsonl(tmp_path / "data.jsonl", GOOD)
    preds = write_jsonl(tmp_path / "preds.jsonl", [
        {"id": "a", "prediction": "x"}, {"id": "b", "prediction": "y"}, {"id": "zz", "prediction": "z"}])
    proc = _run(tmp_path, data, preds)
    assert proc.returncode == 2 and f"{preds}:3: id 'zz' is not an example" in proc.stderr
    write_jsonl(preds, [{"id": "a", "prediction": "x"}, {"id": "a", "prediction": "y"}])
    proc = _run(tmp_path, data, preds)
    assert proc.returncode == 2 and f"{preds}:2: duplicate id 'a'" in proc.stderr


def test_json_output_is_only_the_run_record(tmp_path):
    data = write_jsonl(tmp_path / "data.jsonl", GOOD)
    preds = write_jsonl(tmp_path / "preds.jsonl", [
        {"id": "a", "prediction": "The house is small."}, {"id": "b", "prediction": "A dog barks."}])
    proc = run_cli("run", "--model", f"predictions:{preds}", "--tasks", "demo-translation",
                   "--data", str(data), "--output", str(tmp_path / "out"), "--json")
    assert proc.returncode == 0, proc.stderr
    record = json.loads(proc.stdout)
    assert record["schema_version"] == 2
    bleu = record["scores"]["bleu"]
    import sacrebleu
    expected = sacrebleu.corpus_bleu(["The house is small.", "A dog barks."],
                                     [["The house is small.", "The dog barks."]]).score
    assert bleu["score"] == pytest.approx(expected, abs=1e-9)
    assert bleu["signature"].startswith("bleu|nrefs:1|") and "|data:" in bleu["signature"]
    assert record["task"]["data_fingerprint"] and record["model"]["fingerprint"]["weights"]
    folder = tmp_path / "out"
    samples = [json.loads(l) for l in next(folder.rglob("samples.jsonl")).read_text().splitlines()]
    assert [s["id"] for s in samples] == ["a", "b"]
    assert samples[0]["prediction"] == "The house is small." and "bleu" in samples[0]["scores"]
    assert next(folder.rglob("stats/bleu.npy")).is_file()
