"""German→English on the offline demo pairs, read backwards.

``tasks/demo/translation.jsonl`` holds English sources with one or two German references.
Read the other way, each German reference is a source and the English sentence its
reference, so one row gives one example per German version (``tr-002.1``, ``tr-002.2``):
a row turning into several examples is what a task file's ``fields`` cannot say.
"""
from __future__ import annotations

from harness import data
from harness.errors import DataError
from harness.registry import tasks
from harness.task import shipped_tasks_dir
from harness.task.base import Task
from harness.types import Example

DATA = "demo/translation.jsonl"


@tasks.register("demo-translation-de-en")
class DemoTranslationDeEn(Task):
    version = 1
    family = "translation"
    description = ("Offline demo, German→English: the demo-translation pairs reversed, one example "
                   "per German reference (1–2 per English sentence)")
    metrics = ("bleu", "chrf", "ter")
    generation = {"max_new_tokens": 64, "num_beams": 1, "stop": ["\n"]}
    postprocess_steps = ("strip", "first_line")
    template = "Translate German to English.\nGerman: {source}\nEnglish:"

    def data_source(self) -> str:
        return f"file:{DATA} (reversed)"

    def examples(self) -> list[Example]:
        path = shipped_tasks_dir() / DATA
        out = []
        for line, row in data.read_rows(path):
            pair = data.row_to_example(row, data.LOCAL_SCHEMA, line, f"{path}:{line}")
            if pair.source is None:
                raise DataError(f"{pair.origin}: missing the English 'source' this task scores against")
            out.extend(Example(id=f"{pair.id}.{n}", source=german, references=(pair.source,),
                               origin=f"{pair.origin} (reference {n})")
                       for n, german in enumerate(pair.references, 1))
        data.check_unique(out)
        return out
