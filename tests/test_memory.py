"""What a run holds per example, and the bench's figures for a whole process tree.

A job limit (Slurm ``--mem``, a Kubernetes container) holds the run and its scoring workers
together; ``bench/metrics.py --memory`` samples the tree for the figures the docs quote. The
per-example records are what grows with a million examples, so their size is checked here.
"""
from __future__ import annotations

import importlib.util
import json
import pickle
import sys
import tracemalloc

from sacrebleu.metrics import BLEU

from harness.engine import EngineSettings
from harness.run.options import RunOptions
from harness.run.plan import load_model, model_input_kind, plan_run
from harness.run.runner import generate_task
from harness.testing import REPO_ROOT
from harness.types import NO_EXTRA, Example, GenerateConfig, Generation, Request


def _bench():
    spec = importlib.util.spec_from_file_location("bench_metrics", REPO_ROOT / "bench" / "metrics.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_metrics"] = module
    spec.loader.exec_module(module)
    return module


def test_a_harness_run_tree_counts_its_scoring_workers(tmp_path):
    """``harness run`` with BLEU in 2 forked workers, sampled from outside: the workers are in
    the tree's figures and not in the main process's, and the score is sacrebleu's."""
    bench = _bench()
    # sampled every 10 ms: on a quiet machine the workers live a few tenths of a second
    row = bench.memory_row("bleu", ["bleu:workers=2"], 1000, run=True, every_s=0.01)
    preds, refs = bench.synthetic_pairs(1000)
    assert row["scores"]["bleu"] == BLEU().corpus_score(preds, [[r[0] for r in refs]]).score
    assert 0 < row["worker_rss"] and row["main_rss"] < row["rss"]
    assert row["pss"] < row["rss"]  # forked workers share pages with the run: PSS splits them


def _planned(folder, n: int):
    """A predictions file's task of ``n`` examples planned and its model loaded, as ``evaluate``
    does before generating."""
    refs, preds = folder / f"refs{n}.jsonl", folder / f"preds{n}.jsonl"
    refs.write_text("".join(json.dumps({"id": f"s{i}", "references": [f"ref {i}"]}) + "\n" for i in range(n)))
    preds.write_text("".join(json.dumps({"id": f"s{i}", "prediction": f"pred {i}"}) + "\n" for i in range(n)))
    spec = f"predictions:{preds}"
    options = RunOptions(data=refs, write=False)
    settings = EngineSettings(use_cache=False, progress=False)
    plan, = plan_run(["wmt14-de-en"], options, model_input_kind(spec), settings)
    return load_model(spec), spec, plan, options, settings, 0.0


def test_generating_takes_under_400_bytes_an_example(tmp_path):
    """The engine's books and the generations for 2,000 examples of a predictions file,
    traced: a deque per pending example and a __dict__ per generation took ~1,400 bytes an
    example at the peak (1.4 GB a million); now under 400."""
    generate_task(*_planned(tmp_path, 20))  # first imports, untraced
    n = 2000
    planned = _planned(tmp_path, n)
    tracemalloc.start()
    try:
        out = generate_task(*planned)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert [g.text for g in out.generations[:2]] == ["pred 0", "pred 1"]
    assert peak / n < 400


def test_records_are_slotted_and_keep_their_fields():
    config = GenerateConfig()
    records = [Example("s1", ("The house is small.",), source="Das Haus ist klein.", origin="refs.jsonl:1"),
               Request("s1", "Das Haus ist klein.", config), Generation("s1", "The house is small.", 7)]
    for record in records:
        assert not hasattr(record, "__dict__")
        assert pickle.loads(pickle.dumps(record)) == record
    example = records[0]
    assert example.extra is NO_EXTRA and example == Example("s1", ("The house is small.",), "Das Haus ist klein.",
                                                            extra={}, origin="refs.jsonl:1")
    assert pickle.loads(pickle.dumps(example)).extra is NO_EXTRA
    assert Example("s2", ("x",), extra={"topic": "news"}).extra["topic"] == "news"
