"""The command line: every bad option is a usage error (exit 2, what and how to fix it, no
traceback) found before a model loads; accepted values are recorded as they were used.

The model in most rows is ``hf-seq2seq`` on a folder that does not exist: were it loaded, the
run would fail on it, so an error about the option proves the check came first.
"""
import json
import os

import pytest

from conftest import run_cli, run_main as run, write_jsonl

ROWS = [{"id": "a", "source": "Das Haus ist klein.", "references": ["The house is small."]},
        {"id": "b", "source": "Der Hund bellt.", "references": ["The dog barks."]}]
NO_MODEL = "hf-seq2seq:/no-model-here/never-loaded"  # bench/faults.py: reported with the rest
NEVER_LOADED = "never-loaded"  # an empty folder: it passes the checks, and fails any load




@pytest.fixture
def base(tmp_path):
    data = write_jsonl(tmp_path / "data.jsonl", ROWS)
    (tmp_path / NEVER_LOADED).mkdir()
    return ["run", "--model", f"hf-seq2seq:{tmp_path / NEVER_LOADED}", "--tasks", "demo-translation", "--data", str(data),
            "--output", str(tmp_path / "out"), "--no-progress", "--bootstrap", "0"]


def _replace(args, option, value):
    args = list(args)
    if option in args:
        args[args.index(option) + 1] = value
    else:
        args += [option, value]
    return args


# (option, value, message fragment)
BAD_OPTIONS = [
    ("--limit", "0", "--limit: 0 is not a positive integer"),
    ("--limit", "-1", "--limit: -1 is not a positive integer"),
    ("--limit", "abc", "--limit: 'abc' is not an integer"),
    ("--batch-size", "abc", "--batch-size: 'abc' is not an integer; give 'auto'"),
    ("--batch-size", "0", "--batch-size: 0 is not a positive integer"),
    ("--max-batch-tokens", "-5", "--max-batch-tokens: -5 is not a positive integer"),
    ("--bootstrap", "-1", "--bootstrap: -1 is negative"),
    ("--seed", "x", "--seed: 'x' is not an integer"),
    ("--tasks", ",", "--tasks: no task named in ','"),
    ("--tasks", "demo-translaton", "unknown task 'demo-translaton' (did you mean 'demo-translation'"),
    ("--metrics", "bleu,rogue", "unknown metric 'rogue'"),
    ("--postprocess", "strip,frist_line", "unknown step 'frist_line'"),
    ("--metrics", ",", "--metrics: no metric named"),
    ("--data", "", "--data: empty; give a value"),
    ("--output", " ", "--output: empty"),
    ("--cache-dir", "", "--cache-dir: empty"),
    ("--postprocess", ",", "--postprocess: no step in ','"),
    ("--gen-kwargs", "max_new_tokens=99999999999999999999", "max_new_tokens='99999999999999999999': too large"),
    ("--gen-kwargs", "temperature=1e400", "temperature='1e400': not a finite number"),
    ("--data", "/nonexistent/data.jsonl", "/nonexistent/data.jsonl: no such file"),
    ("--data", "/tmp", "/tmp: not a file"),
    ("--data", "/etc/hostname", "cannot read a file without a suffix"),
    ("--model", "hf-seq3seq:x", "hf-seq3seq"),
    ("--gen-kwargs", "num_beams=0", "num_beams=0: must be at least 1"),
    ("--gen-kwargs", "num_beams=-2", "num_beams=-2: must be at least 1"),
    ("--gen-kwargs", "num_beams=2.5", "num_beams='2.5': not an integer"),
    ("--gen-kwargs", "temperature=abc", "temperature='abc': not a number"),
    ("--gen-kwargs", "temperature=nan", "temperature='nan': not a finite number"),
    ("--gen-kwargs", "do_sample=true,temperature=0", "temperature=0.0: must be greater than 0 when sampling"),
    ("--gen-kwargs", "do_sample=maybe", "do_sample='maybe': not a boolean"),
    ("--gen-kwargs", "top_p=5", "top_p=5.0: must be greater than 0 and at most 1"),
    ("--gen-kwargs", "top_p=0", "top_p=0.0: must be greater than 0"),
    ("--gen-kwargs", "top_k=-1", "top_k=-1: must be 0 (no limit) or more"),
    ("--gen-kwargs", "max_new_tokens=0", "max_new_tokens=0: must be at least 1"),
    ("--gen-kwargs", "max_new_tokens=-1", "max_new_tokens=-1: must be at least 1"),
    ("--gen-kwargs", "max_new_tokens=abc", "max_new_tokens='abc': not an integer"),
    ("--gen-kwargs", "max_new_tokens=2.5", "max_new_tokens='2.5': not an integer"),
    ("--gen-kwargs", "max_new_tokens=8,min_new_tokens=9", "min_new_tokens=9: must be between 0 and max_new_tokens (8)"),
    ("--gen-kwargs", "repetition_penalty=0", "repetition_penalty=0.0: must be greater than 0"),
    ("--gen-kwargs", "stop=[a", "--gen-kwargs: unclosed bracket"),
    ("--gen-kwargs", "stop=[1]", "stop='[1]': not a string or a list of strings"),
    ('--gen-kwargs', 'stop=[""]', "an empty stop string"),
    ("--gen-kwargs", "numbeams=2", "unknown generation setting 'numbeams' (did you mean 'num_beams'?)"),
    ("--gen-kwargs", "num_beams", "--gen-kwargs: expected key=value"),
    ("--gen-kwargs", "num_beams=1,num_beams=2", "'num_beams' is given twice"),
    ("--gen-kwargs", "stop=!!python/object/apply:os.system [\"echo pwned\"]", "YAML tags are not read"),
    ("--gen-kwargs", "max_new_tokens=!!int 3", "YAML tags are not read"),
    ("--model-args", "x=!!python/name:os.system", "YAML tags are not read"),
]


