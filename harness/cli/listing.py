"""``harness tasks``, ``harness models``, ``harness metrics``: what is registered, with each
plugin's options read from their declarations."""
from __future__ import annotations

import argparse
import dataclasses
import json
import shutil
import textwrap
from typing import Any

from harness.options import describe_options
from harness.registry import metrics, models, tasks
from harness.task import get_task


def cmd_tasks(args: argparse.Namespace) -> int:
    rows = [get_task(name).describe() for name in tasks.names()]
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    _print_columns(["name", "family", "source", "metrics"],
                   [[r["name"], r["family"], r["source"], ",".join(r["metrics"])] for r in rows])
    return 0


def cmd_models(args: argparse.Namespace) -> int:
    # the input under default --model-args; an option that changes it is listed with its choices
    _print_plugins([(name, {"input": cls.input_kind_for(cls.parse_args({})).value}, cls)
                    for name, cls in models.items()], "--model-args", args.json)
    return 0


def cmd_metrics(args: argparse.Namespace) -> int:
    # a learned metric's weights carry a licence of their own (some non-commercial)
    _print_plugins([(name, {"better": "higher" if cls.higher_is_better else "lower",
                            **({"licence": cls.licence} if getattr(cls, "licence", "") else {})}, cls)
                    for name, cls in metrics.items()], "options", args.json)
    return 0


def _print_plugins(rows: list[tuple[str, dict[str, str], Any]], what: str, as_json: bool) -> None:
    """Each plugin's name and description, then one line per declared option: name, type,
    default, help and choices, read from the option declarations themselves."""
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
