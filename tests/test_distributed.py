"""Data parallel with the real torchrun: 2 gloo ranks on CPU give what one process gives, a run
killed with any number of ranks resumes with any other, and a failing rank stops them all."""
import json
import os
import signal
import subprocess
import sys
import time
import warnings

import pytest

from harness import evaluate
from harness.testing import tiny_models
from harness.engine import EngineSettings
from harness.run import RunOptions
from harness.record.store import load_runs
from harness.testing import REPO_ROOT
from test_engine_resume import cached_rows

N = 12
TASKS = ["demo-translation", "demo-summarization"]
ARGS = ["--limit", str(N), "--gen-kwargs", "max_new_tokens=8", "--model-args", "threads=1",
        "--bootstrap", "0"]


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    folder = tiny_models.build_all(tmp_path_factory.getbasetemp() / "tiny-models")["causal"]
    return f"hf-causal:{folder}"


@pytest.fixture(scope="module")
def reference(model, tmp_path_factory):
    """What one process (this one) makes of each task, without a cache."""
    return {r.task.name: _outputs(r) for r in _one_process(model, TASKS, tmp_path_factory.mktemp("one"))}


def _env(cache, **extra):
    # the ranks import this checkout's harness, whatever is installed
    path = os.pathsep.join([str(REPO_ROOT), os.environ.get("PYTHONPATH", "")])
    return {**os.environ, "PYTHONPATH": path, "HARNESS_CACHE": str(cache), **extra}


def _command(nproc, model, tasks, out, *extra):
    """``harness run`` under torchrun with ``nproc`` ranks, or as one plain process (0)."""
    launcher = [sys.executable, "-m", "torch.distributed.run", "--standalone",
                "--nproc-per-node", str(nproc)] if nproc else [sys.executable]
    return [*launcher, "-m", "harness", "run", "--model", model, "--tasks", tasks,
            "--output", str(out), *ARGS, *extra]


def _run(command, env):
    proc = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc


def _one_process(model, tasks, out, cache=None):
    """The reference: one process (this one), without a cache unless given one."""
    settings = EngineSettings(progress=False, use_cache=cache is not None,
                              **({"cache_dir": cache} if cache else {}))
    options = RunOptions(limit=N, gen_kwargs={"max_new_tokens": "8"}, n_bootstrap=0, output=out)
    return evaluate(model, tasks, options, model_args={"threads": "1"}, engine_settings=settings)


def _outputs(record):
    """(id, prediction) per example, and the scores."""
    rows = [json.loads(line) for line in (record.folder / "samples.jsonl").read_text().splitlines()]
    return [(r["id"], r["prediction"]) for r in rows], {m: s.score for m, s in record.scores.items()}


# Bounds on waiting for a condition, not guesses of how long a step takes: a loaded machine
# only makes the wait longer. Each kill test took 10-20 s on 2 cores other jobs kept busy.
START_S = 240
GONE_S = 60
TEST_S = 900  # pytest-timeout's bound for a test that waits on those, its fixtures included