@pytest.mark.parametrize("option, value, message", BAD_OPTIONS,
                         ids=[f"{o}={v}" for o, v, _ in BAD_OPTIONS])
def test_a_bad_option_is_a_usage_error_before_the_model_loads(capsys, base, option, value, message):
    rc, out, err = run(capsys, *_replace(base, option, value))
    assert rc == 2 and out == "", err
    assert message in err, err
    assert "never-loaded" not in err  # the model was not loaded
    assert "Traceback" not in err


@pytest.mark.parametrize("option, make, message", [
    ("--output", lambda p: p / "a-file", "--output {}: is a file, not a folder"),
    ("--cache-dir", lambda p: p / "a-file", "--cache-dir {}: is a file, not a folder"),
    ("--output", lambda p: p / "a-file" / "below", "--output {}: cannot write there"),
    ("--cache-dir", lambda p: p / "a-file" / "below", "--cache-dir {}: cannot write there"),
])
def test_output_and_cache_folders_are_checked_first(capsys, base, tmp_path, option, make, message):
    (tmp_path / "a-file").write_text("not a folder")
    folder = make(tmp_path)
    rc, out, err = run(capsys, *_replace(base, option, str(folder)))
    assert rc == 2 and message.format(folder) in err and "Traceback" not in err, err


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_output_folder_is_refused_first(capsys, base, tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    rc, out, err = run(capsys, *_replace(base, "--output", str(folder)))
    assert rc == 2 and f"--output {folder}: cannot write there" in err


def test_every_problem_is_reported_at_once(capsys, base, tmp_path):
    (tmp_path / "a-file").write_text("x")
    args = _replace(_replace(_replace(base, "--tasks", "demo-translation,nope"), "--metrics", "rogue"),
                    "--gen-kwargs", "num_beams=0,top_p=5")
    rc, out, err = run(capsys, *_replace(args, "--output", str(tmp_path / "a-file")))
    assert rc == 2 and "nothing was run; fix these first:" in err
    for fragment in ("unknown task 'nope'", "num_beams=0", "top_p=5.0", "unknown metric 'rogue'",
                     "is a file, not a folder"):
        assert fragment in err, err


def test_a_bad_data_file_is_reported_before_the_model_loads(capsys, base, tmp_path):
    (tmp_path / "data.jsonl").write_text('{"id": "a", "references": [""]}\n')
    rc, out, err = run(capsys, *base)
    assert rc == 2 and "data.jsonl:1: reference 1 is empty" in err and "never-loaded" not in err


def test_a_list_with_commas_reaches_the_record(capsys, tmp_path):
    data = write_jsonl(tmp_path / "data.jsonl", ROWS)
    rc, out, err = run(capsys, "run", "--model", "copy-source", "--tasks", "demo-translation",
                       "--data", str(data), "--output", str(tmp_path / "out"), "--no-progress",
                       "--bootstrap", "0", "--metrics", "bleu", "--json", "--limit", "1",
                       "--gen-kwargs", 'stop=["a,b","\\n"],num_beams=2,do_sample=off,top_k=5')
    assert rc == 0, err
    record = json.loads(out)
    assert record["generation"]["stop"] == ["a,b", "\n"]
    assert (record["generation"]["num_beams"], record["generation"]["do_sample"],
            record["generation"]["top_k"]) == (2, False, 5)
    assert record["task"]["limit"] == 1 and record["task"]["n_examples"] == 1


def test_an_unreachable_hub_dataset_is_one_line_naming_task_dataset_and_data(tmp_path):
    task = tmp_path / "hub.yaml"
    task.write_text("name: hub-task\nfamily: translation\nsource: {dataset: no-such-org/no-such-set, "
                    "split: test}\nfields: {source: en, references: [de]}\nmetrics: [bleu]\n")
    proc = run_cli("run", "--model", "copy-source", "--tasks", str(task), "--output", str(tmp_path / "o"),
                   env={"HF_DATASETS_OFFLINE": "1", "HF_HUB_OFFLINE": "1",
                        "HF_HOME": str(tmp_path / "hf")})
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, proc.stderr
    assert "task 'hub-task'" in lines[0] and "no-such-org/no-such-set" in lines[0] and "--data" in lines[0]


# (--gen-kwargs as typed in a shell, the settings it must give)
ACCEPTED_GEN_KWARGS = [
    ('stop=["a,b","\\n"]', {"stop": ("a,b", "\n")}),
    ('stop="a,b"', {"stop": ("a,b",)}),
    ('stop="\\n"', {"stop": ("\n",)}),
    ("stop=END", {"stop": ("END",)}),
    ("do_sample=on,temperature=0.7,top_p=1,top_k=0", {"do_sample": True, "temperature": 0.7, "top_k": 0}),
    ("do_sample=0", {"do_sample": False}),
    ("max_new_tokens=8,min_new_tokens=8", {"max_new_tokens": 8, "min_new_tokens": 8}),
    ("num_beams=4,repetition_penalty=1.2", {"num_beams": 4, "repetition_penalty": 1.2}),
]


@pytest.mark.parametrize("text, expected", ACCEPTED_GEN_KWARGS, ids=[t for t, _ in ACCEPTED_GEN_KWARGS])
def test_gen_kwargs_are_read_as_documented(text, expected):
    from harness.cli import parse_kv
    from harness.task import get_task
    config = get_task("demo-translation").generate_config(parse_kv(text, "--gen-kwargs"))
    assert {key: getattr(config, key) for key in expected} == expected
