"""What reports need from run records beyond the record itself: labels, examples, paired rows.

Statistics rows follow ``samples.jsonl`` with failed examples left out, so the id of each
row is read from the samples once per run folder and kept.
"""
from __future__ import annotations

import fnmatch
import json
from collections import Counter, defaultdict
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Sequence

import numpy as np

from harness.errors import DataError, UsageError
from harness.record import RunRecord
from harness.record.key import RunKey, describe_value
from harness.record.store import slug
from harness.signature import Signature


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
        raise DataError(f"run {record.run_id}: not read from disk; load it with harness.load_runs")
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


# Rows are systems, columns are metric signatures: what only changes a score's signature
# (metric options) or its interval (bootstrap seed and size) starts a column, not a row.
NOT_A_SYSTEM = ("metrics", "seed", "n_bootstrap")


def system_labels(records: Sequence[RunRecord], unique: bool = False) -> list[str]:
    """One name per run, for the systems a table shows: the system's name (``harness score
    --name``) or model spec, and where runs of one name on one task differ in what shapes
    their outputs (run key fields but NOT_A_SYSTEM), those fields: ``lead-3 [postprocess:
    none]``, ``lead-3 [postprocess: first_line]``. Runs of a name that agree on them share it
    across tasks (one leaderboard row). ``unique``: two runs of one task never share a name
    (the run id is added)."""
    by_spec: dict[str, list[int]] = defaultdict(list)
    for i, r in enumerate(records):
        by_spec[r.model.label].append(i)
    names = [r.model.label for r in records]
    keys = [r.identity() for r in records]
    for spec, members in by_spec.items():
        fields = _telling_fields([(records[i].task.name, keys[i]) for i in members])
        peers = [keys[j] for j in members]
        for i in members:
            parts = [f"{f}: {_field_text(records[i], keys[i], f, peers)}" for f in fields]
            names[i] = f"{spec} [{'; '.join(parts)}]" if parts else spec
    if not unique:
        return names
    seen = Counter((n, r.task.name) for n, r in zip(names, records))
    return [f"{n}@{r.run_id}" if seen[(n, r.task.name)] > 1 else n for n, r in zip(names, records)]


def _telling_fields(runs: Sequence[tuple[str, RunKey]]) -> list[str]:
    """The key fields that shape outputs in which two runs of one task differ, in key order."""
    found: set[str] = set()
    for task, key in runs:
        for other_task, other in runs:
            if other_task == task:
                found.update(key.differences(other))
    return [f for f in RunKey.model_fields if f in found and f not in NOT_A_SYSTEM]


def _field_text(record: RunRecord, key: RunKey, field: str, peers: Sequence[RunKey]) -> str:
    if field == "data" and record.task.data_override:
        return Path(record.task.data_override).name
    value = getattr(key, field)
    others = [getattr(p, field) for p in peers if getattr(p, field) != value]
    return describe_value(field, value, others)


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


def example_scores(record: RunRecord, name: str, ids: Sequence[str], stats: np.ndarray) -> np.ndarray:
    """Per-example scores of ``name`` on the rows ``stats`` (of the examples ``ids``): from the
    statistics where the metric defines them, else as the samples stored them (NaN: none)."""
    values = record.score(name).metric().per_example(stats)
    if values is None:
        by_id = {str(s["id"]): s for s in samples(record)}
        values = [(by_id[i].get("scores") or {}).get(name, np.nan) for i in ids]
    return np.asarray(values, dtype=float)


def differences(a: RunRecord, b: RunRecord, metrics: Sequence[str]) -> list[str]:
    """Why two runs of a task are not comparable: data, example ids, signature fields."""
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
    return slug(text, keep="+")