def _wait_for(condition, seconds):
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def _kill_when_cached(command, env, cache, at_least, ranks=1):
    """Start ``command``, every process of which stops once it has committed its share of
    ``at_least`` generations (the hold fault: however slow each batch, the run cannot finish
    before the kill), SIGKILL it and every rank once those are all in the cache; the number
    that survived."""
    log = cache.parent / f"{cache.name}-killed.log"
    with open(log, "wb") as stderr:  # a file, not a pipe: a full pipe would stall the ranks
        child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=stderr,
                                 env={**env, "HARNESS_FAULT_HOLD_AFTER_ROWS": str(at_least // ranks)})
    held = _wait_for(lambda: cached_rows(cache) >= at_least or child.poll() is not None, START_S)
    pids = _ranks(child.pid)  # torchrun starts each rank in a session of its own
    for pid in pids:
        os.kill(pid, signal.SIGKILL)
    child.kill()
    child.wait()
    assert _wait_for(lambda: not any(_alive(pid) for pid in pids), GONE_S), f"ranks {pids} outlived SIGKILL"
    output = log.read_text(errors="replace")[-3000:]
    assert held, f"{cached_rows(cache)} of {at_least} generations cached after {START_S} s:\n{output}"
    assert child.returncode == -signal.SIGKILL, f"the run ended before the kill:\n{output}"
    survived = cached_rows(cache)
    assert at_least <= survived < N
    return survived


def _ranks(pid):
    """Every process below ``pid`` (Linux)."""
    found = []
    for task in os.listdir(f"/proc/{pid}/task") if _alive(pid) else []:
        try:
            with open(f"/proc/{pid}/task/{task}/children") as f:
                children = [int(c) for c in f.read().split()]
        except OSError:
            continue
        for child in children:
            found += [child, *_ranks(child)]
    return found


def _alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.timeout(TEST_S)
def test_one_process_killed_then_two_ranks_finish_it_as_one_process_would(model, reference,
                                                                          tmp_path):
    cache = tmp_path / "cache"
    survived = _kill_when_cached(_command(0, model, TASKS[0], tmp_path / "out", "--batch-size", "2"),
                                 _env(cache), cache, at_least=4)
    proc = _run(_command(2, model, ",".join(TASKS), tmp_path / "two"), _env(cache))
    assert proc.stdout.count("run folders:") == 1  # one report, from rank 0
    assert "[rank 0 of 2]" in proc.stderr and "[rank 1 of 2]" not in proc.stderr
    runs = {r.task.name: r for r in load_runs(tmp_path / "two")}
    assert len(list((tmp_path / "two").glob("*/*/2*"))) == 2  # one record a task
    resumed, fresh = runs[TASKS[0]].engine, runs[TASKS[1]].engine
    assert (resumed.n_cached, resumed.n_generated) == (survived, N - survived)
    assert (fresh.n_cached, fresh.n_generated) == (0, N)
    for task in TASKS:
        assert runs[task].engine.world_size == 2
        assert _outputs(runs[task]) == reference[task]


@pytest.mark.timeout(TEST_S)
def test_two_ranks_killed_then_one_process_generates_only_what_is_missing(model, reference,
                                                                         tmp_path):
    cache = tmp_path / "cache"
    survived = _kill_when_cached(_command(2, model, TASKS[0], tmp_path / "out", "--batch-size", "1"),
                                 _env(cache), cache, at_least=4, ranks=2)
    [resumed] = _one_process(model, TASKS[:1], tmp_path / "resumed", cache)
    assert resumed.engine.world_size == 1
    assert (resumed.engine.n_cached, resumed.engine.n_generated) == (survived, N - survived)
    assert _outputs(resumed) == reference[TASKS[0]]


@pytest.mark.timeout(TEST_S)
def test_a_failing_rank_stops_every_rank_at_once_and_rank_0_names_it(model, tmp_path):
    # rank 0 holds after its first generation (for faults.HOLD_S, longer than this test may
    # take): only rank 1's failure can end it early, however slowly rank 1 gets to failing
    # (before its first batch) on a loaded machine
    for attempt in (1, 2):
        cache, out = tmp_path / f"cache{attempt}", tmp_path / f"out{attempt}"
        proc = subprocess.run(_command(2, model, TASKS[0], out, "--batch-size", "1"),
                              env=_env(cache, HARNESS_FAULT_FAIL_RANK="1", HARNESS_FAULT_HOLD_AFTER_ROWS="1"),
                              capture_output=True, text=True, timeout=START_S)
        if "InjectedFailure" in proc.stderr or attempt == 2:
            break
        # seen once in a full-suite run, never alone: rank 1 stopped on something else first.
        # Shown, so its cause can be found, and tried once more
        warnings.warn(f"rank 1 failed without the injected fault:\n{proc.stderr[-4000:]}")
    assert proc.returncode != 0
    assert "harness: error: rank 1 of 2 (" in proc.stderr, proc.stderr[-3000:]
    assert proc.stderr.count("InjectedFailure: injected fault: rank 1 fails") == 2, proc.stderr[-3000:]  # traceback, rank 0
    assert cached_rows(cache) < N // 2  # rank 0 stopped without finishing its share
    assert not out.exists()  # no record of a run that did not finish


def test_an_error_every_rank_meets_is_printed_once(model, tmp_path):
    proc = subprocess.run(_command(2, model, "no-such-task", tmp_path / "out"),
                          env=_env(tmp_path / "cache"), capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0
    assert proc.stderr.count("harness: error:") == 1, proc.stderr[-3000:]
    assert "no-such-task" in proc.stderr


def test_device_map_is_refused_under_torchrun_before_a_model_loads(model, monkeypatch):
    from harness.run.plan import check_model
    monkeypatch.setenv("WORLD_SIZE", "2")  # as torchrun sets it for every rank
    [problem] = check_model(model, {"device_map": "auto"})
    assert "device_map=auto: under torchrun each rank runs its own copy" in str(problem)
    monkeypatch.setenv("WORLD_SIZE", "1")
    assert check_model(model, {"device_map": "auto"}) == []
