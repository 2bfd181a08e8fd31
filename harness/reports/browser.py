"""What the HTML report's sample browser and distributions are drawn from.

Systems are named as the leaderboard names them (``runs.system_labels``: the model, and what
differs between runs of it), and a task shows the runs its leaderboard columns show: where a
system ran a task twice, the newest. Caps are stated, never silent: the page says "2,000 of
2,037 examples" wherever one applies.
"""
from __future__ import annotations

import base64
import io
import os
from pathlib import Path
from typing import Sequence

import numpy as np

from harness.record import RunRecord
from harness.reports import runs as R
from harness.reports.segments import report_pairs

MAX_SAMPLES = 2000  # per run: a browser stays responsive, and the file stays a few MB
MAX_ROWS = 200  # rows the sample browser draws at once
MAX_THUMBNAILS = 500  # per task: ~4 KB of base64 each, so 2 MB at most
THUMBNAIL_PX = 96  # longest side
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".gif", ".bmp", ".webp", ".tif", ".tiff")


def shown_systems(records: Sequence[RunRecord], order: Sequence[str] = ()) -> dict[str, dict[str, RunRecord]]:
    """task -> system label -> its run (the newest where a system ran a task twice), systems in
    ``order`` (the leaderboard's rows) first."""
    labels = R.system_labels(records)
    out: dict[str, dict[str, RunRecord]] = {}
    for record, label in sorted(zip(records, labels), key=lambda x: (x[0].created, x[0].run_id)):
        out.setdefault(record.task.name, {})[label] = record  # the newest wins, as in the leaderboard
    rank = {name: i for i, name in enumerate(order)}
    return {task: dict(sorted(systems.items(), key=lambda x: rank.get(x[0], len(rank))))
            for task, systems in sorted(out.items())}


def sample_data(records: Sequence[RunRecord], order: Sequence[str] = (), max_samples: int = MAX_SAMPLES) -> dict:
    """Per task: its examples once, and each system's predictions and per-example scores."""
    tasks: dict[str, dict] = {}
    for task_name, systems in shown_systems(records, order).items():
        task = tasks.setdefault(task_name, {"metrics": [], "examples": {}, "models": {}, "thumbnails": [0, 0]})
        for name, record in systems.items():
            task["metrics"] += [m for m in record.scores if m not in task["metrics"]]
            rows = R.samples(record)
            outputs = {}
            for s in rows[:max_samples]:
                sid = str(s["id"])
                if sid not in task["examples"]:
                    task["examples"][sid] = _example(record, s, task["thumbnails"])
                outputs[sid] = {"prediction": _text(s.get("prediction")),
                                "scores": {k: v for k, v in (s.get("scores") or {}).items() if finite(v)}}
            task["models"][name] = {"run": str(record.folder), "outputs": outputs, "kept": len(outputs),
                                    "total": len(rows)}
        task["pairwise"] = report_pairs(systems)
    default = max(tasks, key=lambda t: len(tasks[t]["models"]), default=None)  # a task with two systems to set side by side
    return {"tasks": tasks, "default_task": default, "max_rows": MAX_ROWS, "max_samples": max_samples}


def capped(data: dict) -> list[str]:
    """One line per run whose examples the report cuts: "2,000 of 2,037 examples"."""
    out = []
    for task_name, task in data["tasks"].items():
        for name, model in task["models"].items():
            if model["kept"] < model["total"]:
                out.append(f"{task_name}, {name}: the sample browser keeps {model['kept']:,} of "
                           f"{model['total']:,} examples (the first {data['max_samples']:,} of each run)")
        shown, images = task["thumbnails"]
        if shown < images:
            out.append(f"{task_name}: thumbnails for {shown:,} of {images:,} images (the first {MAX_THUMBNAILS:,})")
    return out


def _example(record: RunRecord, sample: dict, thumbnails: list[int]) -> dict:
    value = sample.get("input")
    out = {"input": _text(value), "references": [str(r) for r in sample.get("references") or []]}
    if isinstance(value, str) and Path(value).suffix.lower() in IMAGE_SUFFIXES:
        out["input"] = shown_path(value, record)
        thumbnails[1] += 1
        if thumbnails[0] < MAX_THUMBNAILS:
            thumb = thumbnail(Path(value))
            if thumb:
                out["thumb"] = thumb
                thumbnails[0] += 1
    return out


def shown_path(path: str, record: RunRecord) -> str:
    """An image path as the data file names it: relative to the data file's folder."""
    source = record.task.data_override or record.task.source.removeprefix("file:")
    base = Path(source).parent
    try:
        return Path(os.path.relpath(path, base)).as_posix() if Path(path).is_relative_to(base) else Path(path).name
    except ValueError:  # another drive
        return Path(path).name


def thumbnail(path: Path) -> str | None:
    """A small JPEG of the image, base64; None where it cannot be read (the path is still shown)."""
    try:
        from PIL import Image
    except ImportError:
        return None
    try:
        with Image.open(path) as image:
            image.thumbnail((THUMBNAIL_PX, THUMBNAIL_PX))
            buf = io.BytesIO()
            image.convert("RGB").save(buf, "JPEG", quality=70, optimize=True)
    except (OSError, ValueError):
        return None
    return base64.b64encode(buf.getvalue()).decode("ascii")


def per_example_scores(records: Sequence[RunRecord], order: Sequence[str] = ()) -> dict[str, dict[str, list[float]]]:
    """``"task metric"`` -> system -> the per-example scores of the task's first metric."""
    out: dict[str, dict[str, list[float]]] = {}
    for task_name, systems in shown_systems(records, order).items():
        for name, record in systems.items():
            if not record.scores:
                continue
            metric = next(iter(record.scores))
            values = [s["scores"][metric] for s in R.samples(record) if finite((s.get("scores") or {}).get(metric))]
            if values:
                out.setdefault(f"{task_name} {metric}", {})[name] = values
    return out


def _text(value) -> str:
    return "" if value is None else str(value)


def finite(value) -> bool:
    return isinstance(value, (int, float)) and bool(np.isfinite(value))
