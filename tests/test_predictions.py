"""A predictions file is read like a data file: every row under its own id, or an error
naming the file and line."""
import pytest

from conftest import run_cli, write_jsonl
from harness.errors import DataError
from harness.models.predictions import Predictions


@pytest.mark.parametrize("row, message", [
    ({"id": None, "prediction": "x"}, ":2: missing id"),
    ({"prediction": "x"}, ":2: missing id"),
    ({"id": "", "prediction": "x"}, ":2: missing id"),
    ({"id": True, "prediction": "x"}, ":2: id must be a string or an integer, got bool True"),
    ({"id": 1.5, "prediction": "x"}, ":2: id must be a string or an integer, got float 1.5"),
    ({"id": ["a"], "prediction": "x"}, ":2: id must be a string or an integer, got list"),
    ({"id": "b"}, ":2: missing string field 'prediction'"),
    ({"id": "a", "prediction": "y"}, ":2: duplicate id 'a' (first at "),
])
def test_bad_rows_name_file_and_line(tmp_path, row, message):
    path = write_jsonl(tmp_path / "preds.jsonl", [{"id": "a", "prediction": "x"}, row])
    with pytest.raises(DataError) as error:
        Predictions(str(path))
    assert f"{path}{message}" in str(error.value)


@pytest.mark.parametrize("value, key", [("a", "a"), (7, "7"), (0, "0")])
def test_string_and_integer_ids_are_kept(tmp_path, value, key):
    path = write_jsonl(tmp_path / "preds.jsonl", [{"id": value, "prediction": "x"}])
    assert Predictions(str(path)).texts == {key: "x"}


def test_null_id_is_refused_by_the_command(tmp_path):
    data = write_jsonl(tmp_path / "data.jsonl", [
        {"id": "None", "source": "x", "references": ["y"]}])
    preds = write_jsonl(tmp_path / "preds.jsonl", [{"id": None, "prediction": "y"}])
    proc = run_cli("run", "--model", f"predictions:{preds}", "--tasks", "demo-translation",
                   "--data", str(data), "--output", str(tmp_path / "out"), "--no-progress")
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert f"{preds}:1: missing id" in proc.stderr and "Traceback" not in proc.stderr
