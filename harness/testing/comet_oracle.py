"""unbabel-comet in an environment of its own, as the oracle of the harness's COMET.

unbabel-comet 2.2.7 pins transformers < 5 and numpy < 2, so it runs in the environment
``scripts/comet-env.sh`` builds (``HARNESS_COMET_VENV``, default
``~/.cache/harness/comet-env``), one process per call: the checkpoint and the segments go
in as a JSON file, COMET's own ``predict`` scores them, and its per-segment scores and the
seconds ``predict`` took come back (and xCOMET's error spans).
"""
from __future__ import annotations

import json
import os
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from harness.testing import oracle_venv

VENV_VARIABLE = "HARNESS_COMET_VENV"
STAMP = ".harness-comet-installed"

# run in the COMET environment: for each job, load, then time predict alone (loading is not
# scoring); one process for all jobs, since importing COMET and Lightning takes seconds
_PREDICT = """
import json, sys, time, torch
from comet import load_from_checkpoint
replies = []
for job in json.load(open(sys.argv[1])):
    torch.set_num_threads(job["threads"])
    model = load_from_checkpoint(job["checkpoint"])
    started = time.perf_counter()
    out = model.predict(job["rows"], batch_size=job["batch_size"], gpus=job["gpus"],
                        progress_bar=False)
    reply = {"scores": list(out.scores), "seconds": time.perf_counter() - started}
    if "error_spans" in out.get("metadata", {}):  # xCOMET: its spans' severities per segment
        reply["spans"] = [[span["severity"] for span in spans] for spans in out.metadata.error_spans]
    replies.append(reply)
print(json.dumps(replies))
"""


def comet_venv() -> Path:
    return oracle_venv(VENV_VARIABLE, "comet-env")


def comet_python() -> Path | None:
    """The COMET environment's interpreter, where scripts/comet-env.sh finished building it."""
    venv = comet_venv()
    python = venv / "bin" / "python"
    built = (venv / STAMP).is_file() or bool(os.environ.get(VENV_VARIABLE))
    return python if built and python.is_file() else None


def missing_reason() -> str:
    return (f"no unbabel-comet environment at {comet_venv()} (${VENV_VARIABLE}): run "
            f"scripts/comet-env.sh to build it (about a minute from a warm pip cache)")


@dataclass(frozen=True)
class Job:
    checkpoint: Path  # the folder holding hparams.yaml and checkpoints/
    rows: Sequence[dict]  # {"src", "mt", "ref"}; "ref" unread by reference-free models
    batch_size: int = 8
    threads: int = 1
    gpus: int = 0


@dataclass(frozen=True)
class Reply:
    scores: list[float]  # per segment
    seconds: float  # predict's own time
    spans: list[list[str]] | None = None  # xCOMET: each segment's error spans' severities


def comet_predict(jobs: Sequence[Job]) -> list[Reply]:
    """unbabel-comet's predictions for each job's rows."""
    python = comet_python()
    if python is None:
        raise RuntimeError(missing_reason())
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump([{"checkpoint": str(Path(j.checkpoint) / "checkpoints" / "model.ckpt"),
                    "rows": list(j.rows), "batch_size": j.batch_size, "threads": j.threads,
                    "gpus": j.gpus} for j in jobs], handle)
    try:
        done = subprocess.run([str(python), "-c", _PREDICT, handle.name], capture_output=True,
                              text=True, env={**os.environ, "TOKENIZERS_PARALLELISM": "false"})
    finally:
        os.unlink(handle.name)
    if done.returncode:
        raise RuntimeError(f"unbabel-comet failed:\n{done.stderr[-3000:]}")
    return [Reply(**reply) for reply in json.loads(done.stdout.strip().splitlines()[-1])]
