"""The generic tasks ``translation``, ``summarization`` and ``captioning``: a family's
metrics and decoding defaults, and no data of their own.

They score data the user brings (``--data FILE``, or the files of ``harness score``), and a
run's record names that data, not a shipped task: the task is bound to it (``bind``) under
the name given (``--task-name``) or the data file's name. A name that is a registered task
is refused, so a record of other data is never taken for that task's. For translation the
language pair (``-l en-zh``) chooses BLEU's tokenizer as sacrebleu's command line does.
"""
from __future__ import annotations

import copy
from pathlib import Path

from harness.data.text import file_stem
from harness.errors import UsageError
from harness.registry import tasks
from harness.task.base import MetricSpec, Task
from harness.types import Example

# sacrebleu's BLEU._TOKENIZER_MAP, which its CLI applies to the target of -l SRC-TGT when
# --tokenize is not given (chrF and TER ignore -l); tests/test_score_cli.py checks it equals
# the installed sacrebleu's
BLEU_TOKENIZE_FOR_TARGET = {"zh": "zh", "ja": "ja-mecab", "ko": "ko-mecab"}
LANGUAGES = {"cs": "Czech", "de": "German", "en": "English", "es": "Spanish", "fi": "Finnish",
             "fr": "French", "ja": "Japanese", "ko": "Korean", "ro": "Romanian", "ru": "Russian",
             "tr": "Turkish", "uk": "Ukrainian", "zh": "Chinese"}


class GenericTask(Task):
    """A family's defaults; ``bind`` gives it the data, and the data's name."""

    is_bound: bool = False
    source_text: str = ""  # where the bound data comes from, as the record's task.source says
    pair: tuple[str, str] | None = None  # (source, target) language codes, when given
    loaded: list[Example] | None = None  # examples read by the caller (harness score)

    def examples(self) -> list[Example]:
        if self.loaded is None:
            raise self.no_data()
        return list(self.loaded)

    def no_data(self) -> UsageError:
        return UsageError(f"task {self.name!r} has no data of its own: give --data FILE (JSONL, TSV "
                          f"or CSV of id, source, references), or score plain text files with "
                          f"`harness score -r REF -i SYSTEM`")

    def data_source(self) -> str:
        return self.source_text if self.is_bound else f"--data FILE (generic {self.family} task)"

    def bind(self, name: str | None, data: Path | None, language_pair: str | None = None,
             examples: list[Example] | None = None, source: str = "") -> "GenericTask":
        """This task for one data set: named ``name`` or after the ``data`` file; its examples
        ``examples`` when the caller read them (the plain text of ``harness score``, whose
        first reference file is ``data``), else the file's."""
        if data is None:
            raise self.no_data()
        named = name if name is not None else file_stem(Path(data))
        check_name(named, "--task-name" if name is not None else f"the data's name (from {data})")
        bound = copy.copy(self)
        bound.name, bound.is_bound, bound.loaded = named, True, examples
        bound.source_text = source or f"file:{data}"
        bound.pair = parse_pair(language_pair, self.name) if language_pair else None
        where = f", {bound.pair[0]}→{bound.pair[1]}" if bound.pair else ""
        bound.description = (f"{named}: {self.family}{where} data from {bound.source_text} "
                             f"(generic task {self.name!r})")
        if bound.pair:
            source_lang, target = (LANGUAGES.get(code, code) for code in bound.pair)
            bound.template = f"Translate {source_lang} to {target}.\n{source_lang}: {{source}}\n{target}:"
        return bound

    def metric_specs(self) -> list[MetricSpec]:
        specs = list(self.metrics)
        if self.pair:
            # written out for 13a too: the pair also words the prompt, and the run key (which
            # holds the metrics, not the prompt) must tell a run with -l from one without
            tokenize = BLEU_TOKENIZE_FOR_TARGET.get(self.pair[1], "13a")
            specs = [{"name": "bleu", "tokenize": tokenize} if s == "bleu" else s for s in specs]
        return specs


def check_name(name: str, given_as: str) -> None:
    if not name.strip():
        raise UsageError(f"{given_as}: empty; give the data's name, e.g. --task-name wmt22-zh-en")
    if name in tasks.names():
        raise UsageError(f"{given_as}: {name!r} is a registered task, so records of this data "
                         f"would be taken for that task's; give another name with --task-name")


def parse_pair(text: str, task: str) -> tuple[str, str]:
    """``en-zh`` → ("en", "zh"): the target is the second field, as sacrebleu's
    ``langpair.split('-')[1]`` takes it."""
    parts = text.split("-")
    if task != "translation":
        raise UsageError(f"--language-pair {text}: only the translation task has languages; "
                         f"task {task!r} does not")
    if len(parts) < 2 or not parts[0] or not parts[1]:
        raise UsageError(f"--language-pair {text!r}: expected SRC-TGT, e.g. en-zh or de-en")
    return parts[0], parts[1]


@tasks.register("translation")
class Translation(GenericTask):
    family = "translation"
    description = ("any translation data: --data FILE or `harness score`; records take the "
                   "data's name; -l SRC-TGT picks BLEU's tokenizer as sacrebleu does")
    metrics = ("bleu", "chrf", "ter")
    generation = {"max_new_tokens": 256, "num_beams": 1, "stop": ["\n"]}
    postprocess_steps = ("strip", "first_line")
    template = "Translate the following text.\nText: {source}\nTranslation:"


@tasks.register("summarization")
class Summarization(GenericTask):
    family = "summarization"
    description = "any summarization data: --data FILE or `harness score`; records take the data's name"
    metrics = tuple({"name": m, "use_stemmer": True} for m in ("rouge1", "rouge2", "rougeL", "rougeLsum"))
    generation = {"max_new_tokens": 128, "num_beams": 4, "stop": ["\n\n"]}
    postprocess_steps = ("strip", "sentences_to_lines")
    template = "Summarize the following text.\n\nText: {source}\n\nSummary:"


@tasks.register("captioning")
class Captioning(GenericTask):
    family = "captioning"
    description = "any captioning data: --data FILE or `harness score`; records take the data's name"
    metrics = ("cider", "coco_bleu1", "coco_bleu2", "coco_bleu3", "coco_bleu4", "coco_rougeL")
    generation = {"max_new_tokens": 30, "num_beams": 1, "stop": ["\n"]}
    postprocess_steps = ("strip", "first_line")
