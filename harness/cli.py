"""The `harness` command: each command reads its arguments (``cli_parser``) and calls the library."""
from __future__ import annotations

import argparse
import dataclasses
import json
import os
import re
import shutil
import sys
import textwrap
from pathlib import Path
from typing import Any, Sequence

from harness.cli_parser import build_parser
from harness.errors import HarnessError, UsageError


def parse_kv(text: str | None, what: str) -> dict[str, Any]:
    """``dtype=bfloat16,num_beams=4`` → {"dtype": "bfloat16", "num_beams": "4"}: values as
    written; each receiver coerces its own settings (declared options, ``GenerateConfig``), so
    ``chat_template=off`` stays the word. A comma inside ``[...]`` or double quotes does not
    split, so a list is written as JSON: ``stop=["a,b","\\n"]``. A value that looks like a
    YAML tag (``!!python/...``) is refused: nothing here is YAML."""
    out: dict[str, Any] = {}
    for item in _split_items(text or "", what):
        key, sep, value = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise UsageError(f"{what}: expected key=value, got {item!r}")
        if key in out:
            raise UsageError(f"{what}: {key!r} is given twice")
        if YAML_TAG.match(value):
            raise UsageError(f"{what}: {key}={value!r}: YAML tags are not read; give a plain value "
                             f"(a stop string that starts with '!' is written as JSON: "
                             f"stop='\"!...\"')")
        out[key] = value
    return out


def parse_metrics(text: str | None) -> tuple[str | dict[str, str], ...]:
    """``bleu:tokenize=zh:lowercase=yes,chrf`` → ({"name": "bleu", "tokenize": "zh",
    "lowercase": "yes"}, "chrf"). Commas separate metrics; each option follows its metric's
    name after a colon, so no shell quoting is needed (a value holds neither ',' nor ':').
    Values stay text: the metric's declared options coerce them, as for a task file's
    ``{name: bleu, tokenize: zh}``, so the errors are the same."""
    specs: list[str | dict[str, str]] = []
    for item in (text or "").split(","):
        name, *options = [part.strip() for part in item.split(":")]
        if not name:
            if item.strip():
                raise UsageError(f"--metrics: {item.strip()!r} has no metric name; write "
                                 f"name:option=value, e.g. bleu:tokenize=zh")
            continue
        spec = {"name": name}
        for option in options:
            key, sep, value = (s.strip() for s in option.partition("="))
            if not sep or not key:
                raise UsageError(f"--metrics: {item.strip()!r}: expected option=value after "
                                 f"'{name}:', got {option!r}; e.g. bleu:tokenize=zh:lowercase=yes "
                                 f"(`harness metrics` lists each metric's options)")
            if key in spec:
                raise UsageError(f"--metrics: {item.strip()!r}: {key!r} is given twice")
            spec[key] = value
        specs.append(spec if options else name)
    return tuple(specs)


YAML_TAG = re.compile(r"\s*!!?[A-Za-z_<]")


def _split_items(text: str, what: str) -> list[str]:
    """Split on commas outside brackets and double quotes (JSON lists and strings)."""
    items, current, depth, quoted, escaped = [], [], 0, False, False
    for char in text:
        if quoted:
            quoted = escaped or char != '"'
            escaped = not escaped and char == "\\"
        elif char == '"':
            quoted = True
        elif char == "[":
            depth += 1
        elif char == "]":
            depth = max(depth - 1, 0)
        elif char == "," and depth == 0:
            items.append("".join(current))
            current = []
            continue
        current.append(char)
    if quoted or depth:
        raise UsageError(f"{what}: unclosed {'quote' if quoted else 'bracket'} in {text!r}")
    items.append("".join(current))
    return [item for item in items if item.strip()]


def cmd_tasks(args: argparse.Namespace) -> int:
    from harness.registry import tasks
    from harness.task import get_task
    rows = [get_task(name).describe() for name in tasks.names()]
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    _print_columns(["name", "family", "source", "metrics"],
                   [[r["name"], r["family"], r["source"], ",".join(r["metrics"])] for r in rows])
    return 0


def cmd_models(args: argparse.Namespace) -> int:
    from harness.registry import models
    # the input under default --model-args; an option that changes it is listed with its choices
    _print_plugins([(name, {"input": cls.input_kind_for(cls.parse_args({})).value}, cls)
                    for name, cls in models.items()], "--model-args", args.json)
    return 0


