"""``harness run``, ``harness merge`` and ``harness clean``: evaluate a model, merge a job
array's shards, clear what killed runs left."""
from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path

from harness import machine
from harness.cli.values import parse_kv, parse_metrics
from harness.engine import EngineSettings
from harness.errors import UsageError
from harness.reports.table import format_table, reported_lines, throughput_line
from harness.run.clean import clean
from harness.run.merge import merge_paths
from harness.run.options import RunOptions
from harness.run.runner import evaluate


def cmd_run(args: argparse.Namespace) -> int:
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
        shard=dataclasses.replace(args.shard, key=args.shard_key) if args.shard else None,
        task_name=args.task_name, language_pair=args.language_pair)
    if args.shard_key and not args.shard:
        raise UsageError("--shard-key names the shards of one run; give --shard I/N with it")
    records = evaluate(args.model, task_names, options, model_args=_model_args(args),
                       engine_settings=settings)
    if machine.rank() != 0:  # a torchrun rank other than 0: rank 0 reports for all
        return 0
    return _print_records(records, args.json)


def _model_args(args: argparse.Namespace) -> dict:
    """--model-args, with --predictions-format as the predictions model's ``format``."""
    model_args = parse_kv(args.model_args, "--model-args")
    if args.predictions_format is None:
        return model_args
    if args.model.split(":", 1)[0] != "predictions":
        raise UsageError(f"--predictions-format reads a file of existing outputs; give it with "
                         f"--model predictions:FILE, not {args.model!r}")
    if model_args.get("format", args.predictions_format) != args.predictions_format:
        raise UsageError(f"--predictions-format {args.predictions_format} and --model-args "
                         f"format={model_args['format']} disagree; give one of them")
    return {**model_args, "format": args.predictions_format}


def _print_records(records: list, as_json: bool) -> int:
    if as_json:
        dicts = [r.to_dict() for r in records]
        print(json.dumps(dicts if len(dicts) != 1 else dicts[0], indent=2, ensure_ascii=False))
        return 0
    if not records:  # a shard whose siblings are still running: it said so on stderr
        return 0
    for rec in records:
        print(throughput_line(rec), file=sys.stderr)
    print(format_table(records))
    for line in reported_lines(records):
        print(line)
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
    outcomes = merge_paths(args.paths, Path(args.output) if args.output else None)
    for outcome in outcomes:
        print(f"harness: {outcome.note}", file=sys.stderr)
    return _print_records([o.record for o in outcomes], args.json)


def cmd_clean(args: argparse.Namespace) -> int:
    removed = clean(Path(args.path), dry_run=args.dry_run)
    verb = "would remove" if args.dry_run else "removed"
    for path in removed:
        print(f"{verb} {path}")
    print(f"harness: {verb} {len(removed)} leftover{'s' if len(removed) != 1 else ''} of killed "
          f"runs under {args.path}", file=sys.stderr)
    return 0
