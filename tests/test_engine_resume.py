"""A run killed with SIGKILL mid-way resumes from the cache and ends as if never stopped."""
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time

from harness.testing import tiny_models
from harness.engine import EngineSettings, generate
from harness.models.hf.causal import HFCausal
from harness.testing import REPO_ROOT
from harness.types import GenerateConfig, Request

N_REQUESTS = 24

SCRIPT = textwrap.dedent("""
    import sys
    from pathlib import Path
    from harness.engine import EngineSettings, generate
    from harness.models.hf.causal import HFCausal
    from harness.types import GenerateConfig, Request
    folder, cache = sys.argv[1], Path(sys.argv[2])
    config = GenerateConfig(max_new_tokens=16, do_sample=True, temperature=1.3, seed=5)
    requests = [Request(example_id=f"ex{i}", prompt=" ".join(["word"] * (i % 7 + 1)) + f" {i}",
                        config=config) for i in range(int(sys.argv[3]))]
    generate(HFCausal(folder), requests, EngineSettings(batch_size=2, cache_dir=cache, progress=False))
""")


def requests():
    config = GenerateConfig(max_new_tokens=16, do_sample=True, temperature=1.3, seed=5)
    return [Request(example_id=f"ex{i}", prompt=" ".join(["word"] * (i % 7 + 1)) + f" {i}",
                    config=config) for i in range(N_REQUESTS)]


def cached_rows(cache_dir) -> int:
    path = cache_dir / "generations.sqlite"
    if not path.exists():
        return 0
    try:
        return sqlite3.connect(path).execute("SELECT COUNT(*) FROM generations").fetchone()[0]
    except sqlite3.OperationalError:  # table not created yet
        return 0


def test_kill_9_mid_run_then_rerun_equals_an_uninterrupted_run(tmp_path_factory, tmp_path):
    folder = tiny_models.build_all(tmp_path_factory.getbasetemp() / "tiny-models")["causal"]
    cache_dir = tmp_path / "cache"
    env = {**os.environ, "HARNESS_FAULT_BATCH_DELAY_S": "0.4",
           "PYTHONPATH": os.pathsep.join([str(REPO_ROOT), os.environ.get("PYTHONPATH", "")])}
    child = subprocess.Popen([sys.executable, "-c", SCRIPT, str(folder), str(cache_dir),
                              str(N_REQUESTS)], env=env, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while cached_rows(cache_dir) < 4 and child.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    child.send_signal(signal.SIGKILL)
    child.wait()
    assert child.returncode == -signal.SIGKILL, child.stderr.read().decode()[-2000:]
    survived = cached_rows(cache_dir)
    assert 4 <= survived < N_REQUESTS

    model = HFCausal(str(folder))
    resumed, acc = generate(model, requests(), EngineSettings(cache_dir=cache_dir, progress=False))
    assert acc.n_cached == survived and acc.n_generated == N_REQUESTS - survived
    fresh, _ = generate(model, requests(), EngineSettings(use_cache=False, progress=False))
    assert [(g.example_id, g.text, g.num_tokens) for g in resumed] == \
        [(g.example_id, g.text, g.num_tokens) for g in fresh]
    model.close()
