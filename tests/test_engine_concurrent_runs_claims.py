"""Claims in one process: whose claim holds, waiting for another run's keys, taking over
the keys of a run that is gone. Two real processes are in test_engine_concurrent_runs.py."""
import os
import socket
import sqlite3
import subprocess
import sys
import threading
import time

import pytest

from harness.engine import EngineSettings, cache_identity, generate
from harness.engine.cache import GenerationCache
from harness.engine.claims import is_live
from harness.engine.concurrent import CLAIM_AHEAD
from harness.models.base import ConcurrentModel, Model
from harness.types import GenerateConfig, Generation, Request

HERE = socket.gethostname()
NOW = 1_000_000.0


class Reverser(Model):
    """Answers each prompt reversed, counting what it was asked."""

    def __init__(self, locator="reverser", **args):
        super().__init__(locator, **args)
        self.calls = 0

    def generate(self, requests):
        for request in requests:
            self.calls += 1
            yield Generation(example_id=request.example_id, text=request.prompt[::-1],
                             num_tokens=len(request.prompt), finish_reason="eos")


def requests(n=6):
    return [Request(example_id=f"ex{i}", prompt=f"prompt {i}", config=GenerateConfig())
            for i in range(n)]


def dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()  # reaped: the pid no longer exists (until the system reuses it)
    return child.pid


# (hostname, pid, heartbeat age in s or None for no claimant row, stale_s) -> live
@pytest.mark.parametrize("host, pid, age, stale_s, live", [
    (HERE, os.getpid(), 1.0, 60.0, True),        # this host, process running, fresh
    (HERE, "dead", 1.0, 60.0, False),            # this host, process gone: at once
    (HERE, os.getpid(), 61.0, 60.0, False),      # process running but silent (a reused pid)
    ("elsewhere", 1, 59.0, 60.0, True),          # another host: only the heartbeat tells
    ("elsewhere", 1, 61.0, 60.0, False),
    (None, None, None, 60.0, False),             # no claimant row: its run released or died
])
def test_whose_claim_holds(host, pid, age, stale_s, live):
    pid = dead_pid() if pid == "dead" else pid
    heartbeat = None if age is None else NOW - age
    assert is_live(host, pid, heartbeat, NOW, stale_s, HERE) is live


def claim_all(cache_dir, model, reqs, host, pid, heartbeat) -> None:
    """Claims on every request by a foreign run, written as that run would."""
    key = GenerationCache(cache_dir, cache_identity(model)).model_key
    db = sqlite3.connect(cache_dir / "generations.sqlite")
    with db:
        db.execute("INSERT INTO claimants VALUES (?, ?, ?, ?)", ("other", host, pid, heartbeat))
        db.executemany("INSERT INTO claims VALUES (?, ?, ?)",
                       [(key, r.key(), "other") for r in reqs])
    db.close()


@pytest.mark.parametrize("host, pid, age", [
    ("elsewhere", 1, 3600.0),   # a heartbeat an hour old
    (HERE, "dead", 0.0),        # a fresh heartbeat, but its process is gone
])
def test_keys_of_a_run_that_is_gone_are_taken_over_at_once(tmp_path, host, pid, age):
    model, reqs, cache_dir = Reverser(), requests(), tmp_path / "cache"
    claim_all(cache_dir, model, reqs, host, dead_pid() if pid == "dead" else pid,
              time.time() - age)
    started = time.monotonic()
    out, acc = generate(model, reqs, EngineSettings(cache_dir=cache_dir, progress=False))
    assert time.monotonic() - started < 5
    assert acc.n_generated == len(reqs) and [g.text for g in out] == [r.prompt[::-1] for r in reqs]


def test_a_live_claimants_keys_are_awaited_not_made(tmp_path):
    model, reqs, cache_dir = Reverser(), requests(), tmp_path / "cache"
    claim_all(cache_dir, model, reqs[:4], "elsewhere", 1, time.time())

    def other_run_commits():  # as the claimant would, a little later
        time.sleep(0.8)
        cache = GenerationCache(cache_dir, cache_identity(model))
        cache.put_many([(r.key(), Generation(r.example_id, "theirs")) for r in reqs[:4]])
        cache.close()

    writer = threading.Thread(target=other_run_commits)
    writer.start()
    out, acc = generate(model, reqs, EngineSettings(cache_dir=cache_dir, progress=False,
                                                    claim_stale_s=20.0))
    writer.join()
    assert model.calls == 2 and acc.n_generated == 2 and acc.n_cached == 4
    assert [g.text for g in out] == ["theirs"] * 4 + [r.prompt[::-1] for r in reqs[4:]]
    assert [g.example_id for g in out] == [r.example_id for r in reqs]


