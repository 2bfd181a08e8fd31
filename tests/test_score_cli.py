"""`harness score`: existing outputs scored with sacrebleu's habits, through the command line.

Expected values come from the sacrebleu command line itself (the oracle, run on the same
files): corpus BLEU, chrF and TER to 4 decimals and every field of their signatures. The
WMT cases read the shared data and skip without it; the small cases are written here.
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO, run_cli, run_main, write_jsonl
from harness.signature import Signature
from harness.testing import shared_data

ENGLISH = {  # two references, empty lines included: an empty line is a segment
    "ref.A.en": ["The cat sat on the mat.", "A dog barked loudly at the mailman.", "",
                 "The weather is nice today.", "He said: \"we'll see.\""],
    "ref.B.en": ["The cat was sitting on the mat.", "A dog barked at the postman.", "Nothing.",
                 "", "He said \"We will see\"."],
    "sys1.en": ["The cat sat on a mat.", "The dog barked loudly at the mailman.", "",
                "The weather is good today.", "He said: \"we will see.\""],
    "sys2.en": ["A cat sits on the mat.", "Dog barks loud.", "x", "Weather nice today.",
                "He says we see."],
}
CHINESE = {  # sacrebleu -l en-zh tokenizes BLEU with tokenize=zh; chrF and TER as always
    "ref.zh": ["我们昨天去了公园。", "今天天气很好，我们出去散步吧。", "他说：“我们明天见。”"],
    "sys.zh": ["我们昨天去公园了。", "今天天气好，出去散步吧。", "他说明天见。"],
}


def write_texts(folder: Path, files: dict[str, list[str]]) -> dict[str, Path]:
    out = {}
    for name, lines in files.items():
        out[name] = folder / name
        out[name].write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return out


def sacrebleu(refs: list[Path], system: Path, *options: str) -> dict[str, dict]:
    """The sacrebleu command line's scores of one system: metric name → its JSON entry."""
    done = subprocess.run([sys.executable, "-m", "sacrebleu", *map(str, refs), "-i", str(system),
                           "-w", "4", *options], capture_output=True, text=True, check=True)
    entries = json.loads(done.stdout)  # one metric: an object; several: a list
    return {e["name"].lower().rstrip("2"): e for e in (entries if isinstance(entries, list) else [entries])}


def harness_score(capsys, *args: str) -> list[dict]:
    rc, out, err = run_main(capsys, "score", *args, "--json", "--bootstrap", "0")
    assert rc == 0, err
    return json.loads(out)


def assert_equals_sacrebleu(record: dict, expected: dict[str, dict]) -> None:
    for metric, oracle in expected.items():
        score = record["scores"][metric]
        assert f"{score['score']:.4f}" == f"{oracle['score']:.4f}", metric
        ours = Signature.parse(score["signature"])
        for field, value in Signature.parse(f"{metric}|{oracle['signature']}").fields:
            assert ours.get(field) == value, f"{metric} {field}: {ours.get(field)} != {value}"


def test_two_reference_files_and_two_systems_equal_sacrebleu(tmp_path, capsys):
    paths = write_texts(tmp_path, ENGLISH)
    refs = [paths["ref.A.en"], paths["ref.B.en"]]
    records = harness_score(capsys, "-r", *map(str, refs), "-i", str(paths["sys1.en"]),
                            str(paths["sys2.en"]), "--name", "one", "two",
                            "--output", str(tmp_path / "out"))
    assert [r["model"]["name"] for r in records] == ["one", "two"]
    for record, system in zip(records, ("sys1.en", "sys2.en")):
        assert record["task"]["n_examples"] == 5 and record["scores"]["bleu"]["signature"].startswith("bleu|nrefs:2|")
        assert_equals_sacrebleu(record, sacrebleu(refs, paths[system], "-m", "bleu", "chrf", "ter"))