def cmd_metrics(args: argparse.Namespace) -> int:
    from harness.registry import metrics
    _print_plugins([(name, {"better": "higher" if cls.higher_is_better else "lower"}, cls)
                    for name, cls in metrics.items()], "options", args.json)
    return 0


def _print_plugins(rows: list[tuple[str, dict[str, str], Any]], what: str, as_json: bool) -> None:
    """Each plugin's name and description, then one line per declared option: name, type,
    default, help and choices, read from the option declarations themselves."""
    from harness.options import describe_options
    listed = [{"name": name, **facts, "description": cls.description,
               "options": [dataclasses.asdict(o) for o in describe_options(cls.Options)]}
              for name, facts, cls in rows]
    if as_json:
        print(json.dumps(listed, indent=2, default=list))
        return
    width = shutil.get_terminal_size((100, 24)).columns
    for entry in listed:
        facts = ", ".join(f"{k}: {entry[k]}" for k in entry if k not in ("name", "description", "options"))
        print(f"{entry['name']}  ({facts})  {entry['description']}")
        options = entry["options"]
        if not options:
            print(f"    (no {what})")
        name_w = max((len(o["name"]) for o in options), default=0)
        type_w = max((len(o["type"]) for o in options), default=0)
        for o in options:
            head = f"    {o['name']:<{name_w}}  {o['type']:<{type_w}}  "
            text = f"default {_shown(o['default'])}. {o['help']}"
            if o["choices"]:
                text += f" [one of: {', '.join(map(str, o['choices']))}]"
            print(textwrap.fill(text, width=max(width, len(head) + 30), initial_indent=head,
                                subsequent_indent=" " * len(head)))
        print()


def _shown(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, tuple):
        return ",".join(map(str, value)) or "(empty)"
    return repr(value) if value == "" else str(value)


def _print_columns(header: list[str], rows: list[list[str]]) -> None:
    widths = [max(len(h), *(len(str(r[i])) for r in rows)) if rows else len(h)
              for i, h in enumerate(header)]
    for row in [header, ["-" * w for w in widths], *rows]:
        print("  ".join(str(c).ljust(w) for c, w in zip(row, widths)).rstrip())


def cmd_run(args: argparse.Namespace) -> int:
    from harness.engine import EngineSettings
    from harness.run import RunOptions, evaluate

    task_names = [t.strip() for t in args.tasks.split(",") if t.strip()]
    if not task_names:
        raise UsageError(f"--tasks: no task named in {args.tasks!r}; give task names or task "
                         f"file paths, comma-separated (`harness tasks` lists them)")
    if args.metrics is not None and not args.metrics.strip(" ,"):
        raise UsageError(f"--metrics: no metric named in {args.metrics!r}; leave the option out "
                         f"for the task's metrics, or name some (`harness metrics` lists them)")
    settings = EngineSettings(batch_size=args.batch_size, max_batch_tokens=args.max_batch_tokens,
                              on_error=args.on_error,
                              use_cache=not args.no_cache,
                              progress=not args.no_progress and not args.json,
                              **({"cache_dir": Path(args.cache_dir)} if args.cache_dir else {}),
                              **({"cache_mode": args.cache_mode} if args.cache_mode else {}))
    options = RunOptions(
        limit=args.limit, seed=args.seed, output=Path(args.output),
        metrics=parse_metrics(args.metrics),
        gen_kwargs=parse_kv(args.gen_kwargs, "--gen-kwargs"),
        data=Path(args.data) if args.data else None, n_bootstrap=args.bootstrap,
        postprocess=args.postprocess, allow_outside_paths=args.allow_outside_paths,
        shard=dataclasses.replace(args.shard, key=args.shard_key) if args.shard else None)
    if args.shard_key and not args.shard:
        raise UsageError("--shard-key names the shards of one run; give --shard I/N with it")
    records = evaluate(args.model, task_names, options,
                       model_args=parse_kv(args.model_args, "--model-args"),
                       engine_settings=settings)
    from harness import machine
    if machine.rank() != 0:  # a torchrun rank other than 0: rank 0 reports for all
        return 0
    return _print_records(records, args.json)


def _print_records(records: list, as_json: bool) -> int:
    from harness.reports.table import format_table, throughput_line
    if as_json:
        dicts = [r.to_dict() for r in records]
        print(json.dumps(dicts if len(dicts) != 1 else dicts[0], indent=2, ensure_ascii=False))
        return 0
    if not records:  # a shard whose siblings are still running: it said so on stderr
        return 0
    for rec in records:
        print(throughput_line(rec), file=sys.stderr)
    print(format_table(records))
    for rec in records:
        if rec.errors:
            first = rec.errors[0]
            print(f"harness: warning: {rec.task.name}: {rec.n_errors} of {rec.task.n_examples} "
                  f"examples failed and were not scored (first: {first.id!r}: {first.error}); "
                  f"all are in {rec.folder}/samples.jsonl", file=sys.stderr)
    print("\nrun folders:")
    for rec in records:
        print(f"  {rec.folder}")
    return 0


