"""Two shards of a real (tiny) model, started as separate processes at the same time, and a
single run beside them: exactly one shard merges, and the merged run is the single run's
(every sample row, every score with its CI and signature). The single run is evaluated in
this process, which the rest of the suite has already paid torch's import for."""
import json
import os
import subprocess
import sys

from harness.record import store
from harness.testing import tiny_models
from harness.engine import EngineSettings
from harness.run import RunOptions, evaluate
from harness.engine.faults import MERGE_DELAY_ENV
from harness.testing import REPO_ROOT

ARGS = ["--tasks", "demo-translation", "--limit", "12", "--gen-kwargs", "max_new_tokens=8",
        "--bootstrap", "100", "--no-progress"]


def start(*args: str) -> subprocess.Popen:
    # both shards look for the other's part 2 s after writing their own: each finds both,
    # which is the case the merge lock decides
    env = {**os.environ, MERGE_DELAY_ENV: "2",
           "PYTHONPATH": os.pathsep.join([str(REPO_ROOT), os.environ.get("PYTHONPATH", "")])}
    return subprocess.Popen([sys.executable, "-m", "harness", "run", *args], env=env, cwd=REPO_ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish(process: subprocess.Popen) -> str:
    _, err = process.communicate(timeout=300)
    assert process.returncode == 0, err[-2000:]
    return err


def rows(record) -> list[dict]:
    return [json.loads(line) for line in (record.folder / "samples.jsonl").read_text().splitlines()]


def test_two_shard_processes_merge_once_into_what_one_process_makes(tmp_path_factory, tmp_path):
    # build_all's causal model: shared with the other tests that use it
    folder = tiny_models.build_causal(tmp_path_factory.getbasetemp() / "tiny-models" / "causal",
                                      train_steps=75)
    model = ["--model", f"hf-causal:{folder}"]
    shards = [start(*model, *ARGS, "--output", str(tmp_path / "out"), "--shard", f"{i}/2")
              for i in (0, 1)]
    evaluate(f"hf-causal:{folder}", ["demo-translation"],
             RunOptions(limit=12, gen_kwargs={"max_new_tokens": "8"}, n_bootstrap=100,
                        output=tmp_path / "single"),
             engine_settings=EngineSettings(use_cache=False, progress=False))
    said = [finish(p) for p in shards]

    assert sum("merged 2 shards" in err for err in said) == 1, said
    merged, = store.load_runs(tmp_path / "out", all_runs=True)
    alone, = store.load_runs(tmp_path / "single")
    parts = sorted((json.loads(p.read_text()) for p in (tmp_path / "out").rglob("shard-*.json")),
                   key=lambda part: part["index"])
    assert merged.merged_from.run_ids == [p["run_id"] for p in parts]
    assert all(p["engine"]["n_generated"] > 0 for p in parts)  # each shard generated its own part
    assert merged.engine.n_generated == alone.engine.n_generated == 12

    assert rows(merged) == rows(alone)
    assert merged.scores == alone.scores
    assert merged.task == alone.task and merged.generation == alone.generation
    assert merged.model.fingerprint == alone.model.fingerprint
