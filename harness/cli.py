"""`harness` command line: parses arguments and calls the library; no logic of its own."""
from __future__ import annotations

import argparse
import json
import os
import re
import sys
from pathlib import Path
from typing import Any, Sequence

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


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is not a positive integer (1 or more)")
    return value


def natural_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{value} is negative")
    return value


def given(text: str) -> str:
    """A value that may not be empty: ``--data "$UNSET"`` must not mean "no --data"."""
    if not text.strip():
        raise argparse.ArgumentTypeError("empty; give a value or leave the option out")
    return text


def batch_size(text: str) -> Any:
    if text.strip().lower() == "auto":
        return "auto"
    try:
        return positive_int(text)
    except argparse.ArgumentTypeError as err:
        raise argparse.ArgumentTypeError(f"{err}; give 'auto' or a number of rows") from None


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
    from harness.options import describe_options
    rows = [[name, cls.input_kind.value, cls.description,
             ",".join(row.name for row in describe_options(cls.Options))]
            for name, cls in models.items()]
    _print_columns(["name", "input", "description", "model-args"], rows)
    return 0


def cmd_metrics(args: argparse.Namespace) -> int:
    from harness.options import describe_options
    from harness.registry import metrics
    rows = [[name, "higher" if cls.higher_is_better else "lower", cls.description,
             ",".join(row.name for row in describe_options(cls.Options))] for name, cls in metrics.items()]
    _print_columns(["name", "better", "description", "options"], rows)
    return 0


def _print_columns(header: list[str], rows: list[list[str]]) -> None:
    widths = [max(len(h), *(len(str(r[i])) for r in rows)) if rows else len(h)
              for i, h in enumerate(header)]
    for row in [header, ["-" * w for w in widths], *rows]:
        print("  ".join(str(c).ljust(w) for c, w in zip(row, widths)).rstrip())


def cmd_run(args: argparse.Namespace) -> int:
    from harness.engine import EngineSettings
    from harness.pipeline import RunOptions, evaluate
    from harness.reports.table import format_table, throughput_line

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
                              **({"cache_dir": Path(args.cache_dir)} if args.cache_dir else {}))
    options = RunOptions(
        limit=args.limit, seed=args.seed, output=Path(args.output),
        metrics=parse_metrics(args.metrics),
        gen_kwargs=parse_kv(args.gen_kwargs, "--gen-kwargs"),
        data=Path(args.data) if args.data else None, n_bootstrap=args.bootstrap,
        postprocess=args.postprocess, allow_outside_paths=args.allow_outside_paths)
    records = evaluate(args.model, task_names, options,
                       model_args=parse_kv(args.model_args, "--model-args"),
                       engine_settings=settings)
    if args.json:
        dicts = [r.to_dict() for r in records]
        print(json.dumps(dicts if len(dicts) > 1 else dicts[0], indent=2, ensure_ascii=False))
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
                               metrics=split_list(args.metrics))
    print(format_compare(compare_paths([args.baseline, *args.systems], settings), _format(args)))
    return 0


def cmd_leaderboard(args: argparse.Namespace) -> int:
    from harness.reports.leaderboard import LeaderboardSettings, build_leaderboard
    from harness.reports.leaderboard_format import format_leaderboard
    from harness.reports.runs import split_list
    settings = LeaderboardSettings(tasks=split_list(args.tasks), metrics=split_list(args.metrics),
                                   models=split_list(args.models), sort=args.sort, digits=args.round,
                                   alpha=args.alpha, correction=args.correction,
                                   n_bootstrap=args.bootstrap, seed=args.seed)
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
                             plots=Path(args.plots) if args.plots else None)
    result = run_sweep(args.checkpoints, settings, log=lambda line: print(line, file=sys.stderr))
    print(format_sweep(result, _format(args)))
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from harness.reports.html import write_report
    path = write_report(args.results, Path(args.output), title=args.title)
    print(f"report written: {path}")
    return 0


def _add_output_format(p: argparse.ArgumentParser, formats: tuple[str, ...]) -> None:
    p.add_argument("--format", choices=formats, default="text", help="output format (default: a terminal table)")
    p.add_argument("--json", action="store_true", help="same as --format json")


