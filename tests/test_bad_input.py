"""Bad input fails with the file and line (or example id) and a non-zero exit, never a silent drop."""
import json

import pytest

from conftest import run_cli, write_jsonl
from harness.errors import DataError
from harness.task import get_task
from harness.types import Example, GenerateConfig, InputKind

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
    # no input at all is fine for scoring predictions; a model reading the source refuses it
    (['{"id": "a", "references": ["y"]}'], ":1: example 'a' has no 'source'"),
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


REFS_ONLY = [{"id": "a", "references": ["The house is small."]},
             {"id": "b", "references": ["The dog barks.", "A dog is barking."]}]


def _refs_task(tmp_path):
    task = tmp_path / "refs-only.yaml"
    task.write_text("name: refs-only\nfamily: translation\nsource: {path: unused.jsonl}\n"
                    "metrics: [bleu, chrf]\n")
    return task


def test_predictions_are_scored_against_references_alone(tmp_path):
    refs = write_jsonl(tmp_path / "refs.jsonl", REFS_ONLY)
    preds = write_jsonl(tmp_path / "preds.jsonl", [
        {"id": "a", "prediction": "The house is small."}, {"id": "b", "prediction": "A dog barks."}])
    proc = run_cli("run", "--model", f"predictions:{preds}", "--tasks", str(_refs_task(tmp_path)),
                   "--data", str(refs), "--output", str(tmp_path / "out"), "--json", "--bootstrap", "0")
    assert proc.returncode == 0, proc.stderr
    import sacrebleu
    expected = sacrebleu.corpus_bleu(["The house is small.", "A dog barks."],
                                     [["The house is small.", "The dog barks."],
                                      [None, "A dog is barking."]]).score
    assert json.loads(proc.stdout)["scores"]["bleu"]["score"] == \
        pytest.approx(expected, abs=1e-9)


def test_a_model_reading_the_source_names_the_example_and_suggests_predictions(tmp_path):
    refs = write_jsonl(tmp_path / "refs.jsonl", REFS_ONLY)
    proc = run_cli("run", "--model", "copy-source", "--tasks", str(_refs_task(tmp_path)),
                   "--data", str(refs), "--output", str(tmp_path / "out"))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert f"{refs}:1: example 'a' has no 'source'" in proc.stderr
    assert "--model predictions:" in proc.stderr


@pytest.mark.parametrize("kind, example, missing", [
    (InputKind.SOURCE, Example("a", ("r",), image="/x.png", origin="d.jsonl:3"), "'source'"),
    (InputKind.PROMPT, Example("a", ("r",), image="/x.png", origin="d.jsonl:3"), "'source'"),
    (InputKind.IMAGE, Example("a", ("r",), source="text", origin="d.jsonl:3"), "'image'"),
])
def test_requests_refuse_an_example_without_the_input_the_model_reads(kind, example, missing):
    task = get_task("demo-translation")
    with pytest.raises(DataError, match=f"^d.jsonl:3: example 'a' has no {missing}.*predictions:"):
        task.requests([example], kind, GenerateConfig())
    assert task.requests([example], InputKind.NONE, GenerateConfig())[0].prompt is None