def test_positional_references_and_default_names_as_sacrebleu_takes_them(tmp_path):
    paths = write_texts(tmp_path, ENGLISH)
    done = run_cli("score", str(paths["ref.A.en"]), "-i", str(paths["sys1.en"]), str(paths["sys2.en"]),
                   "--output", str(tmp_path / "out"), "--json")
    assert done.returncode == 0, done.stderr
    records = json.loads(done.stdout)
    assert [r["model"]["name"] for r in records] == ["sys1", "sys2"]
    assert records[0]["task"]["name"] == "ref.A" and records[0]["model"]["spec"].startswith("predictions:")
    assert_equals_sacrebleu(records[1], sacrebleu([paths["ref.A.en"]], paths["sys2.en"], "-m", "bleu", "chrf"))


def test_en_zh_chooses_tokenize_zh_as_sacrebleu_l_does(tmp_path, capsys):
    paths = write_texts(tmp_path, CHINESE)
    [record] = harness_score(capsys, "-r", str(paths["ref.zh"]), "-i", str(paths["sys.zh"]),
                             "-l", "en-zh", "--output", str(tmp_path / "out"))
    assert "|tok:zh|" in record["scores"]["bleu"]["signature"]
    assert_equals_sacrebleu(record, sacrebleu([paths["ref.zh"]], paths["sys.zh"], "-l", "en-zh",
                                              "-m", "bleu", "chrf", "ter"))
    # an explicit tokenizer wins over the pair's, as sacrebleu's --tokenize does
    [record] = harness_score(capsys, "-r", str(paths["ref.zh"]), "-i", str(paths["sys.zh"]), "-l",
                             "en-zh", "-m", "bleu:tokenize=char", "--output", str(tmp_path / "out"))
    assert_equals_sacrebleu(record, sacrebleu([paths["ref.zh"]], paths["sys.zh"], "-l", "en-zh",
                                              "-m", "bleu", "-tok", "char"))


def test_the_tokenizer_rule_is_sacrebleus():
    from sacrebleu.metrics.bleu import BLEU
    from harness.task.generic import BLEU_TOKENIZE_FOR_TARGET
    assert BLEU_TOKENIZE_FOR_TARGET == BLEU._TOKENIZER_MAP


@pytest.mark.skipif(__import__("importlib").util.find_spec("MeCab") is not None,
                    reason="MeCab is installed")
def test_en_ja_without_mecab_names_the_extra_before_scoring(tmp_path, capsys):
    paths = write_texts(tmp_path, CHINESE)
    rc, _, err = run_main(capsys, "score", "-r", str(paths["ref.zh"]), "-i", str(paths["sys.zh"]),
                          "-l", "en-ja", "--output", str(tmp_path / "out"))
    assert rc == 2 and "tokenize='ja-mecab'" in err and "pip install 'harness[ja]'" in err
    assert not (tmp_path / "out").exists()


def test_line_count_mismatch_names_every_file_and_scores_nothing(tmp_path, capsys):
    paths = write_texts(tmp_path, {**ENGLISH, "short.en": ["one", "two", "three"]})
    rc, _, err = run_main(capsys, "score", "-r", str(paths["ref.A.en"]), "-i", str(paths["sys1.en"]),
                          str(paths["short.en"]), "--output", str(tmp_path / "out"))
    assert rc == 2 and "5 segments in the references" in err and f"{paths['short.en']} has 3 lines" in err
    assert not (tmp_path / "out").exists()
    rc, _, err = run_main(capsys, "score", "-r", str(paths["ref.A.en"]), str(paths["short.en"]),
                          "-i", str(paths["sys1.en"]), "--output", str(tmp_path / "out"))
    assert rc == 2 and f"{paths['ref.A.en']} 5 lines, {paths['short.en']} 3 lines" in err


