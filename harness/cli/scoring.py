"""``harness score``: existing outputs against references, with sacrebleu's habits."""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from harness.cli.values import parse_metrics
from harness.engine import EngineSettings
from harness.errors import UsageError
from harness.reports.table import format_table, reported_lines
from harness.run.existing import ScoreFiles, score_files
from harness.run.options import RunOptions


def cmd_score(args: argparse.Namespace) -> int:
    references = [*args.refs, *(args.references or [])]
    if not references:
        raise UsageError("no reference file: give them after the command or with -r REF [REF ...] "
                         "(plain text, one segment a line; several files, several references)")
    files = ScoreFiles(references=tuple(map(Path, references)), systems=tuple(map(Path, args.input)),
                       names=tuple(args.name or ()), task=args.task, task_name=args.task_name,
                       language_pair=args.language_pair,
                       source=Path(args.source) if args.source else None)
    # sacrebleu's -m bleu chrf, and harness run's --metrics bleu,chrf, alike
    metrics = ",".join(args.metrics) if args.metrics else None
    if metrics is not None and not metrics.strip(" ,"):
        raise UsageError("--metrics: no metric named; leave the option out for the task's metrics")
    options = RunOptions(metrics=parse_metrics(metrics), seed=args.seed, output=Path(args.output),
                         n_bootstrap=args.bootstrap, postprocess=args.postprocess)
    settings = EngineSettings(progress=False, use_cache=not args.no_cache)
    records = score_files(files, options, settings)
    if args.json or args.format == "json":  # a list, however many systems: scripts index it
        print(json.dumps([r.to_dict() for r in records], indent=2, ensure_ascii=False))
        return 0
    print(format_table(records))
    for line in reported_lines(records):
        print(line)
    print("\nrun folders:")
    for rec in records:
        print(f"  {rec.folder}")
    return 0
