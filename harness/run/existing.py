"""Scoring existing outputs with sacrebleu's habits: reference files and system files in, one
run record per system out.

The references are plain text files (one segment a line, file k giving every segment its
k-th reference, as ``sacrebleu REF1 REF2 -i SYS`` reads them) or one data file of the
project's format (JSONL, TSV or CSV with id, source, references). They become a generic
task (``translation``...) bound under the data's own name, and each system is the
``predictions`` model with ``name=`` its name, run through ``evaluate``: the records are
those of ``harness run``, so ``compare``, ``leaderboard`` and ``report`` read them as any.
Every file is read and checked before the first system is scored, and a mismatch names
every file with its line count.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Sequence

from harness import data
from harness.data.text import file_stem, is_text_file, read_lines, text_examples
from harness.engine import EngineSettings
from harness.errors import DataError, HarnessError, UsageError, raise_all
from harness.models.predictions import Predictions
from harness.record import RunRecord
from harness.run.options import RunOptions
from harness.run.runner import evaluate
from harness.task import GenericTask, get_task


@dataclass(frozen=True)
class ScoreFiles:
    """What ``harness score`` is asked to score, besides the run's options."""

    references: tuple[Path, ...]
    systems: tuple[Path, ...]
    names: tuple[str, ...] = ()  # one per system; empty: each file's stem
    task: str = "translation"  # the generic task whose metrics and family the records take
    task_name: str | None = None  # the data's name; None: the first reference file's stem
    language_pair: str | None = None  # SRC-TGT: chooses BLEU's tokenizer as sacrebleu -l does
    source: Path | None = None  # plain text sources, a line each


def score_files(files: ScoreFiles, options: RunOptions = RunOptions(),
                settings: EngineSettings | None = None) -> list[RunRecord]:
    """One run record per system, in the order given."""
    names = system_names(files)
    task = bound_task(files)
    examples = task.load_examples()
    found: list[HarnessError] = []
    systems, wrong = [], []
    for path, name in zip(files.systems, names):
        try:
            system = Predictions(str(path), name=name)
            if system.lines is not None and len(system.lines) != len(examples):
                wrong.append((path, len(system.lines)))
                continue
            system.check_examples(examples, task.name, limited=False)
            systems.append(system)
        except HarnessError as err:
            found.append(err)
    if wrong:
        found.insert(0, line_count_error(files.references, len(examples), wrong))
    raise_all(found, "nothing was scored; fix these first", DataError)
    options = replace(options, data=None, task_name=None, language_pair=None)
    records = []
    for path, system in zip(files.systems, systems):
        records += evaluate(f"predictions:{path}", [task], options, model_args=system.args,
                            engine_settings=settings, model=system)
    return records


def system_names(files: ScoreFiles) -> list[str]:
    """--name for each system, or its file's stem; two systems never share one."""
    if files.names and len(files.names) != len(files.systems):
        raise UsageError(f"--name: {len(files.names)} names for {len(files.systems)} systems; give "
                         f"one name per -i file, in the same order, or none (each file's stem)")
    names = list(files.names) or [file_stem(p) for p in files.systems]
    seen: dict[str, Path] = {}
    for name, path in zip(names, files.systems):
        if not name.strip():
            raise UsageError(f"--name: empty name for {path}; give each system a name")
        if name in seen:
            given = "--name" if files.names else "the file's stem"
            raise UsageError(f"{path} and {seen[name]} are both named {name!r} ({given}); give "
                             f"each system its own name with --name A B ...")
        seen[name] = path
    return names


def bound_task(files: ScoreFiles) -> GenericTask:
    """The generic task bound to the references, under the data's name."""
    generic = get_task(files.task)
    if not isinstance(generic, GenericTask):
        raise UsageError(f"--task {files.task!r}: harness score scores against the references "
                         f"given, so it takes a generic task: translation, summarization or captioning")
    refs = files.references
    if not all(is_text_file(p) for p in refs):
        if len(refs) > 1 or files.source is not None:
            raise UsageError(f"-r {' '.join(map(str, refs))}: a data file ({refs[0].suffix}) holds "
                             f"every reference and source of a segment, so it comes alone; give "
                             f"one data file, or plain text files (one segment a line)")
        examples = data.load_file(refs[0])
        return generic.bind(files.task_name, refs[0], files.language_pair, examples)
    lines = [read_lines(p) for p in refs]
    sources = read_lines(files.source) if files.source is not None else None
    if len({len(x) for x in lines} | ({len(sources)} if sources is not None else set())) > 1:
        counted = [(p, len(x)) for p, x in zip(refs, lines)]
        counted += [(files.source, len(sources))] if files.source and sources is not None else []
        raise DataError("the reference and source files differ in line counts: "
                        + ", ".join(f"{p} {n} lines" for p, n in counted)
                        + "; each holds one segment a line, in the same order")
    if not lines[0]:
        raise DataError(f"{refs[0]}: no lines; the reference files hold one segment a line")
    examples = text_examples(refs, lines, sources)
    return generic.bind(files.task_name, refs[0], files.language_pair, examples,
                        source="text:" + ",".join(map(str, refs)))


def line_count_error(references: Sequence[Path], n: int, wrong: Sequence[tuple[Path, int]]) -> DataError:
    """Plain text systems whose line count is not the number of segments: one error, every file."""
    return DataError(f"{n} segments in the references ({', '.join(map(str, references))}), but "
                     + ", ".join(f"{p} has {count} lines" for p, count in wrong)
                     + "; a system file holds one output a line for every segment, in order (an "
                       "empty line is an empty output)")
