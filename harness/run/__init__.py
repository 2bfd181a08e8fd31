"""The run layer: what makes a run, from the options asked for to the records written.

    options      what a run asks for (RunOptions, Shard) and what planning makes of it (Planned)
    plan         every check that can run before a model loads; the run key
    runner       evaluate(): load once, generate each task (one process, torchrun ranks, or one shard)
    ranks        data parallel over torchrun's ranks
    shard        one job-array shard's part of a run
    merge        the N parts made into one run, checked first (merge_checks), under merge_lock
    clean        what killed runs left in a results folder
    score        score and record: the step a run and a merge both end with
"""
from __future__ import annotations

import importlib

__all__ = ["evaluate", "RunOptions", "load_model", "parse_model_spec", "score_predictions"]
# where each public name lives: imported on first use, so the command line's parser can read
# run.options (a --shard value) without loading the metrics and the engine
_HOMES = {"evaluate": "runner", "RunOptions": "options", "load_model": "plan",
          "parse_model_spec": "plan", "score_predictions": "score"}


def __getattr__(name: str):
    if name not in _HOMES:
        raise AttributeError(f"module 'harness.run' has no attribute {name!r}")
    return getattr(importlib.import_module(f"harness.run.{_HOMES[name]}"), name)
