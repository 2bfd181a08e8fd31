"""The demo's settings and the documented commands that give its numbers agree.

An earlier demo capped generation at 32 new tokens without saying so, and the sweep command
the README showed (the task's 64) gave BLEU 12.52 for the checkpoint the demo showed at 19.34.
Every `harness run` or `harness sweep` line in README.md and docs/*.md that names the demo's
models is parsed by the real parser and held against `DemoSettings`; so are the commands the
demo prints.
"""
import re
import shlex
from pathlib import Path

import pytest

from conftest import REPO
from harness.cli.demo import _split_columns
from harness.cli.demo_settings import EVALUATED, SEQ2SEQ_RUN, SWEPT_TASKS, DemoSettings
from harness.cli.parser import build_parser
from harness.cli.values import parse_kv, parse_metrics
from harness.task import get_task

DOCS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
MODELS = str(Path(build_parser().parse_args(["demo"]).output) / "models")  # the demo's default


def documented() -> list[tuple[str, list[str]]]:
    """(file:line, arguments) of each command in the docs that names the demo's models: a line
    of a code block (up to a comment), or a code span, which may wrap across lines."""
    found = []
    for path in DOCS:
        text = path.read_text(encoding="utf-8")
        blocks = list(re.finditer(r"^```[a-z]*\n(.*?)^```", text, re.S | re.M))
        pieces = [(b.start(1) + line.start(), line.group(1)) for b in blocks
                  for line in re.finditer(r"^([^#\n]*)", b.group(1), re.M)]
        prose = re.sub(r"^```.*?^```", lambda m: " " * len(m.group()), text, flags=re.S | re.M)
        pieces += [(m.start(1), m.group(1).replace("\n", " ")) for m in re.finditer(r"`([^`]+)`", prose)]
        for at, piece in sorted(pieces):
            command = re.match(r"\s*harness (run|sweep) ", piece)
            if command and f"{MODELS}/" in piece:
                found.append((f"{path.relative_to(REPO)}:{text.count(chr(10), 0, at) + 1}",
                              shlex.split(piece)[1:]))
    return found


def check_agrees(argv: list[str], settings: DemoSettings) -> None:
    """The command gives the demo's numbers: its model, tasks and every setting that changes one."""
    args = build_parser().parse_args(argv)
    run = f"{MODELS}/{SEQ2SEQ_RUN}"
    if args.command == "run":
        assert args.model == f"hf-seq2seq:{run}/checkpoint-{settings.checkpoints[-1]}"
        tasks = args.tasks.split(",")
        assert set(tasks) <= set(EVALUATED["seq2seq"])
        assert (args.model_args, args.data, args.postprocess) == (None, None, None)
    else:
        assert args.checkpoints == [run] and args.model_type == "hf-seq2seq"
        tasks = args.tasks.split(",")
        assert tuple(tasks) == SWEPT_TASKS
        assert (args.model_args, args.data, args.postprocess) == (None, None, None)
    assert args.limit == settings.limit
    assert args.seed == settings.seed
    assert args.bootstrap == settings.n_bootstrap
    assert parse_metrics(args.metrics) == tuple(settings.metrics)
    for task in map(get_task, tasks):  # generation as each run records it
        asked = task.generate_config().updated(parse_kv(args.gen_kwargs, "--gen-kwargs"))
        assert asked == task.generate_config().updated(settings.gen_kwargs)


def test_the_docs_give_commands_for_the_demo_run_and_sweep():
    kinds = {argv[0] for _, argv in documented()}
    assert kinds == {"run", "sweep"}, "README.md or docs/ lost the commands that give the demo's numbers"


@pytest.mark.parametrize("where, argv", documented())
def test_each_documented_demo_command_uses_the_demo_settings(where, argv):
    try:
        check_agrees(argv, DemoSettings.of(quick=False))
    except AssertionError as err:
        raise AssertionError(f"{where}: `harness {shlex.join(argv)}` does not give the demo's "
                             f"numbers: {err}") from None


@pytest.mark.parametrize("quick", [False, True])
def test_the_commands_the_demo_prints_use_its_settings(quick):
    settings = DemoSettings.of(quick)
    described = "\n".join(settings.describe(MODELS))
    for command in settings.commands(MODELS):
        assert command in described
        check_agrees(shlex.split(command)[1:], settings)


def test_the_demo_adds_nothing_to_a_plain_run():
    """No hidden settings: a command without options gives the demo's numbers."""
    settings = DemoSettings.of(quick=False)
    assert settings.options_text() == []
    defaults = build_parser().parse_args(["run", "--model", "x", "--tasks", "y"])
    assert (defaults.seed, defaults.bootstrap) == (settings.seed, settings.n_bootstrap)


def test_the_sweep_draws_a_curve_and_its_last_checkpoint_is_the_demo_model():
    for quick in (False, True):
        steps = DemoSettings.of(quick).checkpoints
        assert 4 <= len(steps) <= 5 and list(steps) == sorted(set(steps))


@pytest.mark.parametrize("widths, parts", [
    ([40, 20, 20, 20], [[0, 1, 2, 3]]),            # 40 + 3 x 20 (+ gaps) fits
    ([40, 30, 30, 30, 30], [[0, 1, 2], [0, 3, 4]]),  # the model column repeated in each
    ([130, 20], [[0, 1]]),                          # one column too wide still gets a table
])
def test_a_wide_table_is_split_with_the_model_column_in_each(widths, parts):
    header = [f"c{i}" for i in range(len(widths))]
    rows = [["x" * w for w in widths]]
    split = _split_columns(header, rows)
    assert [[int(h[1:]) for h in part_header] for part_header, _ in split] == parts
