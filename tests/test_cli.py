"""The listing commands and user errors of the command line."""
import json
import re
import subprocess
import sys
from pathlib import Path

from conftest import REPO, run_cli, write_jsonl


def test_tasks_lists_real_and_demo_tasks_without_importing_torch():
    code = ("import sys; from harness.cli import main; main(['tasks', '--json']); "
            "print('TORCH' if 'torch' in sys.modules else 'NO-TORCH', file=sys.stderr)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.strip().endswith("NO-TORCH")
    rows = {r["name"]: r for r in json.loads(proc.stdout)}
    for name in ("wmt14-en-de", "cnn-dailymail", "coco-karpathy", "demo-translation",
                 "demo-summarization", "demo-captioning"):
        assert name in rows, name
    assert rows["cnn-dailymail"]["family"] == "summarization"
    assert "bleu" in rows["wmt14-en-de"]["metrics"]


def test_models_and_metrics_listings():
    models = run_cli("models")
    assert models.returncode == 0, models.stderr
    for kind in ("hf-causal", "hf-seq2seq", "hf-vision2seq", "predictions", "lead-3", "copy-source"):
        assert kind in models.stdout
    metrics = run_cli("metrics")
    assert metrics.returncode == 0, metrics.stderr
    for name in ("bleu", "chrf", "ter", "rouge1", "rougeLsum", "cider"):
        assert name in metrics.stdout


def test_unknown_names_suggest_the_closest(tmp_path):
    proc = run_cli("run", "--model", "hf-seq2sq:x", "--tasks", "demo-translation")
    assert proc.returncode == 2
    assert "did you mean 'hf-seq2seq'" in proc.stderr
    proc = run_cli("run", "--model", "copy-source", "--tasks", "demo-translaton",
                   "--output", str(tmp_path))
    assert proc.returncode == 2 and "did you mean 'demo-translation'" in proc.stderr
    proc = run_cli("run", "--model", "copy-source", "--tasks", "demo-translation",
                   "--metrics", "bleu,rogue1", "--output", str(tmp_path))
    assert proc.returncode == 2 and "rouge1" in proc.stderr


def test_task_yaml_errors_name_file_and_line(tmp_path):
    data = write_jsonl(tmp_path / "d.jsonl", [{"id": 1, "source": "a", "references": ["a"]}])
    task = tmp_path / "t.yaml"
    task.write_text(f"name: t\nfamily: translation\nsource:\n  path: {data}\n"
                    "metrics:\n  - bleu\n  - rogue1\n")
    proc = run_cli("run", "--model", "copy-source", "--tasks", str(task), "--output", str(tmp_path))
    assert proc.returncode == 2
    assert f"{task}:7: unknown metric 'rogue1'" in proc.stderr
    assert "did you mean" in proc.stderr


def test_run_prints_table_then_run_folders_and_predictions_have_no_rates(tmp_path):
    data = write_jsonl(tmp_path / "d.jsonl", [{"id": "a", "source": "x", "references": ["The house."]},
                                              {"id": "b", "source": "y", "references": ["A dog."]}])
    preds = write_jsonl(tmp_path / "p.jsonl", [{"id": "a", "prediction": "The house."},
                                               {"id": "b", "prediction": "The dog."}])
    proc = run_cli("run", "--model", f"predictions:{preds}", "--tasks", "demo-translation", "--data",
                   str(data), "--output", str(tmp_path / "out"), "--no-progress", "--bootstrap", "0")
    assert proc.returncode == 0, proc.stderr
    assert "ter ↓" in proc.stdout
    *_, heading, last = proc.stdout.rstrip().splitlines()
    folder = Path(last.strip())
    assert heading == "run folders:" and (folder / "run.json").is_file()
    assert folder.resolve().is_relative_to((tmp_path / "out").resolve())
    assert "demo-translation: 2 examples" in proc.stderr
    assert "ex/s" not in proc.stderr and "tok/s" not in proc.stderr


def test_postprocess_flag_is_recorded_and_checked(tmp_path):
    data = write_jsonl(tmp_path / "d.jsonl", [{"id": "a", "source": "x", "references": ["The house."]}])
    preds = write_jsonl(tmp_path / "p.jsonl", [{"id": "a", "prediction": "  The house.\nmore"}])
    args = ["run", "--model", f"predictions:{preds}", "--tasks", "demo-translation", "--data", str(data),
            "--output", str(tmp_path / "out"), "--bootstrap", "0", "--metrics", "chrf"]
    record = json.loads(run_cli(*args, "--postprocess", "task", "--json").stdout)
    assert record["postprocess"] == ["strip", "first_line"] and record["scores"]["chrf"]["score"] == 100.0
    record = json.loads(run_cli(*args, "--json").stdout)
    assert record["postprocess"] == [] and record["scores"]["chrf"]["score"] < 100.0
    proc = run_cli(*args, "--postprocess", "strip,nope")
    assert proc.returncode == 2 and "--postprocess: unknown step 'nope'" in proc.stderr


COMMANDS = ("tasks", "models", "metrics", "run", "score", "merge", "clean", "demo", "compare", "power", "leaderboard", "sweep",
            "report")


def test_top_level_help_is_for_users_with_examples():
    proc = run_cli("--help")
    assert proc.returncode == 0
    assert "no logic of its own" not in proc.stdout
    assert "Evaluate text generation models" in proc.stdout
    assert "harness run --model hf-seq2seq:t5-small --tasks wmt14-en-de" in proc.stdout
    for command in COMMANDS:
        assert f"\n    {command}" in proc.stdout, command


def _options(parser):
    return [a for a in parser._actions if a.option_strings and a.dest != "help"]


def test_every_option_of_every_command_has_help_and_its_default():
    from harness.cli.parser import _Formatter, build_parser
    parser = build_parser()
    [sub] = [a for a in parser._actions if a.choices and "run" in a.choices]
    assert set(sub.choices) == set(COMMANDS)
    for name, command in sub.choices.items():
        assert "examples:\n  harness " in command.epilog, name
        formatter = _Formatter(f"harness {name}")
        for action in _options(command) + [a for a in command._actions if not a.option_strings]:
            text = action.help or ""
            assert len(text) > 10, (name, action.dest)
            if action.option_strings and isinstance(action.default, (int, float, str)) \
                    and not isinstance(action.default, bool):
                assert "default" in formatter._get_help_string(action), (name, action.dest)


def test_run_help_shows_defaults_and_examples():
    out = run_cli("run", "--help").stdout
    for text in ("--output DIR", "(default: results)", "--no-progress", "no progress bar",
                 "(default: 12345)", "(default: 1000)", "bleu:tokenize=zh", "examples:"):
        assert text in out, text


WIDE = {"COLUMNS": "400"}


def test_models_list_every_option_with_type_default_and_help():
    from harness.options import describe_options
    from harness.registry import models
    out = run_cli("models", env=WIDE).stdout  # one line per option
    assert "hf-seq2seq  (input: source)" in out
    for row in describe_options(models.get("hf-seq2seq").Options):
        assert re.search(rf"^    {row.name} +{re.escape(row.type)} +default ", out, re.M), row.name
    assert " bool " in out and "default false. run model code shipped in the hub" in out
    assert "[one of: float32, fp32, bfloat16" in out
    listed = {m["name"]: m for m in json.loads(run_cli("models", "--json").stdout)}
    dtype = next(o for o in listed["hf-seq2seq"]["options"] if o["name"] == "dtype")
    assert dtype["type"] == "str" and dtype["default"] == "auto" and dtype["help"]
    assert "bfloat16" in dtype["choices"] and listed["hf-seq2seq"]["input"] == "source"
    assert listed["lead-3"]["options"] == []


def test_metrics_list_options_as_text_and_json():
    out = run_cli("metrics", env=WIDE).stdout
    assert "bleu  (better: higher)" in out and "ter  (better: lower)" in out
    assert "tokenize" in out and "default 13a. sacrebleu tokenizer [one of: 13a, intl, zh" in out
    listed = {m["name"]: m for m in json.loads(run_cli("metrics", "--json").stdout)}
    tokenize = next(o for o in listed["bleu"]["options"] if o["name"] == "tokenize")
    assert tokenize["default"] == "13a" and "zh" in tokenize["choices"]
    assert listed["ter"]["better"] == "lower"
