"""Data files: every bad file is one clear error naming file:line, exit 2, no traceback; every
accepted file is read exactly as the README documents (nothing dropped, renumbered or altered).

Each row is a file's bytes and the message fragment the run must print; the fragments are the
documented errors of ``harness.data``.
"""
import codecs
import json

import pytest

from conftest import run_main as run
from harness import data
from harness.errors import DataError

HEADER = "id\tsource\treferences\n"




def run_data(capsys, tmp_path, path):
    return run(capsys, "run", "--model", "copy-source", "--tasks", "demo-translation", "--data",
               str(path), "--output", str(tmp_path / "out"), "--metrics", "bleu", "--bootstrap", "0",
               "--no-progress", "--json")


J = lambda **row: json.dumps(row, ensure_ascii=False)  # noqa: E731
GOOD = J(id="a", source="Das Haus", references=["The house"])

# (file name, content as bytes, line, message fragment)
BAD_FILES = [
    # encodings
    ("latin1.jsonl", (GOOD + "\n" + J(id="b", source="café", references=["x"])).encode("latin-1"),
     2, "not UTF-8 (byte 0xe9"),
    ("utf16.jsonl", (GOOD + "\n").encode("utf-16"), 1, "the file is UTF-16"),
    ("utf16le.jsonl", (GOOD + "\n").encode("utf-16-le"), 1, "NUL byte"),
    ("utf16.tsv", (HEADER + "a\tx\ty\n").encode("utf-16"), 1, "the file is UTF-16"),
    ("latin1.csv", "id,source,references\na,café,y\n".encode("latin-1"), 2, "not UTF-8"),
    ("surrogate.jsonl", (GOOD + '\n{"id": "b", "source": "x\\ud800", "references": ["y"]}\n').encode(),
     2, "lone surrogate"),
    ("surrogate-ref.jsonl", b'{"id": "b", "source": "x", "references": ["\\udfff"]}\n', 1,
     "lone surrogate"),
    # empty, null and mistyped values
    ("empty-ref.jsonl", J(id="a", source="x", references=[""]).encode(), 1, "reference 1 is empty"),
    ("blank-ref.jsonl", J(id="a", source="x", references=["ok", "  "]).encode(), 1,
     "reference 2 is empty"),
    ("null-refs.jsonl", J(id="a", source="x", references=None).encode(), 1, "'references' (field 'references') is null"),
    ("int-ref.jsonl", J(id="a", source="x", references=[1]).encode(), 1, "reference 1 is not a string"),
    ("no-id.jsonl", (GOOD + "\n" + J(source="x", references=["y"])).encode(), 2, "missing id"),
    ("null-id.jsonl", J(id=None, source="x", references=["y"]).encode(), 1, "missing id"),
    ("empty-id.jsonl", J(id="", source="x", references=["y"]).encode(), 1, "missing id"),
    ("dict-id.jsonl", J(id={"a": 1}, source="x", references=["y"]).encode(), 1,
     "id (field 'id') must be a string or an integer"),
    ("bool-id.jsonl", J(id=True, source="x", references=["y"]).encode(), 1, "must be a string or an integer"),
    ("dict-source.jsonl", J(id="a", source={"de": "x"}, references=["y"]).encode(), 1,
     "'source' (field 'source') must be a string, got dict"),
    ("list-source.jsonl", J(id="a", source=["x"], references=["y"]).encode(), 1, "must be a string, got list"),
    ("file-url.jsonl", J(id="a", source="x", image="file:///etc/passwd", references=["y"]).encode(), 1,
     "only http:// and https:// URLs are read"),
    ("image-up.jsonl", J(id="a", source="x", image="../../etc/passwd", references=["y"]).encode(), 1,
     "is outside the data file's folder"),
    ("empty-ref.csv", b"id,source,references\na,x,\n", 2, "reference 1 is empty"),
    ("empty-ref.tsv", (HEADER + "a\tx\t\n").encode(), 2, "reference 1 is empty"),
    ("empty-id.tsv", (HEADER + "\tx\ty\n").encode(), 2, "missing id"),
    # structure
    ("fields.tsv", (HEADER + "a\tx\ty\nb\tx\n").encode(), 3, "2 tab-separated fields, but the header has 3"),
    ("tab-in-field.tsv", (HEADER + "a\tx\ty\tz\n").encode(), 2, "TSV is read verbatim"),
    ("unclosed.csv", b'id,source,references\na,"x,y\nb,z,w\n', 3, "not valid CSV (RFC 4180"),
    ("quote-after.csv", b'id,source,references\na,"x"y,z\n', 2, "not valid CSV"),
    ("fields.csv", b"id,source,references\na,x,y,extra\n", 2, "4 comma-separated fields, but the header has 3"),
    ("dup-column.csv", b"id,source,id,references\na,x,b,y\n", 1, "column 'id' appears twice"),
    ("empty-name.tsv", b"id\t\treferences\na\tx\ty\n", 1, "empty column name"),
    ("empty.csv", b"", None, "no examples"),
    ("data.parquet", b"PAR1\x00\x00", None, "cannot read .parquet"),
    ("array.json", b'[{"id": "a", "references": ["y"]}]\n', 1, "expected a JSON object, got list"),
    ("header-only.tsv", HEADER.encode(), None, "no examples"),
    ("blank.jsonl", b"\n\n", None, "no examples"),
    ("dup-key.jsonl", b'{"id": "a", "id": "b", "references": ["y"]}\n', 1, "key 'id' appears twice"),
    ("nan.jsonl", b'{"id": "a", "references": ["y"], "score": NaN}\n', 1, "NaN is not a JSON value"),
    ("dup-id.csv", b"id,source,references\na,x,y\na,z,w\n", 3, "duplicate id 'a'"),
    ("deep.jsonl", b'{"id": "a", "references": ["y"], "x": ' + b"[" * 100000 + b"]" * 100000 + b"}\n", 1,
     "nested too deeply"),
]


