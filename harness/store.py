"""Writing and reading run records, per-example samples and metric statistics.

One folder per (model, task): ``<output>/<model-slug>/<task>/`` holding ``run.json``,
``samples.jsonl`` and ``stats/<metric>.npy``. Every file is written to a temporary name
and renamed, so a killed run never leaves a half-written record.
"""
from __future__ import annotations

import json
import os
import re
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping

SCHEMA_VERSION = 1


@dataclass(frozen=True)
class RunRecord:
    """Everything needed to trust, compare and reproduce one task's scores (run.json)."""

    task: Mapping[str, Any]  # name, version, family, source, data_fingerprint, n_examples, limit
    model: Mapping[str, Any]  # spec, kind, locator, args, fingerprint
    generation: Mapping[str, Any]  # the GenerateConfig used
    seed: int
    scores: Mapping[str, Mapping[str, Any]]  # task -> metric -> {score, signature, ci95, ...}
    timings: Mapping[str, Any]  # seconds per phase, throughput, engine accounting
    environment: Mapping[str, Any]  # versions, harness revision, hardware, command line
    created: str
    schema_version: int = SCHEMA_VERSION
    files: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict:
        out = asdict(self)
        return {"schema_version": out.pop("schema_version"), **out}


def slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("_") or "model"


def run_dir(output: Path, model_spec: str, task: str) -> Path:
    return Path(output) / slug(model_spec) / slug(task)


def atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def write_run(folder: Path, record: RunRecord, samples: Iterable[Mapping[str, Any]],
              stats: Mapping[str, Any]) -> Path:
    """Write samples and statistics first, the record last: a run.json means a whole run."""
    import io

    import numpy as np

    lines = "".join(json.dumps(s, ensure_ascii=False) + "\n" for s in samples)
    atomic_write(folder / "samples.jsonl", lines.encode())
    for name, matrix in stats.items():
        buf = io.BytesIO()
        np.save(buf, np.asarray(matrix, dtype=np.float64))
        atomic_write(folder / "stats" / f"{slug(name)}.npy", buf.getvalue())
    atomic_write(folder / "run.json",
                 (json.dumps(record.to_dict(), indent=2, ensure_ascii=False) + "\n").encode())
    return folder / "run.json"


def read_run(path: Path) -> dict:
    """A run.json as a dict; refuses records from a newer schema than this code knows."""
    record = json.loads(Path(path).read_text(encoding="utf-8"))
    version = record.get("schema_version")
    if not isinstance(version, int) or version > SCHEMA_VERSION:
        from harness.errors import DataError
        raise DataError(f"{path}: schema_version {version!r} is not readable by this harness "
                        f"(knows up to {SCHEMA_VERSION}); upgrade harness")
    return record
