"""The `harness` command: each command reads its arguments (``cli/parser.py``) and calls the
library. A command's module is imported only when it runs, so ``harness tasks`` starts
without the metrics, the run layer or torch."""
from __future__ import annotations

import argparse
import functools
import importlib
import os
import signal
import sys
import threading
from typing import Any, Sequence

from harness import machine
from harness.cli.parser import build_parser, dash_values
from harness.cli.values import parse_kv, parse_metrics
from harness.errors import HarnessError
from harness.registry import models

__all__ = ["main", "parse_kv", "parse_metrics"]

# command -> (module under harness.cli, function)
COMMANDS = {"tasks": ("listing", "cmd_tasks"), "models": ("listing", "cmd_models"),
            "metrics": ("listing", "cmd_metrics"), "run": ("running", "cmd_run"),
            "score": ("scoring", "cmd_score"), "merge": ("running", "cmd_merge"),
            "clean": ("running", "cmd_clean"), "demo": ("demo", "cmd_demo"),
            "compare": ("reports", "cmd_compare"), "power": ("reports", "cmd_power"),
            "leaderboard": ("reports", "cmd_leaderboard"), "sweep": ("reports", "cmd_sweep"),
            "report": ("reports", "cmd_report")}


def _command(name: str):
    module, function = COMMANDS[name]
    return getattr(importlib.import_module(f"harness.cli.{module}"), function)


class Terminated(KeyboardInterrupt):
    """SIGTERM (a scheduler's time limit, ``kill``), raised where Ctrl-C would be: the run
    stops the same way, its cache committed and its temporaries removed on the way out."""


def _terminated(main_pid: int, signum: int, frame: Any) -> None:
    if os.getpid() != main_pid:  # a forked metric worker, stopped by its pool: die quietly
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)
        return
    raise Terminated


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(dash_values(parser, sys.argv[1:] if argv is None else argv))
    # under torchrun the launcher owns the ranks' signals; elsewhere a SIGTERM unwinds
    previous = signal.signal(signal.SIGTERM, functools.partial(_terminated, os.getpid())) \
        if machine.world_size() == 1 and threading.current_thread() is threading.main_thread() else None
    try:
        return _command(args.command)(args)
    except HarnessError as err:
        if not getattr(err, "shown", False):  # a torchrun rank whose error rank 0 prints
            print(f"harness: error: {err}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # `harness tasks | head`: the reader has what it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no error at exit
        return 1
    except OSError as err:  # a full disk, a folder made read-only mid-run: what and where
        where = f"{err.filename}: " if err.filename else ""
        print(f"harness: error: {where}{err.strerror or err}{_resume(args)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt as stop:
        terminated = isinstance(stop, Terminated)
        print(f"harness: {'terminated' if terminated else 'interrupted'}{_resume(args)}",
              file=sys.stderr)
        return 128 + (signal.SIGTERM if terminated else signal.SIGINT)
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _resume(args: argparse.Namespace) -> str:
    """What a stopped run keeps: its finished generations, where its model's are cached."""
    if args.command != "run":
        return ""
    try:
        cached = not args.no_cache and models.get(args.model.partition(":")[0]).cacheable
    except HarnessError:
        cached = False  # an unknown model kind: nothing was generated
    return ("; finished generations are cached, rerun to resume" if cached
            else "; nothing of it was kept (this model's outputs are never cached): rerun it")


if __name__ == "__main__":
    sys.exit(main())