def _add_report_commands(sub) -> None:
    p = sub.add_parser("compare", help="paired significance tests of systems against a baseline")
    p.add_argument("baseline", help="run folder, its run.json, a task folder or a model folder")
    p.add_argument("systems", nargs="+", help="one or more systems, each tested against the baseline")
    p.add_argument("--metrics", help="comma-separated metric names or globs (default: every stored one)")
    p.add_argument("--bootstrap", type=int, default=1000, help="paired bootstrap resamples")
    p.add_argument("--randomization", type=int, default=10000, help="approximate randomization trials")
    p.add_argument("--seed", type=int, default=12345, help="resampling seed (default: sacrebleu's)")
    p.add_argument("--correction", choices=("none", "holm", "bonferroni"), default="none",
                   help="multiple-testing correction over all tests (default none: raw p-values, "
                        "the number of tests stated)")
    p.add_argument("--alpha", type=float, default=0.05, help="significance level of the verdict")
    p.add_argument("--force", action="store_true", help="compare runs whose data, example ids or "
                   "signatures differ (every affected row says so)")
    p.add_argument("--examples", type=int, default=0, metavar="K",
                   help="show the K examples that moved most per metric")
    _add_output_format(p, ("text", "md", "csv", "latex", "json"))
    p.set_defaults(func=cmd_compare)

    p = sub.add_parser("leaderboard", help="models x task metrics with ranks, CIs and significance clusters")
    p.add_argument("results", nargs="+", help="results folders (or model/task/run folders)")
    p.add_argument("--tasks", help="comma-separated task names or globs")
    p.add_argument("--metrics", help="comma-separated metric names or globs")
    p.add_argument("--models", help="comma-separated model spec globs, e.g. 'hf-*,predictions:*'")
    p.add_argument("--sort", metavar="TASK:METRIC", help="order rows by this column (default: the first)")
    p.add_argument("--round", type=int, default=2, metavar="N", help="decimals shown (default 2)")
    p.add_argument("--alpha", type=float, default=0.05, help="significance level of the clusters")
    p.add_argument("--correction", choices=("none", "holm", "bonferroni"), default="none",
                   help="correction over each column's pairwise tests (default none)")
    p.add_argument("--bootstrap", type=int, default=1000, help="paired bootstrap resamples for clusters")
    p.add_argument("--seed", type=int, default=12345)
    _add_output_format(p, ("text", "md", "csv", "latex", "html", "json"))
    p.set_defaults(func=cmd_leaderboard)

    p = sub.add_parser("sweep", help="evaluate every checkpoint of a training run; curves and tests")
    p.add_argument("checkpoints", nargs="+", help="a folder of checkpoint-N/ folders, or checkpoint paths")
    p.add_argument("--model-type", required=True, choices=("hf-causal", "hf-seq2seq", "hf-vision2seq"))
    p.add_argument("--tasks", required=True, help="comma-separated task names or YAML paths")
    p.add_argument("--output", default="results", help="where run records go (default results/)")
    p.add_argument("--plots", help="where curves go (default <output>/sweeps/<run name>/)")
    p.add_argument("--metrics", help="comma-separated subset of the task's metrics")
    p.add_argument("--limit", type=int)
    p.add_argument("--data", help="local JSONL replacing the task's data source")
    p.add_argument("--seed", type=int, default=12345)
    p.add_argument("--gen-kwargs", help="key=value,... e.g. max_new_tokens=64")
    p.add_argument("--model-args", help="key=value,... e.g. dtype=bfloat16")
    _add_output_format(p, ("text", "md", "csv", "latex", "json"))
    p.set_defaults(func=cmd_sweep)

    p = sub.add_parser("report", help="one self-contained HTML report of a results folder")
    p.add_argument("results", nargs="+", help="results folders")
    p.add_argument("-o", "--output", default="report.html", help="the HTML file to write")
    p.add_argument("--title", default="harness report")
    p.set_defaults(func=cmd_report)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="harness", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("tasks", help="list registered tasks")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_tasks)
    sub.add_parser("models", help="list registered model types").set_defaults(func=cmd_models)
    sub.add_parser("metrics", help="list registered metrics and their options").set_defaults(
        func=cmd_metrics)

    p = sub.add_parser("run", help="evaluate a model on tasks")
    p.add_argument("--model", type=given, required=True, help="kind:location, e.g. hf-seq2seq:t5-small, "
                   "predictions:preds.jsonl, lead-3")
    p.add_argument("--tasks", required=True, help="comma-separated task names or YAML paths")
    p.add_argument("--model-args", help="key=value,... e.g. dtype=bfloat16,revision=main")
    p.add_argument("--gen-kwargs", help="key=value,... e.g. max_new_tokens=64,num_beams=4; "
                   "a list as JSON, e.g. stop='[\"a,b\", \"\\\\n\"]'")
    p.add_argument("--limit", type=positive_int, help="first N examples in the task's canonical order")
    p.add_argument("--metrics", type=given, help="comma-separated subset of the task's metrics")
    p.add_argument("--data", type=given, help="local JSONL/TSV/CSV replacing the task's data source")
    p.add_argument("--allow-outside-paths", action="store_true",
                   help="read images (and a task file's data) outside the data file's (task "
                        "file's) folder; refused by default")
    p.add_argument("--seed", type=natural_int, default=12345,
                   help="fixes sampling and the bootstrap (default: sacrebleu's 12345)")
    p.add_argument("--output", type=given, default="results")
    p.add_argument("--json", action="store_true", help="print the run record(s) only")
    p.add_argument("--batch-size", type=batch_size, default="auto", help="'auto' (token budget) or a fixed count")
    p.add_argument("--max-batch-tokens", type=positive_int, help="token budget per batch")
    p.add_argument("--no-cache", action="store_true", help="neither read nor write the cache")
    p.add_argument("--on-error", choices=("fail", "skip"), default="fail",
                   help="an example the model cannot answer (an unreadable image, a request "
                        "that keeps failing): stop naming it (fail, default), or record it, "
                        "score the rest and mark the run partial (skip); a rerun retries it")
    p.add_argument("--cache-dir", type=given, help="generation cache folder (default ~/.cache/harness)")
    p.add_argument("--no-progress", action="store_true")
    p.add_argument("--bootstrap", type=natural_int, default=1000, help="resamples for 95%% CIs (0: none)")
    p.add_argument("--postprocess", type=given, help="what to do to outputs before scoring: 'task' (the "
                   "task's steps), 'none', or steps, e.g. strip,first_line (default: 'none' for "
                   "a predictions file, which is scored as written; 'task' otherwise)")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("demo", help="offline demo: tiny local models on the demo tasks")
    p.add_argument("--output", default="results/demo")
    p.add_argument("--quick", action="store_true", help="fewer examples")
    p.set_defaults(func=cmd_demo)
    _add_report_commands(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except HarnessError as err:
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