def test_a_silent_claimant_is_taken_over_after_the_timeout(tmp_path):
    model, reqs, cache_dir = Reverser(), requests(), tmp_path / "cache"
    claim_all(cache_dir, model, reqs, "elsewhere", 1, time.time())
    started = time.monotonic()
    out, acc = generate(model, reqs, EngineSettings(cache_dir=cache_dir, progress=False,
                                                    claim_stale_s=1.0))
    waited = time.monotonic() - started
    assert 0.9 <= waited < 5 and acc.n_generated == len(reqs)


def test_a_finished_run_leaves_no_claim(tmp_path):
    cache_dir = tmp_path / "cache"
    generate(Reverser(), requests(), EngineSettings(cache_dir=cache_dir, progress=False))
    db = sqlite3.connect(cache_dir / "generations.sqlite")
    assert db.execute("SELECT COUNT(*) FROM claims").fetchone() == (0,)
    assert db.execute("SELECT COUNT(*) FROM claimants").fetchone() == (0,)


def test_a_call_with_nothing_to_make_claims_nothing(tmp_path):
    """Only a run that generates becomes a claimant (and starts its heartbeat thread)."""
    cache_dir = tmp_path / "cache"
    generate(Reverser(), requests(), EngineSettings(cache_dir=cache_dir, progress=False))
    db = sqlite3.connect(cache_dir / "generations.sqlite")
    with db:  # every claimant ever registered, though each deletes its row when it ends
        db.executescript("CREATE TABLE seen (owner TEXT); CREATE TRIGGER registered AFTER "
                         "INSERT ON claimants BEGIN INSERT INTO seen VALUES (new.owner); END;")
    model = Reverser()
    before = {t.ident for t in threading.enumerate()}
    _, acc = generate(model, requests(), EngineSettings(cache_dir=cache_dir, progress=False))
    assert acc.n_cached == len(requests()) and model.calls == 0
    assert db.execute("SELECT COUNT(*) FROM seen").fetchone() == (0,)
    assert not [t for t in threading.enumerate() if t.name == "harness-claims" and t.ident not in before]
    _, acc = generate(Reverser(), requests(8), EngineSettings(cache_dir=cache_dir, progress=False))
    assert acc.n_generated == 2 and db.execute("SELECT COUNT(*) FROM seen").fetchone() == (1,)
    db.close()


class SlowEndpoint(Model, ConcurrentModel):
    """A concurrent adapter whose answers wait until the test lets them through."""

    concurrency = 2

    def __init__(self, locator="slow-endpoint", **args):
        super().__init__(locator, **args)
        self.release = threading.Event()

    def generate_one(self, request):
        self.release.wait(10)
        return Generation(example_id=request.example_id, text=request.prompt.upper(), finish_reason="eos")


def test_a_concurrent_adapter_claims_requests_as_it_sends_them(tmp_path):
    """Claimed as sent, not all at once: a second run on the cache takes what this one has
    not reached instead of waiting for all of it."""
    model, reqs, cache_dir = SlowEndpoint(), requests(40), tmp_path / "cache"
    result = {}
    run = threading.Thread(target=lambda: result.update(out=generate(
        model, reqs, EngineSettings(cache_dir=cache_dir, progress=False))))
    run.start()
    claimed = 0
    for _ in range(200):  # until the first requests are in flight
        time.sleep(0.05)
        if (cache_dir / "generations.sqlite").exists():
            db = sqlite3.connect(cache_dir / "generations.sqlite")
            try:
                claimed = db.execute("SELECT COUNT(*) FROM claims").fetchone()[0]
            except sqlite3.OperationalError:  # the file is there, its tables not yet
                claimed = 0
            finally:
                db.close()
            if claimed:
                break
    model.release.set()
    run.join()
    out, acc = result["out"]
    assert 0 < claimed <= model.concurrency * CLAIM_AHEAD
    assert acc.n_generated == 40 and [g.text for g in out] == [r.prompt.upper() for r in reqs]
