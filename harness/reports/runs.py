"""What reports need from run records beyond the record itself: labels, examples, paired rows.

Statistics rows follow ``samples.jsonl`` with failed examples left out, so the id of each
row is read from the samples once per run folder and kept.
"""
from __future__ import annotations

import fnmatch
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Sequence

import numpy as np

from harness.errors import DataError, UsageError
from harness.record import RunRecord


@lru_cache(maxsize=256)
def _samples(folder: Path, name: str) -> tuple[dict, ...]:
    path = folder / name
    try:
        with open(path, encoding="utf-8") as f:
            return tuple(json.loads(line) for line in f if line.strip())
    except (OSError, json.JSONDecodeError) as err:
        raise DataError(f"{path}: not readable ({err}); rerun the task to rewrite it") from None


def samples(record: RunRecord) -> tuple[dict, ...]:
    """Every example of the run as stored in samples.jsonl (failed ones carry ``error``)."""
    if record.folder is None:
        raise DataError(f"run {record.run_id}: not read from disk; load it with harness.store.load_runs")
    return _samples(record.folder, record.files.samples)


def scored_ids(record: RunRecord) -> list[str]:
    """Example ids in statistics-row order: the samples that were scored."""
    ids = [str(s["id"]) for s in samples(record) if not s.get("error")]
    if len(ids) != record.n_scored:
        raise DataError(f"{record.folder}: samples.jsonl has {len(ids)} scored examples, the record "
                        f"says {record.n_scored}; the run folder is inconsistent, rerun the task")
    return ids


def stored_metrics(record: RunRecord) -> list[str]:
    """Metrics whose per-example statistics are stored (only those can be tested)."""
    return [name for name, entry in record.scores.items() if entry.stats and entry.spec]


def label(record: RunRecord) -> str:
    return record.model.spec


def unique_labels(records: Sequence[RunRecord]) -> list[str]:
    """Model specs, with the run id added where two runs of one model on one task would share a name."""
    keys = [(label(r), r.task.name) for r in records]
    return [f"{k[0]}@{r.run_id}" if keys.count(k) > 1 else k[0] for k, r in zip(keys, records)]


@dataclass(frozen=True)
class Pairing:
    """Row indices that put two runs' statistics on the same examples, in the first run's order."""

    ids: tuple[str, ...]
    rows_a: np.ndarray
    rows_b: np.ndarray


def pair_rows(a: RunRecord, b: RunRecord) -> Pairing:
    ids_a, ids_b = scored_ids(a), scored_ids(b)
    where_b = {i: k for k, i in enumerate(ids_b)}
    common = [(k, where_b[i]) for k, i in enumerate(ids_a) if i in where_b]
    return Pairing(tuple(ids_a[k] for k, _ in common), np.array([k for k, _ in common], dtype=int),
                   np.array([k for _, k in common], dtype=int))


def differences(a: RunRecord, b: RunRecord, metrics: Sequence[str]) -> list[str]:
    """Why two runs of a task are not comparable: data, example ids, signature fields."""
    from harness.signature import Signature
    out = []
    if a.task.data_fingerprint != b.task.data_fingerprint:
        out.append(f"data fingerprint: {a.task.data_fingerprint[:8]} vs {b.task.data_fingerprint[:8]}")
    ids_a, ids_b = set(scored_ids(a)), set(scored_ids(b))
    if ids_a != ids_b:
        out.append(f"example ids: {len(ids_a - ids_b)} only in the baseline, {len(ids_b - ids_a)} only "
                   f"in the system, {len(ids_a & ids_b)} shared")
    for name in metrics:
        sig_a = Signature.parse(a.score(name).signature).without("data")
        sig_b = Signature.parse(b.score(name).signature).without("data")
        out.extend(f"{name} signature {d}" for d in sig_a.diff(sig_b))
    return out


def matches(name: str, patterns: Sequence[str]) -> bool:
    """``--models``/``--tasks``/``--metrics`` filters: globs, any of which may match."""
    return not patterns or any(fnmatch.fnmatchcase(name, p) for p in patterns)


def split_list(text: str | None) -> tuple[str, ...]:
    return tuple(t.strip() for t in (text or "").split(",") if t.strip())


def check_choice(value: str, choices: Sequence[str], what: str) -> str:
    if value not in choices:
        raise UsageError(f"{what}: {value!r} is not one of {', '.join(choices)}")
    return value


def safe_name(text: str) -> str:
    """A file name from task and metric names (``chrf++`` and YAML paths included)."""
    from harness.store import slug
    return slug(text.replace("+", "p"))
