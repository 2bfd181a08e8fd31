"""The fault suite's fast subset, as CI runs it: a few rows of every kind of bad input through
the real command line (``bench/faults.py --fast``); the whole matrix and the kill -9 trials
are ``python bench/faults.py``."""
import importlib.util
import sys

from harness.testing import REPO_ROOT


def _bench():
    spec = importlib.util.spec_from_file_location("faults", REPO_ROOT / "bench" / "faults.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["faults"] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_the_fast_subset_has_no_traceback_and_no_silent_drop(capsys):
    faults = _bench()
    cases = faults.fast_subset(faults.matrix())
    kinds = {case.name.split()[0] for case in cases}
    assert {"data", "option", "task", "image", "--output", "--cache-dir"} <= kinds
    assert any(case.error is None for case in cases)  # files that must be read whole too
    assert faults.main(["--fast"]) == 0, capsys.readouterr().out
    out = capsys.readouterr().out
    assert "tracebacks                 0" in out and "silent drops               0" in out


def test_the_matrix_covers_every_table():
    faults = _bench()
    from test_bad_input_cli import BAD_OPTIONS
    from test_bad_input_data import ACCEPTED, BAD_FILES
    from test_bad_input_task import BAD_TASKS
    assert len(faults.matrix()) >= len(BAD_FILES) + len(ACCEPTED) + len(BAD_OPTIONS) + len(BAD_TASKS)