def test_names_must_be_one_per_system_and_distinct(tmp_path, capsys):
    paths = write_texts(tmp_path, ENGLISH)
    base = ["score", "-r", str(paths["ref.A.en"]), "-i", str(paths["sys1.en"]), str(paths["sys2.en"]),
            "--output", str(tmp_path / "out")]
    rc, _, err = run_main(capsys, *base, "--name", "only-one")
    assert rc == 2 and "1 names for 2 systems" in err
    rc, _, err = run_main(capsys, *base, "--name", "same", "same")
    assert rc == 2 and "both named 'same'" in err


def test_records_carry_the_datas_name_and_reports_show_the_systems_names(tmp_path, capsys):
    paths = write_texts(tmp_path, ENGLISH)
    out = tmp_path / "out"
    rc, _, err = run_main(capsys, "score", "-r", str(paths["ref.A.en"]), str(paths["ref.B.en"]),
                          "-i", str(paths["sys1.en"]), str(paths["sys2.en"]), "--name", "baseline",
                          "candidate", "--task-name", "toy-en", "--output", str(out))
    assert rc == 0, err
    [run_json] = (out).glob("*sys1.en/toy-en/2*/run.json")
    task = json.loads(run_json.read_text())["task"]
    assert task["name"] == "toy-en" and task["family"] == "translation"
    assert "toy-en" in task["description"] and "WMT" not in task["description"]
    rc, board, err = run_main(capsys, "leaderboard", str(out), "--format", "json")
    assert rc == 0, err
    assert {row["model"] for row in json.loads(board)["rows"]} == {"baseline", "candidate"}
    # the baseline first: folder names start with a hash of the spec, so sorting them would not
    folders = sorted((p.parent.parent for p in out.glob("*/toy-en/2*/run.json")),
                     key=lambda folder: "sys2" in folder.parent.name)
    rc, text, err = run_main(capsys, "compare", *map(str, folders))
    assert rc == 0, err
    assert "baseline: baseline" in text and "candidate" in text
    rc, _, err = run_main(capsys, "score", "-r", str(paths["ref.A.en"]), "-i", str(paths["sys1.en"]),
                          "--task-name", "wmt19-zh-en", "--output", str(out))
    assert rc == 2 and "'wmt19-zh-en' is a registered task" in err


def test_generic_translation_task_with_data_and_a_language_pair(tmp_path, capsys):
    """`harness run --tasks translation --data FILE -l en-zh`: the data's name, tokenize=zh."""
    data = write_jsonl(tmp_path / "wmt22-en-zh.jsonl", [
        {"id": i, "source": f"sentence {i}", "references": [ref]} for i, ref in enumerate(CHINESE["ref.zh"])])
    preds = write_jsonl(tmp_path / "preds.jsonl", [{"id": i, "prediction": p}
                                                   for i, p in enumerate(CHINESE["sys.zh"])])
    rc, out, err = run_main(capsys, "run", "--model", f"predictions:{preds}", "--tasks", "translation",
                            "--data", str(data), "-l", "en-zh", "--output", str(tmp_path / "out"),
                            "--json", "--bootstrap", "0")
    assert rc == 0, err
    record = json.loads(out)
    assert record["task"]["name"] == "wmt22-en-zh" and "en→zh" in record["task"]["description"]
    paths = write_texts(tmp_path, CHINESE)
    assert_equals_sacrebleu(record, sacrebleu([paths["ref.zh"]], paths["sys.zh"], "-l", "en-zh", "-m", "bleu"))
    rc, _, err = run_main(capsys, "run", "--model", f"predictions:{preds}", "--tasks", "wmt19-zh-en",
                          "--data", str(data), "-l", "en-zh", "--output", str(tmp_path / "out"))
    assert rc == 2 and "--language-pair: only for the generic tasks" in err


def _wmt(name: str) -> Path:
    """The shared data's folder, else the subset shipped in tests/data/conformance (WMT17's
    first 150 segments and four systems, online-A.0's byte-order mark included)."""
    data = shared_data()
    for folder in ([data / "translation" / name] if data else []) \
            + [REPO / "tests" / "data" / "conformance" / "translation" / name]:
        if folder.is_dir():
            return folder
    pytest.skip(f"the shared WMT data is not here ({name})")


