"""``harness compare``, ``power``, ``leaderboard``, ``sweep`` and ``report``: read run records, print or
write what they show."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from harness.cli.values import parse_kv, parse_metrics
from harness.reports.compare import CompareSettings, compare_paths
from harness.reports.compare_format import format_compare
from harness.reports.html import write_report
from harness.reports.leaderboard import LeaderboardSettings, build_leaderboard
from harness.reports.leaderboard_format import format_leaderboard
from harness.reports.power import PowerSettings, format_power, power_paths
from harness.reports.runs import split_list
from harness.reports.segments import SegmentSettings, segment_paths
from harness.reports.segments_format import format_segments, write_plots
from harness.reports.sweep import SweepSettings, format_sweep, run_sweep


def _format(args: argparse.Namespace) -> str:
    return "json" if getattr(args, "json", False) else args.format


def cmd_compare(args: argparse.Namespace) -> int:
    if args.segments:
        return _segments(args)
    settings = CompareSettings(n_bootstrap=args.bootstrap, n_randomization=args.randomization,
                               seed=args.seed, correction=args.correction, alpha=args.alpha,
                               force=args.force, examples=args.examples or 0,
                               metrics=split_list(args.metrics), include_partial=args.include_partial)
    print(format_compare(compare_paths([args.baseline, *args.systems], settings), _format(args)))
    return 0


def cmd_power(args: argparse.Namespace) -> int:
    settings = PowerSettings(delta=args.delta, alpha=args.alpha, power=args.power, correlation=args.correlation,
                             n_bootstrap=args.bootstrap, seed=args.seed, metrics=split_list(args.metrics))
    print(format_power(power_paths(args.runs, settings), settings, _format(args)))
    return 0


def _segments(args: argparse.Namespace) -> int:
    examples = 5 if args.examples is None else args.examples
    settings = SegmentSettings(n_bootstrap=args.bootstrap, seed=args.seed, buckets=max(args.buckets, 1),
                               examples=examples, metrics=split_list(args.metrics), force=args.force,
                               include_partial=args.include_partial)
    result = segment_paths([args.baseline, *args.systems], settings)
    print(format_segments(result, _format(args)))
    if args.plots:  # named on stderr: stdout stays the table (or the JSON)
        for path in write_plots(result, Path(args.plots)):
            print(f"plot written: {path}", file=sys.stderr)
    return 0


def cmd_leaderboard(args: argparse.Namespace) -> int:
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
    settings = SweepSettings(model_type=args.model_type, tasks=split_list(args.tasks),
                             output=Path(args.output), limit=args.limit, seed=args.seed,
                             metrics=parse_metrics(args.metrics),  # options too, as run takes them
                             gen_kwargs=parse_kv(args.gen_kwargs, "--gen-kwargs"),
                             model_args=parse_kv(args.model_args, "--model-args"),
                             data=Path(args.data) if args.data else None,
                             postprocess=args.postprocess, n_bootstrap=args.bootstrap,
                             plots=Path(args.plots) if args.plots else None)
    result = run_sweep(args.checkpoints, settings, log=lambda line: print(line, file=sys.stderr))
    print(format_sweep(result, _format(args)))
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    path = write_report(args.results, Path(args.output), title=args.title,
                        settings=LeaderboardSettings(include_partial=args.include_partial))
    print(f"report written: {path}")
    return 0
