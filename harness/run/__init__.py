"""The run layer: what makes a run, from the options asked for to the records written.

    options      what a run asks for (RunOptions, Shard) and what planning makes of it (Planned)
    plan         every check that can run before a model loads; the run key
    evaluate     load once, generate each task (one process, torchrun ranks, or one shard)
    ranks        data parallel over torchrun's ranks
    shard        one job-array shard's part of a run
    merge        the N parts made into one run, checked first (merge_checks)
    score        score and record: the step a run and a merge both end with
"""
from __future__ import annotations

from harness.run.evaluate import evaluate
from harness.run.options import RunOptions
from harness.run.plan import load_model, parse_model_spec
from harness.run.score import score_predictions

__all__ = ["evaluate", "RunOptions", "load_model", "parse_model_spec", "score_predictions"]
