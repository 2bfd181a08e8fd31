"""A task file is validated whole: each mistake is refused with its file, line and a fix."""
import json

import pytest

from harness.errors import UsageError
from harness.task import load_yaml_task
from harness.task.spec import SCHEMA_FILE, json_schema

GOOD = """\
name: t
version: 1
family: translation
source:
  path: data.jsonl
  split: test
fields: {id: id, source: src, references: [ref]}
prompt:
  template: "Translate: {source}"
  fewshot: {k: 0, seed: 1}
generation: {max_new_tokens: 8, stop: "\\n"}
postprocess: [strip, first_line]
metrics:
  - bleu
  - {name: chrf, word_order: 2}
"""


def write(tmp_path, text):
    path = tmp_path / "t.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def refused(tmp_path, text) -> str:
    path = write(tmp_path, text)
    with pytest.raises(UsageError) as err:
        load_yaml_task(path)
    return str(err.value).replace(str(path), "t.yaml")


def test_a_good_file_loads_with_its_settings(tmp_path):
    task = load_yaml_task(write(tmp_path, GOOD))
    assert task.template == "Translate: {source}" and task.spec.fields.references == ("ref",)
    assert task.generate_config().stop == ("\n",) and task.generate_config().max_new_tokens == 8
    assert task.metric_specs() == ["bleu", {"name": "chrf", "word_order": 2}]
    assert task.postprocess("  a\nb ") == "a"


# (the edit to GOOD, what the error must say); each line number is where the mistake is
@pytest.mark.parametrize("old, new, expected", [
    ("  template:", "  tempalte:", "t.yaml:9: unknown key 'prompt.tempalte' (did you mean 'template'?)"),
    ("  split: test", "  splt: test", "t.yaml:6: unknown key 'source.splt' (did you mean 'split'"),
    ("references: [ref]", "refrences: [ref]", "t.yaml:7: unknown key 'fields.refrences' (did you mean 'references'?)"),
    ("metrics:", "metircs:", "t.yaml:13: unknown key 'metircs' (did you mean 'metrics'?)"),
    ("{k: 0,", "{kk: 0,", "t.yaml:10: unknown key 'prompt.fewshot.kk' (did you mean 'k'?)"),
    ("max_new_tokens: 8", "max_new_token: 8", "t.yaml:11: unknown key 'generation.max_new_token' (did you mean 'max_new_tokens'"),
    ("max_new_tokens: 8", "max_new_tokens: many", "t.yaml:11: generation.max_new_tokens: Input should be a valid integer"),
    ("version: 1", "version: two", "t.yaml:2: version: Input should be a valid integer"),
    ("family: translation", "family: translaton", "t.yaml:3: family: 'translaton' is not one of"),
    ("first_line]", "first_lines]", "t.yaml:12: postprocess.1: 'first_lines' is not one of"),
    ("  - bleu", "  - rogue1", "t.yaml:14: unknown metric 'rogue1' (did you mean 'rouge1'"),
    ("word_order: 2", "word_order: 2, tokenise: intl", "t.yaml:15: metric 'chrf' option: unknown 'tokenise'"),
    ("{name: chrf, word_order: 2}", "{word_order: 2}", "t.yaml:15: missing required key 'metrics.1.name'"),
    ("  path: data.jsonl", "  path: data.jsonl\n  dataset: wmt/wmt14", "t.yaml:4: 'source' needs exactly one of"),
    ("  path: data.jsonl", "  path: data.jsonl\n  fallback: {dataset: a/copy}",
     "t.yaml:4: 'source.fallback' backs up a hub 'dataset'"),
    ("  path: data.jsonl", "  dataset: a/b\n  fallback: {dataset: a/copy, revison: abc}",
     "t.yaml:6: unknown key 'source.fallback.revison' (did you mean 'revision'?)"),
    ("name: t\n", "", "t.yaml:1: missing required key 'name'"),
    ("{k: 0,", "{k: -1,", "t.yaml:10: prompt.fewshot.k: Input should be greater than or equal to 0"),
])
def test_a_mistake_is_refused_with_its_line(tmp_path, old, new, expected):
    assert GOOD.count(old) == 1
    message = refused(tmp_path, GOOD.replace(old, new))
    assert expected in message, message
    assert message.startswith("t.yaml:")


def test_every_mistake_is_listed_in_line_order(tmp_path):
    text = GOOD.replace("  template:", "  tempalte:").replace("  split:", "  splt:")
    lines = refused(tmp_path, text).splitlines()
    assert [line.split(":")[1] for line in lines] == ["6", "9"]


def test_a_duplicate_key_names_both_lines(tmp_path):
    message = refused(tmp_path, GOOD.replace("  fewshot:", "  template: other\n  fewshot:"))
    assert message.startswith("t.yaml:10: duplicate key 'template' (first at line 9)")


@pytest.mark.parametrize("text, expected", [
    ("name: t\nfamily: [translation\n", "t.yaml:3: invalid YAML"),
    ("- a list\n", "t.yaml:1: a task file is a mapping"),
    ("", "t.yaml:1: the task file is empty"),
])
def test_a_file_that_is_no_task_mapping(tmp_path, text, expected):
    assert refused(tmp_path, text).startswith(expected)


def test_the_written_json_schema_is_current():
    written = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    assert written == json_schema(), "rerun: python -m harness.task --write-schema"