def _as_text(folder: Path, tmp_path: Path, systems: list[str],
             head: int | None = None) -> tuple[list[Path], list[Path]]:
    """The shared JSONL as the plain text files sacrebleu reads, written under tmp_path (its
    first ``head`` segments only, when given)."""
    rows = [json.loads(line) for line in (folder / "test.jsonl").open(encoding="utf-8")][:head]
    refs = []
    for k in range(len(rows[0]["references"])):
        refs.append(tmp_path / f"ref.{k}")
        refs[-1].write_text("".join(r["references"][k] + "\n" for r in rows), encoding="utf-8")
    outs = []
    for name in systems:
        by_id = {str(r["id"]): r["prediction"] for r in map(json.loads, (folder / "systems" / f"{name}.jsonl").open(encoding="utf-8"))}
        outs.append(tmp_path / f"{name}.txt")
        outs[-1].write_text("".join(by_id[str(r["id"])] + "\n" for r in rows), encoding="utf-8")
    return refs, outs


def test_wmt_references_equal_sacrebleu(tmp_path, capsys):
    """WMT21 de-en with its two references where the shared data is, else the shipped WMT17
    en-de subset: plain text and the project's JSONL both score as sacrebleu does."""
    data = shared_data()
    wmt21 = data / "translation" / "wmt21_newstest2021_de-en" if data else None
    if wmt21 is not None and wmt21.is_dir():
        folder, systems, pair = wmt21, ["Facebook-AI", "UEdin"], "de-en"
    else:
        folder, systems, pair = _wmt("wmt17_newstest2017_en-de"), ["FBK.4870", "uedin-nmt.4722"], "en-de"
    refs, texts = _as_text(folder, tmp_path, systems)
    records = harness_score(capsys, "-r", *map(str, refs), "-i", *map(str, texts), "-l", pair,
                            "-m", "bleu", "chrf", "--output", str(tmp_path / "out"))
    assert [r["model"]["name"] for r in records] == systems
    for record, text in zip(records, texts):
        assert_equals_sacrebleu(record, sacrebleu(refs, text, "-l", pair, "-m", "bleu", "chrf"))
    # the project's own formats: the data file and its predictions files score the same
    records_jsonl = harness_score(capsys, "-r", str(folder / "test.jsonl"), "-i",
                                  *(str(folder / "systems" / f"{s}.jsonl") for s in systems),
                                  "-m", "bleu", "chrf", "--output", str(tmp_path / "out2"))
    for a, b in zip(records, records_jsonl):
        assert a["scores"]["bleu"]["score"] == b["scores"]["bleu"]["score"]


def test_wmt17_en_de_plain_text_with_a_byte_order_mark_equals_sacrebleu(tmp_path, capsys):
    """online-A.0 starts with U+FEFF, as submitted; sacrebleu keeps it, and so do we."""
    folder = _wmt("wmt17_newstest2017_en-de")
    refs, texts = _as_text(folder, tmp_path, ["online-A.0", "uedin-nmt.4722"])
    assert texts[0].read_text(encoding="utf-8").startswith("\ufeff")
    records = harness_score(capsys, "-r", str(refs[0]), "-i", *map(str, texts), "-m", "bleu", "chrf",
                            "--output", str(tmp_path / "out"))
    for record, text in zip(records, texts):
        assert_equals_sacrebleu(record, sacrebleu(refs, text, "-m", "bleu", "chrf"))
    # TER on 500 segments: sacrebleu's own TER takes half a minute on all 3,004
    (tmp_path / "head").mkdir()
    refs, texts = _as_text(folder, tmp_path / "head", ["online-A.0", "uedin-nmt.4722"], head=500)
    [record] = harness_score(capsys, "-r", str(refs[0]), "-i", str(texts[1]), "-m", "ter",
                             "--output", str(tmp_path / "out"))
    assert_equals_sacrebleu(record, sacrebleu(refs, texts[1], "-m", "ter"))
