"""The generation cache, and the engine over models that batch nothing themselves."""
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from harness.engine import EngineSettings, generate
from harness.engine.cache import GenerationCache
from harness.errors import HarnessError
from harness.models.base import Model
from harness.types import GenerateConfig, Generation, Request


class Reverser(Model):
    """A real (if trivial) model: answers each prompt reversed, counting its calls."""

    def __init__(self, locator="reverser", skip=(), **args):
        super().__init__(locator, **args)
        self.calls = 0
        self.skip = set(skip)

    def generate(self, requests):
        for request in reversed(list(requests)):  # any order: the engine restores it
            self.calls += 1
            if request.example_id not in self.skip:
                yield Generation(example_id=request.example_id, text=request.prompt[::-1],
                                 num_tokens=len(request.prompt), finish_reason="eos")


class Uncached(Reverser):
    cacheable = False


def requests(n, config=GenerateConfig()):
    return [Request(example_id=f"ex{i}", prompt=f"prompt number {i}", config=config) for i in range(n)]


def settings(tmp_path, **kw):
    return EngineSettings(cache_dir=tmp_path / "cache", progress=False, **kw)


def test_results_follow_request_order_and_rerun_is_served_from_cache(tmp_path):
    model = Reverser()
    first, acc1 = generate(model, requests(5), settings(tmp_path))
    assert [g.example_id for g in first] == [f"ex{i}" for i in range(5)]
    assert [g.text for g in first] == [f"prompt number {i}"[::-1] for i in range(5)]
    assert acc1.n_generated == 5 and acc1.n_cached == 0
    again = Reverser()
    second, acc2 = generate(again, requests(5), settings(tmp_path))
    assert again.calls == 0 and acc2.n_cached == 5
    assert [g.text for g in second] == [g.text for g in first]
    assert all(g.cached for g in second) and not any(g.cached for g in first)


def test_a_changed_generation_config_is_a_different_key(tmp_path):
    generate(Reverser(), requests(3), settings(tmp_path))
    model = Reverser()
    _, acc = generate(model, requests(3, GenerateConfig(max_new_tokens=7)), settings(tmp_path))
    assert acc.n_cached == 0 and model.calls == 3


def test_no_cache_and_uncacheable_models_bypass_the_store(tmp_path):
    generate(Reverser(), requests(3), settings(tmp_path, use_cache=False))
    assert not (tmp_path / "cache").exists()
    generate(Uncached(), requests(3), settings(tmp_path))
    assert not (tmp_path / "cache").exists()


def test_identical_requests_are_generated_once(tmp_path):
    reqs = requests(2) + [Request(example_id="dup", prompt="prompt number 0", config=GenerateConfig())]
    model = Reverser()
    out, acc = generate(model, reqs, settings(tmp_path))
    assert model.calls == 2 and acc.n_generated == 2
    assert out[2].example_id == "dup" and out[2].text == out[0].text


def test_a_model_that_skips_an_example_is_an_error(tmp_path):
    with pytest.raises(HarnessError, match="ex1"):
        generate(Reverser(skip={"ex1"}), requests(3), settings(tmp_path))


def test_partial_cache_generates_only_the_rest(tmp_path):
    generate(Reverser(), requests(3), settings(tmp_path))
    model = Reverser()
    out, acc = generate(model, requests(6), settings(tmp_path))
    assert model.calls == 3 and acc.n_cached == 3 and len(out) == 6


def test_cache_file_is_wal_and_keys_models_apart(tmp_path):
    one = GenerationCache(tmp_path, {"locator": "a", "weights": "1"})
    two = GenerationCache(tmp_path, {"locator": "a", "weights": "2"})
    one.put_many([("k", Generation(example_id="x", text="from one", num_tokens=2))])
    assert one.get_many(["k"])["k"].text == "from one"
    assert two.get_many(["k"]) == {}
    mode = sqlite3.connect(one.path).execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"
    one.close()
    two.close()


def test_progress_bar_shows_rate_on_stderr_only_when_enabled(tmp_path, capsys):
    generate(Reverser(), requests(4), EngineSettings(cache_dir=tmp_path, progress=True), desc="demo-task")
    err = capsys.readouterr().err
    assert "demo-task" in err and "tok/s" in err and "4/4" in err
    generate(Reverser(), requests(4, GenerateConfig(seed=9)), settings(tmp_path))
    assert capsys.readouterr().err == ""


def test_engine_and_adapter_modules_import_without_torch():
    code = ("import sys, harness.engine, harness.models.hf.causal, harness.models.hf.seq2seq, "
            "harness.models.hf.vision, harness.testing.tiny_models; "
            "assert 'torch' not in sys.modules and 'transformers' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)


def _open_at_once(path: str, barrier) -> str | None:
    from harness.engine import sqlite_files
    barrier.wait()
    try:
        sqlite_files.connect(Path(path), "CREATE TABLE IF NOT EXISTS t (k TEXT PRIMARY KEY);").close()
        return None
    except Exception as exc:  # what the test reports: which processes failed, and why
        return f"{type(exc).__name__}: {exc}"


def test_processes_opening_a_new_cache_file_at_once_all_get_it(tmp_path):
    """SQLite refuses a journal-mode change at once while another process holds the file; runs
    started together on a new cache wait for each other instead (6 at once, 9 of 30 trials
    failed before)."""
    import multiprocessing
    failures = []
    with multiprocessing.Manager() as manager, multiprocessing.Pool(6) as pool:
        for trial in range(15):
            barrier = manager.Barrier(6)
            path = str(tmp_path / f"trial-{trial}.sqlite")
            failures += [r for r in pool.starmap(_open_at_once, [(path, barrier)] * 6) if r]
    assert failures == []