def cmd_merge(args: argparse.Namespace) -> int:
    from harness.run.merge import merge_paths
    outcomes = merge_paths(args.paths, Path(args.output) if args.output else None)
    for outcome in outcomes:
        print(f"harness: {outcome.note}", file=sys.stderr)
    return _print_records([o.record for o in outcomes], args.json)


def cmd_demo(args: argparse.Namespace) -> int:
    from harness.demo import run_demo
    return run_demo(Path(args.output), quick=args.quick)


def _format(args: argparse.Namespace) -> str:
    return "json" if getattr(args, "json", False) else args.format


def cmd_compare(args: argparse.Namespace) -> int:
    from harness.reports.compare import CompareSettings, compare_paths
    from harness.reports.compare_format import format_compare
    from harness.reports.runs import split_list
    settings = CompareSettings(n_bootstrap=args.bootstrap, n_randomization=args.randomization,
                               seed=args.seed, correction=args.correction, alpha=args.alpha,
                               force=args.force, examples=args.examples,
                               metrics=split_list(args.metrics), include_partial=args.include_partial)
    print(format_compare(compare_paths([args.baseline, *args.systems], settings), _format(args)))
    return 0


def cmd_leaderboard(args: argparse.Namespace) -> int:
    from harness.reports.leaderboard import LeaderboardSettings, build_leaderboard
    from harness.reports.leaderboard_format import format_leaderboard
    from harness.reports.runs import split_list
    settings = LeaderboardSettings(tasks=split_list(args.tasks), metrics=split_list(args.metrics),
                                   models=split_list(args.models), sort=args.sort, digits=args.round,
                                   alpha=args.alpha, correction=args.correction,
                                   n_bootstrap=args.bootstrap, seed=args.seed,
                                   include_partial=args.include_partial)
    board = build_leaderboard(args.results, settings)
    for warning in board.warnings:
        print(f"harness: warning: {warning}", file=sys.stderr)
    print(format_leaderboard(board, _format(args)))
    return 0


def cmd_sweep(args: argparse.Namespace) -> int:
    from harness.reports.sweep import SweepSettings, format_sweep, run_sweep
    from harness.reports.runs import split_list
    settings = SweepSettings(model_type=args.model_type, tasks=split_list(args.tasks),
                             output=Path(args.output), limit=args.limit, seed=args.seed,
                             metrics=split_list(args.metrics),
                             gen_kwargs=parse_kv(args.gen_kwargs, "--gen-kwargs"),
                             model_args=parse_kv(args.model_args, "--model-args"),
                             data=Path(args.data) if args.data else None,
                             postprocess=args.postprocess, n_bootstrap=args.bootstrap,
                             plots=Path(args.plots) if args.plots else None)
    result = run_sweep(args.checkpoints, settings, log=lambda line: print(line, file=sys.stderr))
    print(format_sweep(result, _format(args)))
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from harness.reports.html import write_report
    from harness.reports.leaderboard import LeaderboardSettings
    path = write_report(args.results, Path(args.output), title=args.title,
                        settings=LeaderboardSettings(include_partial=args.include_partial))
    print(f"report written: {path}")
    return 0


COMMANDS = {"tasks": cmd_tasks, "models": cmd_models, "metrics": cmd_metrics, "run": cmd_run,
            "merge": cmd_merge, "demo": cmd_demo, "compare": cmd_compare,
            "leaderboard": cmd_leaderboard, "sweep": cmd_sweep, "report": cmd_report}


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except HarnessError as err:
        if not getattr(err, "shown", False):  # a torchrun rank whose error rank 0 prints
            print(f"harness: error: {err}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # `harness tasks | head`: the reader has what it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no error at exit
        return 1
    except OSError as err:  # a full disk, a folder made read-only mid-run: what and where
        where = f"{err.filename}: " if err.filename else ""
        resume = "; finished generations are cached, rerun to resume" if args.command == "run" else ""
        print(f"harness: error: {where}{err.strerror or err}{resume}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("harness: interrupted; finished generations are cached, rerun to resume",
              file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
