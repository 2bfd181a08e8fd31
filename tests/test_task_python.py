"""Tasks written in Python: the shipped one, and one from another package's entry point."""
import json
import os
import subprocess
import sys
import textwrap

from conftest import REPO, run_cli
from harness.registry import tasks
from harness.task import Task, get_task, shipped_tasks_dir
from harness.task.shipped.demo_translation_de_en import DemoTranslationDeEn
from harness.types import InputKind


def test_the_shipped_python_task_reads_the_demo_pairs_backwards():
    task = get_task("demo-translation-de-en")
    assert isinstance(task, DemoTranslationDeEn) and task.family == "translation"
    examples = task.load_examples()
    forward = get_task("demo-translation").load_examples()
    assert len(examples) == sum(len(ex.references) for ex in forward)
    pairs = {(ex.source, ref) for ex in forward for ref in ex.references}
    assert {(ex.references[0], ex.source) for ex in examples} == pairs
    assert [ex.id for ex in examples[:3]] == ["tr-001.1", "tr-002.1", "tr-002.2"]
    [request] = task.requests(examples[:1], InputKind.PROMPT, task.generate_config())
    assert request.prompt == "Translate German to English.\nGerman: Wo ist der Bahnhof?\nEnglish:"


def test_python_and_yaml_tasks_never_share_a_name():
    yaml_names = {p.stem for p in shipped_tasks_dir().glob("*.yaml")}
    python_names = {name for name, obj in tasks.items()
                    if isinstance(obj, type) and issubclass(obj, Task)}
    assert "demo-translation-de-en" in python_names and not python_names & yaml_names


def test_the_shipped_python_task_runs_from_the_command_line(tmp_path):
    proc = run_cli("run", "--model", "copy-source", "--tasks", "demo-translation-de-en",
                   "--limit", "3", "--output", str(tmp_path), "--json", "--bootstrap", "0")
    assert proc.returncode == 0, proc.stderr
    record = json.loads(proc.stdout)
    assert record["task"]["name"] == "demo-translation-de-en" and record["task"]["n_examples"] == 3
    assert set(record["scores"]) == {"bleu", "chrf", "ter"}
    samples = [json.loads(line) for line in next(tmp_path.rglob("samples.jsonl")).open()]
    assert samples[0]["prediction"] == "Wo ist der Bahnhof?"
    assert samples[0]["references"] == ["Where is the train station?"]


PLUGIN = '''
from harness.task import Task
from harness.types import Example

class Shouting(Task):
    family = "translation"
    description = "echo tasks from a plugin"
    metrics = ("chrf",)

    def examples(self):
        return [Example(id=str(i), source=s, references=(s.upper(),))
                for i, s in enumerate(["one two", "three four", "five six", "seven"])]

class NeedsArguments(Shouting):
    def __init__(self, spec):
        self.spec = spec

class BadMetric(Shouting):
    metrics = ("chrf", "rogue1")

def a_function():
    return Shouting()

an_instance = Shouting()
'''


def plugin_env(tmp_path, entries: str) -> dict:
    (tmp_path / "shout_tasks.py").write_text(textwrap.dedent(PLUGIN))
    dist = tmp_path / "shout_tasks-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: shout-tasks\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text(f"[harness.tasks]\n{entries}")
    return {"PYTHONPATH": f"{tmp_path}{os.pathsep}{REPO}", "PATH": os.environ["PATH"],
            "HARNESS_CACHE": str(tmp_path / "cache")}


def test_a_package_adds_a_python_task_through_an_entry_point(tmp_path):
    env = plugin_env(tmp_path, "shouting = shout_tasks:Shouting\n")
    listing = run_cli("tasks", env=env)
    assert listing.returncode == 0, listing.stderr
    assert "shouting" in listing.stdout and "python:shout_tasks:Shouting" in listing.stdout
    run = run_cli("run", "--model", "copy-source", "--tasks", "shouting", "--limit", "3",
                  "--output", str(tmp_path / "out"), "--json", "--bootstrap", "0", env=env)
    assert run.returncode == 0, run.stderr
    record = json.loads(run.stdout)
    assert record["task"]["n_examples"] == 3 and list(record["scores"]) == ["chrf"]


def test_anything_but_a_task_class_is_refused_with_the_fix(tmp_path):
    names = {"a-function": "a_function", "an-instance": "an_instance",
             "needs-arguments": "NeedsArguments", "bad-metric": "BadMetric"}
    env = plugin_env(tmp_path, "".join(f"{n} = shout_tasks:{attr}\n" for n, attr in names.items()))
    code = textwrap.dedent(f'''
        from harness.errors import UsageError
        from harness.task import get_task
        for name in {list(names)!r}:
            try:
                get_task(name)
            except UsageError as err:
                print(name, "=>", err)
    ''')
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                          cwd=tmp_path, timeout=120)
    assert proc.returncode == 0, proc.stderr
    said = dict(line.split(" => ", 1) for line in proc.stdout.splitlines())
    assert set(said) == set(names), proc.stdout
    for name in ("a-function", "an-instance"):
        assert "not a harness.task.Task subclass; register the class itself" in said[name]
    assert "created without arguments" in said["needs-arguments"]
    assert "unknown metric 'rogue1'" in said["bad-metric"] and "shout_tasks:BadMetric" in said["bad-metric"]
