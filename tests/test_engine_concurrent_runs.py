"""Two processes generating into one cache at the same time share the work through claims:
together they make each distinct request once, each returns what a single run returns, and
a claimant killed with SIGKILL leaves its keys to the other run, not blocked."""
import json
import os
from pathlib import Path
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
N_EXAMPLES = 80  # the reliability issue's case: 80 examples, 160 generations before claims
STALE_S = 30.0

SCRIPT = textwrap.dedent("""
    import json, sys
    from pathlib import Path
    from harness.engine import EngineSettings, generate
    from harness.models.hf.causal import HFCausal
    from harness.types import GenerateConfig, Request
    folder, cache, n = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3])
    config = GenerateConfig(max_new_tokens=16, do_sample=True, temperature=1.3, seed=5)
    requests = [Request(example_id=f"ex{i}", prompt=" ".join(["word"] * (i % 7 + 1)) + f" {i}",
                        config=config) for i in range(n)]
    out, acc = generate(HFCausal(folder), requests,
                        EngineSettings(batch_size=2, cache_dir=cache, progress=False))
    print(json.dumps({"n_generated": acc.n_generated, "n_cached": acc.n_cached,
                      "outputs": [[g.example_id, g.text, g.num_tokens] for g in out]}))
""")


def requests():
    config = GenerateConfig(max_new_tokens=16, do_sample=True, temperature=1.3, seed=5)
    return [Request(example_id=f"ex{i}", prompt=" ".join(["word"] * (i % 7 + 1)) + f" {i}",
                    config=config) for i in range(N_REQUESTS)]


def start(folder, cache_dir, delay_s: float) -> subprocess.Popen:
    env = {**os.environ, "HARNESS_FAULT_BATCH_DELAY_S": str(delay_s),
           "HARNESS_CLAIM_STALE_S": str(STALE_S),
           "PYTHONPATH": os.pathsep.join([str(REPO_ROOT), os.environ.get("PYTHONPATH", "")])}
    return subprocess.Popen([sys.executable, "-c", SCRIPT, str(folder), str(cache_dir),
                             str(N_REQUESTS)], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def finish(child: subprocess.Popen) -> dict:
    stdout, stderr = child.communicate(timeout=300)
    assert child.returncode == 0, stderr[-2000:]
    return json.loads(stdout.strip().splitlines()[-1])


def single_run(folder) -> list:
    model = HFCausal(str(folder))
    out, _ = generate(model, requests(), EngineSettings(use_cache=False, progress=False))
    model.close()
    return [[g.example_id, g.text, g.num_tokens] for g in out]


def unfinished_claims(cache_dir, pid: int) -> int:
    """Keys the process ``pid`` has claimed and not yet committed."""
    try:
        db = sqlite3.connect(cache_dir / "generations.sqlite")
        return db.execute(
            "SELECT COUNT(*) FROM claims c JOIN claimants k ON k.owner = c.owner WHERE k.pid = ? "
            "AND NOT EXISTS (SELECT 1 FROM generations g WHERE g.model_key = c.model_key AND "
            "g.request_key = c.request_key)", (pid,)).fetchone()[0]
    except sqlite3.OperationalError:  # the file or its tables do not exist yet
        return 0


def test_two_runs_at_once_make_each_generation_once(tmp_path_factory, tmp_path):
    folder = tiny_models.build_all(tmp_path_factory.getbasetemp() / "tiny-models")["causal"]
    cache_dir = tmp_path / "cache"
    first, second = start(folder, cache_dir, 0.3), start(folder, cache_dir, 0.3)
    a, b = finish(first), finish(second)
    assert a["n_generated"] + b["n_generated"] == N_REQUESTS, (a["n_generated"], b["n_generated"])
    assert a["outputs"] == b["outputs"] == single_run(folder)


def test_a_killed_claimant_leaves_its_keys_to_the_other_run(tmp_path_factory, tmp_path):
    folder = tiny_models.build_all(tmp_path_factory.getbasetemp() / "tiny-models")["causal"]
    cache_dir = tmp_path / "cache"
    # a slow victim, started first: it holds claims for as long as the survivor needs to start
    victim = start(folder, cache_dir, 3.0)
    wait_for(lambda: cached_rows(cache_dir) >= 2, victim)
    survivor = start(folder, cache_dir, 0.1)
    wait_for(lambda: cached_rows(cache_dir) >= 6, survivor)
    orphans = unfinished_claims(cache_dir, victim.pid)
    assert orphans > 0
    victim.send_signal(signal.SIGKILL)
    victim.wait()  # reaped, as a shell or a scheduler does: its pid is gone
    killed_at = time.monotonic()
    result = finish(survivor)
    assert time.monotonic() - killed_at < STALE_S
    assert result["outputs"] == single_run(folder)
    # the victim's commits are served from the cache, its orphaned claims made again
    assert result["n_cached"] >= 2 and result["n_generated"] + result["n_cached"] == N_REQUESTS


def cached_rows(cache_dir) -> int:
    try:
        db = sqlite3.connect(cache_dir / "generations.sqlite")
        return db.execute("SELECT COUNT(*) FROM generations").fetchone()[0]
    except sqlite3.OperationalError:  # the file or its tables do not exist yet
        return 0


def wait_for(condition, child: subprocess.Popen, timeout_s: float = 120) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert child.poll() is None, child.stderr.read()[-2000:]
        assert time.monotonic() < deadline
        time.sleep(0.05)


def cli(folder, data: Path, output: Path, *extra: str) -> subprocess.Popen:
    args = ["run", "--model", f"hf-causal:{folder}", "--tasks", "demo-translation",
            "--data", str(data), "--metrics", "bleu", "--bootstrap", "0", "--no-progress",
            "--batch-size", "4", "--gen-kwargs", "max_new_tokens=8", "--output", str(output), "--json", *extra]
    env = {**os.environ, "HARNESS_FAULT_BATCH_DELAY_S": "0.2",
           "HARNESS_CLAIM_STALE_S": str(STALE_S)}
    return subprocess.Popen([sys.executable, "-m", "harness", *args], cwd=REPO_ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def cli_result(child: subprocess.Popen, output: Path) -> tuple[int, list]:
    """(generations made, [id, prediction] of every example) of a finished `harness run`."""
    stdout, stderr = child.communicate(timeout=300)
    assert child.returncode == 0, stderr[-2000:]
    engine = json.loads(stdout)["engine"]
    samples = next(output.rglob("samples.jsonl")).read_text().splitlines()
    return engine["n_generated"], [[s["id"], s["prediction"]] for s in map(json.loads, samples)]


def test_two_harness_runs_at_once_generate_each_example_once(tmp_path_factory, tmp_path):
    folder = tiny_models.build_all(tmp_path_factory.getbasetemp() / "tiny-models")["causal"]
    data = tmp_path / "data.jsonl"
    data.write_text("".join(json.dumps({"id": f"s{i}", "source": f"the house number {i} is small",
                                        "references": ["a reference"]}) + "\n"
                            for i in range(N_EXAMPLES)))
    first, second = cli(folder, data, tmp_path / "one"), cli(folder, data, tmp_path / "two")
    made_1, samples_1 = cli_result(first, tmp_path / "one")
    made_2, samples_2 = cli_result(second, tmp_path / "two")
    alone = cli(folder, data, tmp_path / "alone", "--no-cache")
    assert made_1 + made_2 == N_EXAMPLES, (made_1, made_2)
    assert samples_1 == samples_2 == cli_result(alone, tmp_path / "alone")[1]
