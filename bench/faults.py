"""Fault figures: the bad-input matrix through the real command line, and kill -9 trials.

    python bench/faults.py              # the whole matrix, 5 kill -9 trials, a merge killed at each step
    python bench/faults.py --fast       # a subset and no kill trials (tests/test_faults.py)
    python bench/faults.py --kills 20   # more trials

The matrix is the tests' tables (``tests/test_bad_input_*.py``: bad data files, bad options,
bad task files, paths outside the data folder, and files that must be read exactly), each row
run as a user runs it: ``python -m harness run ...`` in a fresh process. A row is

- a clear error: exit 2, the expected message (file:line or option) on stderr, no traceback,
  no run record written;
- accepted as documented: exit 0 and every row of the file scored under its own id;
- a traceback, a silent drop (a bad input accepted, or rows lost or renumbered), or an
  unclear error (refused without the expected message).

A kill trial starts a generation of 24 sampled requests with a tiny causal model, kills it
with SIGKILL after a random number of committed batches, reruns it, and compares the outputs
with an uninterrupted run: examples lost (missing or different) and generations duplicated
(made again although cached) must be 0. A merge trial kills a job array's merge at one of its
steps and runs the killed shard again: it must finish the run once and leave nothing behind.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import textwrap
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "tests")]

from test_bad_input_cli import BAD_OPTIONS, NO_MODEL, ROWS  # noqa: E402
from test_bad_input_data import ACCEPTED, BAD_FILES  # noqa: E402
from test_bad_input_task import BAD_TASK_BYTES, BAD_TASKS  # noqa: E402
from test_hardening_paths import REFUSED  # noqa: E402


@dataclass(frozen=True)
class Case:
    name: str
    make: Callable[[Path], list[str]]  # writes its files into a folder, returns the argv
    error: str | None = None  # the expected message fragment; None: must be accepted
    ids: tuple[str, ...] = ()  # accepted: the ids every row keeps


def _write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def _data_run(path: Path, folder: Path, model: str = "copy-source", task: str = "demo-translation") -> list[str]:
    return ["run", "--model", model, "--tasks", task, "--data", str(path), "--metrics", "bleu",
            "--bootstrap", "0", "--no-progress", "--json", "--output", str(folder / "out")]


def _file_case(name: str, content: bytes | str, error: str | None, ids=()) -> Case:
    def make(folder: Path) -> list[str]:
        path = folder / name
        path.write_bytes(content.encode() if isinstance(content, str) else content)
        return _data_run(path, folder)
    return Case(f"data {name}", make, error, tuple(ids))


def _option_case(option: str, value: str, error: str) -> Case:
    def make(folder: Path) -> list[str]:
        data = _write_jsonl(folder / "data.jsonl", ROWS)
        args = ["run", "--model", NO_MODEL, "--tasks", "demo-translation", "--data", str(data),
                "--output", str(folder / "out"), "--no-progress", "--bootstrap", "0"]
        if option in args:
            args[args.index(option) + 1] = value
            return args
        return args + [option, value]
    return Case(f"option {option} {value}", make, error)


def _task_case(index: int, text: str | bytes, error: str) -> Case:
    def make(folder: Path) -> list[str]:
        (folder / "tasks").mkdir()
        _write_jsonl(folder / "outside.jsonl", ROWS)
        (folder / "tasks" / "t.yaml").write_bytes(text if isinstance(text, bytes) else text.encode())
        return ["run", "--model", "copy-source", "--tasks", str(folder / "tasks" / "t.yaml"),
                "--output", str(folder / "out"), "--no-progress"]
    return Case(f"task file #{index}", make, error)


def _path_case(image: str) -> Case:
    def make(folder: Path) -> list[str]:
        (folder / "outside").mkdir()
        (folder / "outside" / "secret.png").write_bytes(b"secret")
        (folder / "data").mkdir()
        (folder / "data" / "link-out.png").symlink_to(folder / "outside" / "secret.png")
        data = _write_jsonl(folder / "data" / "d.jsonl", [{"id": "x", "image": image, "references": ["r"]}])
        preds = _write_jsonl(folder / "preds.jsonl", [{"id": "x", "prediction": "r"}])
        return _data_run(data, folder, f"predictions:{preds}", "demo-captioning")
    return Case(f"image {image}", make, "is outside the data file's folder")


def _folder_case(option: str, below: bool) -> Case:
    def make(folder: Path) -> list[str]:
        (folder / "a-file").write_text("x")
        args = _data_run(_write_jsonl(folder / "data.jsonl", ROWS), folder)
        target = str(folder / "a-file" / "below" if below else folder / "a-file")
        if option in args:
            args[args.index(option) + 1] = target
            return args
        return args + [option, target]
    return Case(f"{option} {'under a file' if below else 'a file'}", make,
                "cannot write there" if below else "is a file, not a folder")


def matrix() -> list[Case]:
    cases = [_file_case(name, content, message) for name, content, _, message in BAD_FILES]
    cases += [_file_case(name, content, None, [e[0] for e in expected])
              for name, content, expected in ACCEPTED]
    cases += [_option_case(*row) for row in BAD_OPTIONS]
    cases += [_task_case(i, text, message) for i, (text, _, message) in enumerate(BAD_TASKS + BAD_TASK_BYTES)]
    cases += [_path_case(image) for image in REFUSED]
    cases += [_folder_case(option, below) for option in ("--output", "--cache-dir") for below in (False, True)]
    return cases


def fast_subset(cases: list[Case]) -> list[Case]:
    """A few rows of every kind: what the test suite runs."""
    picked, seen = [], {}
    for case in cases:
        kind = case.name.split()[0] + ("-ok" if case.error is None else "")
        if seen.get(kind, 0) < 2:
            seen[kind] = seen.get(kind, 0) + 1
            picked.append(case)
    return picked


def run_case(case: Case) -> tuple[str, str]:
    """(outcome, detail): clear | accepted | traceback | silent | unclear."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        args = case.make(folder)
        env = {**os.environ, "HARNESS_CACHE": str(folder / "cache"),
               "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
        proc = subprocess.run([sys.executable, "-m", "harness", *args], capture_output=True,
                              text=True, env=env, timeout=600, cwd=folder)
        if "Traceback" in proc.stderr:
            return "traceback", proc.stderr.strip().splitlines()[-1]
        records = list((folder / "out").rglob("run.json")) if (folder / "out").exists() else []
        if case.error is not None:
            if proc.returncode == 0 or records:
                return "silent", f"rc {proc.returncode}, accepted"
            if proc.returncode != 2 or case.error not in proc.stderr:
                return "unclear", proc.stderr.strip()[:200]
            return "clear", ""
        if proc.returncode != 0:
            return "unclear", f"refused: {proc.stderr.strip()[:200]}"
        samples = [json.loads(line)["id"] for line in
                   next((folder / "out").rglob("samples.jsonl")).read_text().splitlines()]
        if tuple(samples) != case.ids:
            return "silent", f"ids {samples} != {list(case.ids)}"
        return "accepted", ""


# -- kill -9 trials ----------------------------------------------------------------------------
N_REQUESTS = 24
CHILD = textwrap.dedent("""
    import sys
    from pathlib import Path
    sys.path.insert(0, sys.argv[4])
    from faults import requests
    from harness.engine import EngineSettings, generate
    from harness.models.hf.causal import HFCausal
    generate(HFCausal(sys.argv[1]), requests(), EngineSettings(batch_size=2, cache_dir=Path(sys.argv[2]),
                                                               progress=False))
""")


def requests():
    from harness.types import GenerateConfig, Request
    config = GenerateConfig(max_new_tokens=16, do_sample=True, temperature=1.3, seed=5)
    return [Request(example_id=f"ex{i}", prompt=" ".join(["word"] * (i % 7 + 1)) + f" {i}",
                    config=config) for i in range(N_REQUESTS)]


def _cached(cache: Path) -> int:
    try:
        return sqlite3.connect(cache / "generations.sqlite").execute(
            "SELECT COUNT(*) FROM generations").fetchone()[0]
    except sqlite3.Error:
        return 0


def kill_trials(n: int, seed: int = 0) -> dict[str, int]:
    from harness.testing import tiny_models
    from harness.engine import EngineSettings, generate
    from harness.models.hf.causal import HFCausal
    out = {"trials": 0, "survived": 0, "lost": 0, "duplicated": 0, "not killed mid-run": 0}
    if n <= 0:
        return out
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory() as tmp:
        model_dir = tiny_models.build_all(Path(tmp) / "models")["causal"]
        model = HFCausal(str(model_dir))
        truth, _ = generate(model, requests(), EngineSettings(use_cache=False, progress=False))
        env = {**os.environ, "HARNESS_FAULT_BATCH_DELAY_S": "0.3",
               "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
        for trial in range(n):
            cache = Path(tmp) / f"cache{trial}"
            kill_after = rng.randrange(1, N_REQUESTS - 2)
            child = subprocess.Popen([sys.executable, "-c", CHILD, str(model_dir), str(cache), "",
                                      str(Path(__file__).parent)], env=env, stderr=subprocess.PIPE)
            deadline = time.monotonic() + 300
            while _cached(cache) < kill_after and child.poll() is None and time.monotonic() < deadline:
                time.sleep(0.02)
            child.send_signal(signal.SIGKILL)
            child.communicate()
            survived = _cached(cache)
            if child.returncode != -signal.SIGKILL or not 0 < survived < N_REQUESTS:
                out["not killed mid-run"] += 1  # a trial that proves nothing; reported
                continue
            again, acc = generate(model, requests(), EngineSettings(cache_dir=cache, progress=False))
            lost = sum(a.text != t.text or a.example_id != t.example_id for a, t in zip(again, truth))
            lost += abs(len(again) - len(truth))
            out["trials"] += 1
            out["lost"] += lost
            out["duplicated"] += max(acc.n_generated - (N_REQUESTS - survived), 0)
            out["survived"] += lost == 0
        model.close()
    return out


# -- merges killed at each step ----------------------------------------------------------------
MERGE_STEPS = ("locked", "written", "marked", "put-away")  # harness/run/merge.py's faults.merge_step


def merge_kill_trials(rounds: int) -> dict[str, int]:
    """A job array of 2 shards over a predictions file whose merge is killed (SIGKILL) at each
    step, then the killed shard run again, as a scheduler's user retries it: it must exit 0
    with the run merged once, and leave no temporary or lock behind."""
    out = {"trials": 0, "finished": 0, "runs made twice": 0, "leftovers": 0}
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    for step in MERGE_STEPS * rounds:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            model = f"predictions:{_write_jsonl(folder / 'p.jsonl', PREDICTIONS)}"
            args = [sys.executable, "-m", "harness",
                    *_data_run(_write_jsonl(folder / "d.jsonl", ROWS), folder, model)]
            shard = lambda i, **extra: subprocess.Popen(  # noqa: E731
                [*args, "--shard", f"{i}/2"], env={**env, **extra}, text=True, cwd=REPO,
                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            shard(0).communicate()
            merging = shard(1, HARNESS_FAULT_MERGE_HOLD_AT=step)
            for line in merging.stderr:
                if "harness: fault: " in line:
                    break
            merging.kill()
            merging.communicate()
            rerun = shard(1)
            rerun.communicate()
            runs = list((folder / "out").rglob("run.json"))
            left = [p for p in (folder / "out").rglob("*")
                    if p.name.startswith((".tmp-", ".latest.")) or "@" in p.name or p.suffix == ".lock"]
            out["trials"] += 1
            out["finished"] += rerun.returncode == 0 and len(runs) >= 1
            out["runs made twice"] += len(runs) > 1
            out["leftovers"] += len(left)
    return out


PREDICTIONS = [{"id": row["id"], "prediction": row["references"][0]} for row in ROWS]


def report(outcomes: list[tuple[Case, str, str]], kills: dict[str, int],
           merges: dict[str, int] | None = None) -> str:
    count = lambda kind: sum(outcome == kind for _, outcome, _ in outcomes)  # noqa: E731
    lines = [f"bad inputs tried          {len(outcomes):4d}",
             f"  clear errors            {count('clear'):4d}   (exit 2, what and where, no traceback)",
             f"  accepted as documented  {count('accepted'):4d}   (every row, under its own id)",
             f"  tracebacks              {count('traceback'):4d}",
             f"  silent drops            {count('silent'):4d}   (bad input accepted, rows lost or renumbered)",
             f"  unclear errors          {count('unclear'):4d}"]
    if kills["trials"]:
        lines += [f"kill -9 trials            {kills['trials']:4d}",
                  f"  faults survived         {kills['survived']:4d}",
                  f"  examples lost           {kills['lost']:4d}",
                  f"  duplicated generations  {kills['duplicated']:4d}"]
        if kills["not killed mid-run"]:
            lines.append(f"  not killed mid-run      {kills['not killed mid-run']:4d}   (not counted)")
    if merges and merges["trials"]:
        lines += [f"merges killed (kill -9)   {merges['trials']:4d}   (at each step: {', '.join(MERGE_STEPS)})",
                  f"  finished by the rerun   {merges['finished']:4d}   (the killed shard again: exit 0, run merged)",
                  f"  runs made twice         {merges['runs made twice']:4d}",
                  f"  temporaries, locks left {merges['leftovers']:4d}"]
    for case, outcome, detail in outcomes:
        if outcome not in ("clear", "accepted"):
            lines.append(f"  {outcome}: {case.name}: {detail}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fast", action="store_true", help="a few rows of each kind, no kill trials")
    parser.add_argument("--kills", type=int, default=None, help="kill -9 trials (default 5; --fast: 0)")
    args = parser.parse_args(argv)
    cases = fast_subset(matrix()) if args.fast else matrix()
    outcomes = [(case, *run_case(case)) for case in cases]
    kills = kill_trials(args.kills if args.kills is not None else 0 if args.fast else 5)
    merges = merge_kill_trials(0 if args.fast else 1)
    print(report(outcomes, kills, merges))
    bad = sum(o not in ("clear", "accepted") for _, o, _ in outcomes) + kills["lost"] + \
        kills["duplicated"] + kills["not killed mid-run"] + merges["trials"] - merges["finished"] + \
        merges["runs made twice"] + merges["leftovers"]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
