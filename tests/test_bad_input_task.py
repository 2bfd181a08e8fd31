"""Task files: each bad file is refused with file:line (exit 2, no traceback) before any data or
model is read. Aliases are bounded, so a few lines cannot expand to gigabytes."""
import pytest

from harness.cli import main

HEAD = "name: t\nfamily: translation\nsource: {path: d.jsonl}\nmetrics: [bleu]\n"


def _laughs(levels: int, width: int = 10) -> str:
    lines = ['a0: &a0 "lol"']
    for i in range(1, levels + 1):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * width) + "]")
    return "\n".join(lines) + f"\ndescription: *a{levels}\n"


# (task file text, line, message fragment)
BAD_TASKS = [
    (HEAD + "version: abc\n", 5, "version: Input should be a valid integer"),
    (HEAD + "version: 0\n", 5, "version: Input should be greater than or equal to 1"),
    (HEAD + "fields: abc\n", 5, "fields: Input should be a valid dictionary"),
    (HEAD + "generation: {stop: 5}\n", 5, "generation.stop"),
    (HEAD + "generation: {stop: [a, 5]}\n", 5, "generation.stop.1: Input should be a valid string"),
    (HEAD + "generation: {num_beams: 0}\n", 5, "num_beams=0: must be at least 1"),
    (HEAD + "generation: {max_new_tokens: 2.5}\n", 5, "generation.max_new_tokens"),
    (HEAD + "generation: {do_sample: maybe}\n", 5, "generation.do_sample"),
    (HEAD + "generation: {top_p: 2}\n", 5, "top_p=2.0: must be greater than 0 and at most 1"),
    (HEAD + "generation: {max_new_tokens: 4, min_new_tokens: 5}\n", 5, "min_new_tokens=5"),
    (HEAD + "name: u\n", 5, "duplicate key 'name' (first at line 1)"),
    (HEAD + "description: !!python/object/apply:os.system [echo]\n", 5, "invalid YAML"),
    (HEAD + _laughs(9), 9, "the task file expands to more than 10,000 values"),
    (HEAD + "x: &x " + "a" * 600_000 + "\ndescription: [*x, *x]\n", 6, "1,000,000 characters"),
    (HEAD + 'prompt: {template: "Translate {source"}\n', 5, "expected '}' before end of string"),
    (HEAD + 'prompt: {template: "{0}"}\n', 5, "template field '{0}': fields are plain names"),
    (HEAD + 'prompt: {template: "{source.__class__}"}\n', 5, "fields are plain names"),
    (HEAD + 'prompt: {template: "{source:>99999999999}"}\n', 5, "fields are plain names"),
    (HEAD + 'prompt:\n  fewshot: {k: 1, example_template: "{reference[0]}"}\n', 6, "fields are plain names"),
    (HEAD.replace("d.jsonl", "../outside.jsonl"), None, "data file '../outside.jsonl' is outside the task file's folder"),
    (HEAD.replace("d.jsonl", "/etc/passwd"), None, "is outside the task file's folder"),
]


# (bytes, line, message): encodings and control characters
BAD_TASK_BYTES = [
    (HEAD.encode() + "description: caf\u00e9\n".encode("latin-1"), 5, "not UTF-8 (byte 0xe9)"),
    (HEAD.encode("utf-16"), 1, "not UTF-8 (byte 0xff)"),
    (HEAD.encode() + b"description: a\x00b\n", 5, "invalid YAML"),
]
@pytest.mark.parametrize("text, line, message", BAD_TASKS, ids=range(len(BAD_TASKS)))
def test_a_bad_task_file_is_refused_with_its_line(capsys, tmp_path, text, line, message):
    folder = tmp_path / "tasks"
    folder.mkdir()
    (tmp_path / "outside.jsonl").write_text('{"id": "a", "source": "x", "references": ["y"]}\n')
    path = folder / "t.yaml"
    path.write_text(text)
    try:
        rc = main(["run", "--model", "copy-source", "--tasks", str(path), "--output",
                   str(tmp_path / "out"), "--no-progress"])
    except SystemExit as exit_:
        rc = exit_.code
    out, err = capsys.readouterr()
    assert rc == 2 and "Traceback" not in err, err
    assert (f"{path}:{line}:" if line else f"{path}") in err and message in err, err
    assert len(err) < 5000  # the error itself does not expand the aliases


def test_a_small_alias_is_fine(tmp_path):
    from harness.task.yaml_task import load_yaml_task
    path = tmp_path / "t.yaml"
    path.write_text("name: &n t\nfamily: translation\nsource: {path: d.jsonl}\nmetrics: [bleu]\n"
                    "description: *n\n")
    assert load_yaml_task(path).description == "t"


@pytest.mark.parametrize("content, line, message", BAD_TASK_BYTES, ids=range(len(BAD_TASK_BYTES)))
def test_a_task_file_that_is_not_text_is_refused_with_its_line(capsys, tmp_path, content, line, message):
    path = tmp_path / "t.yaml"
    path.write_bytes(content)
    rc = main(["run", "--model", "copy-source", "--tasks", str(path), "--output", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert rc == 2 and f"{path}:{line}: {message}" in err and "Traceback" not in err, err


def test_a_folder_is_not_a_task_file(capsys, tmp_path):
    assert main(["run", "--model", "copy-source", "--tasks", str(tmp_path)]) == 2
    assert "a folder, not a task file" in capsys.readouterr().err
