"""The `harness` command: each command reads its arguments (``cli/parser.py``) and calls the
library. A command's module is imported only when it runs, so ``harness tasks`` starts
without the metrics, the run layer or torch."""
from __future__ import annotations

import importlib
import os
import sys
from typing import Sequence

from harness.cli.parser import build_parser
from harness.cli.values import parse_kv, parse_metrics
from harness.errors import HarnessError

__all__ = ["main", "parse_kv", "parse_metrics"]

# command -> (module under harness.cli, function)
COMMANDS = {"tasks": ("listing", "cmd_tasks"), "models": ("listing", "cmd_models"),
            "metrics": ("listing", "cmd_metrics"), "run": ("running", "cmd_run"),
            "score": ("scoring", "cmd_score"),
            "merge": ("running", "cmd_merge"), "demo": ("demo", "cmd_demo"),
            "compare": ("reports", "cmd_compare"), "power": ("reports", "cmd_power"),
            "leaderboard": ("reports", "cmd_leaderboard"), "sweep": ("reports", "cmd_sweep"),
            "report": ("reports", "cmd_report")}


def _command(name: str):
    module, function = COMMANDS[name]
    return getattr(importlib.import_module(f"harness.cli.{module}"), function)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
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
        resume = "; finished generations are cached, rerun to resume" if args.command == "run" else ""
        print(f"harness: error: {where}{err.strerror or err}{resume}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("harness: interrupted; finished generations are cached, rerun to resume",
              file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