@pytest.mark.parametrize("name, content, line, message", BAD_FILES, ids=[r[0] for r in BAD_FILES])
def test_a_bad_data_file_is_one_clear_error(capsys, tmp_path, name, content, line, message):
    path = tmp_path / name
    path.write_bytes(content)
    rc, out, err = run_data(capsys, tmp_path, path)
    where = f"{path}:{line}:" if line else f"{path}:"
    assert rc == 2 and out == "", err
    assert where in err and message in err, err
    assert "Traceback" not in err
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").rglob("run.json"))


def _examples(tmp_path, name, content):
    path = tmp_path / name
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return data.load_file(path)


# (file name, content, expected (id, source, references) per example) -- read as documented
ACCEPTED = [
    # TSV is verbatim: a leading quote is a character, not quoting (4 rows in, 4 examples out)
    ("quotes.tsv", HEADER + 'a\t"Hallo\tHi\nb\tzwei"\tTwo\nc\t"drei"\t"Three"\nd\tvier\tFour\n',
     [("a", '"Hallo', ("Hi",)), ("b", 'zwei"', ("Two",)), ("c", '"drei"', ('"Three"',)),
      ("d", "vier", ("Four",))]),
    ("crlf.tsv", HEADER.replace("\n", "\r\n") + "a\tx\ty\r\n", [("a", "x", ("y",))]),
    # an Excel CSV: a UTF-8 byte-order mark before the header keeps the id column
    ("excel.csv", codecs.BOM_UTF8 + b"id,source,references\r\nk7,x,y\r\nk9,z,w\r\n",
     [("k7", "x", ("y",)), ("k9", "z", ("w",))]),
    ("bom.jsonl", codecs.BOM_UTF8 + GOOD.encode(), [("a", "Das Haus", ("The house",))]),
    # RFC 4180 quoting: commas, doubled quotes and line breaks inside quoted fields
    ("rfc.csv", 'id,source,references\na,"x, ""quoted""","two\nlines"\n',
     [("a", 'x, "quoted"', ("two\nlines",))]),
    # several references: repeated columns (an empty later cell: fewer references) ...
    ("multi.csv", "id,source,references,references\na,x,r1,r2\nb,y,r3,\n",
     [("a", "x", ("r1", "r2")), ("b", "y", ("r3",))]),
    ("multi.tsv", "id\tsource\treferences\treferences\na\tx\tr1\tr2\n", [("a", "x", ("r1", "r2"))]),
    # ... or one cell holding a JSON list; "[laughs]" is not JSON, so it is one reference
    ("json-list.csv", 'id,source,references\na,x,"[""r1"", ""r, 2""]"\nb,y,[laughs]\n',
     [("a", "x", ("r1", "r, 2")), ("b", "y", ("[laughs]",))]),
    ("json-list.tsv", HEADER + 'a\tx\t["r1", "r2"]\n', [("a", "x", ("r1", "r2"))]),
    ("int-id.jsonl", J(id=7, source="x", references=["y"]), [("7", "x", ("y",))]),
    ("pair.jsonl", J(id="a", source="x", references=["\U0001F600"]), [("a", "x", ("\U0001F600",))]),
]


@pytest.mark.parametrize("name, content, expected", ACCEPTED, ids=[r[0] for r in ACCEPTED])
def test_accepted_files_are_read_exactly(tmp_path, name, content, expected):
    examples = _examples(tmp_path, name, content)
    assert [(e.id, e.source, e.references) for e in examples] == expected


def test_a_tsv_with_quotes_is_scored_whole(capsys, tmp_path):
    path = tmp_path / "quotes.tsv"
    path.write_text(ACCEPTED[0][1], encoding="utf-8")
    rc, out, err = run_data(capsys, tmp_path, path)
    assert rc == 0, err
    assert json.loads(out)["task"]["n_examples"] == 4


def test_rows_without_ids_are_numbered_only_when_the_task_says_so(tmp_path):
    path = tmp_path / "d.jsonl"
    path.write_text(J(source="x", references=["y"]) + "\n" + J(source="z", references=["w"]) + "\n")
    with pytest.raises(DataError, match=r"d.jsonl:1: missing id"):
        data.load_file(path)
    numbered = data.load_file(path, {"source": "source", "references": "references"})
    assert [e.id for e in numbered] == ["0", "1"]
