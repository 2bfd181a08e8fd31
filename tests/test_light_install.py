"""`pip install harness` without the models extra scores predictions end to end: in a virtual
environment of its own, with no torch, transformers or datasets, the baselines, a predictions
file, compare, leaderboard and report work, and a Hugging Face model kind stops with the line
that installs what it needs.

The environment is built once per pyproject.toml and constraints.txt (their hash names its
folder under the temporary directory) from pip's cache: on 2 cores 12 s to build with pip's cache
warm (over a minute when pip downloads), then about 10 s for the tests themselves. The commands run this checkout's code (PYTHONPATH), on the packages that
installing the package pulled in, so a heavy import added to the scoring path fails here."""
from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from conftest import REPO, write_jsonl

HEAVY = ("torch", "transformers", "tokenizers", "accelerate", "datasets", "huggingface_hub")
# pip's own words when it cannot reach the package index: the test then skips, it does not fail
OFFLINE = re.compile(r"NewConnectionError|Name or service not known|Temporary failure in name "
                     r"resolution|Network is unreachable|ConnectTimeout|ProxyError|from versions: none")


def _key() -> str:
    digest = hashlib.sha256(sys.version.encode())
    for name in ("pyproject.toml", "constraints.txt"):
        digest.update((REPO / name).read_bytes())
    return digest.hexdigest()[:16]


def _build(folder: Path) -> None:
    """A fresh venv with harness installed from this checkout within constraints.txt, no extras."""
    subprocess.run([sys.executable, "-m", "venv", str(folder)], check=True, capture_output=True, timeout=300)
    # --no-compile: compiling every module to bytecode was two thirds of the install's time
    done = subprocess.run([str(folder / "bin" / "python"), "-m", "pip", "install", "-q", "--no-compile",
                           "--disable-pip-version-check", "--timeout", "30", "--retries", "2",
                           "-c", str(REPO / "constraints.txt"), str(REPO)],
                          capture_output=True, text=True, timeout=1200)
    if done.returncode != 0:
        shutil.rmtree(folder, ignore_errors=True)
        output = done.stdout + done.stderr
        if OFFLINE.search(output):
            pytest.skip("pip cannot reach the package index to build the light environment: "
                        + output.strip().splitlines()[-1][:200])
        pytest.fail(f"pip install of harness without extras failed:\n{output[-3000:]}")


@pytest.fixture(scope="module")
def light_python() -> Path:
    """The light environment's interpreter; built into a temporary name and renamed, so a
    half-built one (an interrupted run, a concurrent one) is never used."""
    root = Path(tempfile.gettempdir()) / "harness-light-venv"
    ready = root / _key()
    if not (ready / "bin" / "python").exists():
        root.mkdir(parents=True, exist_ok=True)
        building = Path(tempfile.mkdtemp(prefix=f"{_key()}.building-", dir=root))
        _build(building)
        try:
            building.rename(ready)
        except OSError:  # another run finished first: use its environment
            shutil.rmtree(building, ignore_errors=True)
    return ready / "bin" / "python"


def light(python: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    """`harness ARGS` with the light environment's interpreter and this checkout's code."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("PYTHONHOME", None)
    return subprocess.run([str(python), "-m", "harness", *args], capture_output=True, text=True,
                          cwd=cwd, env=env, timeout=300)


def test_the_light_install_has_no_model_libraries(light_python):
    found = subprocess.run([str(light_python), "-c", "import importlib.util, sys; print(' '.join("
                            f"m for m in {HEAVY!r} if importlib.util.find_spec(m)))"],
                           capture_output=True, text=True, check=True, timeout=60).stdout.split()
    assert found == []
    files = subprocess.run([str(light_python), "-m", "pip", "show", "-f", "harness"], capture_output=True,
                           text=True, check=True, timeout=60).stdout
    assert "harness/_tasks/demo-translation.yaml" in files  # the package itself installed whole


def test_scoring_works_without_the_model_libraries(light_python, tmp_path):
    references = [json.loads(line) for line in
                  (REPO / "tasks" / "demo" / "translation.jsonl").read_text(encoding="utf-8").splitlines()]
    preds = write_jsonl(tmp_path / "preds.jsonl",
                        [{"id": row["id"], "prediction": row["references"][0]} for row in references])
    out = tmp_path / "results"
    for model in ("copy-source", f"predictions:{preds}"):
        done = light(light_python, "run", "--model", model, "--tasks", "demo-translation",
                     "--output", str(out), cwd=tmp_path)
        assert done.returncode == 0, done.stderr
    runs = sorted(out.glob("*/demo-translation"))
    assert len(runs) == 2
    # the references themselves score 100 BLEU: the predictions were read and scored
    scores = {run.parent.name: json.loads(next(run.glob("*/run.json")).read_text())["scores"]
              for run in runs}
    assert [round(r["bleu"]["score"], 6) for name, r in scores.items() if "predictions" in name] == [100.0]

    compared = light(light_python, "compare", str(out / "copy-source" / "demo-translation"),
                     str(next(r for r in runs if "predictions" in r.parent.name)), cwd=tmp_path)
    assert compared.returncode == 0, compared.stderr
    assert "bleu" in compared.stdout
    board = light(light_python, "leaderboard", str(out), cwd=tmp_path)
    assert board.returncode == 0, board.stderr
    assert "copy-source" in board.stdout and "predictions" in board.stdout
    report = light(light_python, "report", str(out), "-o", str(tmp_path / "report.html"), cwd=tmp_path)
    assert report.returncode == 0, report.stderr
    assert (tmp_path / "report.html").stat().st_size > 0


def test_a_model_kind_without_its_libraries_names_the_install_line(light_python, tmp_path):
    # a hub id: finding one needs huggingface_hub, which only the models extra brings
    done = light(light_python, "run", "--model", "hf-causal:x", "--tasks", "demo-translation",
                 "--output", str(tmp_path / "results"), cwd=tmp_path)
    assert done.returncode != 0
    assert "torch and transformers are required to run Hugging Face models; run: " \
           "pip install 'harness[models]'" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_hub_task_without_datasets_names_the_install_line(light_python, tmp_path):
    done = light(light_python, "run", "--model", "copy-source", "--tasks", "wmt14-en-de", "--limit", "2",
                 "--output", str(tmp_path / "results"), cwd=tmp_path)
    assert done.returncode != 0
    assert "pip install 'harness[hub]'" in done.stderr and "Traceback" not in done.stderr
