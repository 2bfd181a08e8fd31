"""The score a report shows, taken from the run's statistics, and what a table says about it.

run.json's score is written once, and nothing ties it to the statistics (``stats/*.npy``)
that CIs, ranks and paired tests resample: a record edited from 0.23 to 99.99 BLEU would be
ranked by one number and tested on another. So every reader (compare, leaderboard, report,
sweep) takes the score from ``metric.aggregate(record.stats(name))`` through
``checked_score`` and flags a record whose stored score disagrees; a score without
statistics is shown as stored and marked unverified. Runs a reader leaves out are listed
under its table with the reason (``left_out_lines``), never dropped without a word.
"""
from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Sequence

from harness.errors import DataError, HarnessError
from harness.record import RunRecord
from harness.record.store import LeftOut

# Every registered metric re-aggregates its stored float64 statistics to the stored score
# bit for bit (tests/test_reports_checks.py); the margin absorbs another numpy build's
# summation order, and is still a millionth of any edit worth making.
REL_TOL = 1e-6
ABS_TOL = 1e-9  # scores at 0 (TER of a perfect system)

MARKS = {"mismatch": "!", "unverified": "?", "partial": "†"}
MAX_LISTED = 10  # left-out runs named per reason; JSON lists every one


@dataclass(frozen=True)
class CheckedScore:
    """One run's score of one metric as its statistics give it, beside run.json's."""

    metric: str
    value: float
    """What reports show and rank: re-aggregated, or the stored score when unverified."""
    stored: float
    state: Literal["verified", "mismatch", "unverified"]
    why: str = ""
    """unverified: what kept the score from being re-aggregated."""


def checked_score(record: RunRecord, metric: str) -> CheckedScore:
    """Re-aggregate ``metric``'s stored statistics; damaged statistics raise DataError."""
    entry = record.score(metric)
    if entry.stats is None or entry.spec is None:
        why = "no statistics stored" if entry.stats is None else "a schema-1 record stores no metric options"
        return CheckedScore(metric, entry.score, entry.score, "unverified", why)
    stats = record.stats(metric)
    try:
        value = float(entry.metric().aggregate(stats))
    except DataError:
        raise
    except HarnessError as err:  # a metric this install cannot build or run (plugin, Java)
        return CheckedScore(metric, entry.score, entry.score, "unverified", f"not re-aggregated here: {err}")
    agrees = math.isclose(value, entry.score, rel_tol=REL_TOL, abs_tol=ABS_TOL)
    return CheckedScore(metric, value, entry.score, "verified" if agrees else "mismatch")


def marks(check: CheckedScore | None, partial: bool = False) -> str:
    """`` !``, `` ?``, `` †`` after a cell: what ``check_lines`` explains under the table."""
    out = MARKS.get(check.state, "") if check else ""
    return (" " + out if out else "") + (" " + MARKS["partial"] if partial else "")


def check_lines(checked: Sequence[tuple[Path | str | None, CheckedScore]]) -> list[str]:
    """Notes for the scores that are not simply verified, one per run and metric."""
    mismatch = [(f, c) for f, c in dict.fromkeys(checked) if c.state == "mismatch"]
    unverified = [(f, c) for f, c in dict.fromkeys(checked) if c.state == "unverified"]
    out = []
    if mismatch:
        out.append(f"{MARKS['mismatch']} run.json's score disagrees with the run's statistics (an edited "
                   f"record, or statistics from another run); shown and ranked by the statistics:")
        out += [f"  {f}: {c.metric} stored {c.stored:.4f}, statistics give {c.value:.4f}" for f, c in mismatch]
    if unverified:
        out.append(f"{MARKS['unverified']} unverified, shown as stored:")
        out += [f"  {f}: {c.metric} {c.stored:.4f} ({c.why})" for f, c in unverified]
    return out


def partial_lines(runs: Sequence[tuple[Path | str | None, str]]) -> list[str]:
    """Notes for the partial runs a table shows (``--include-partial``): (folder, detail)."""
    runs = list(dict.fromkeys((str(f), d) for f, d in runs))
    if not runs:
        return []
    return [f"{MARKS['partial']} partial run, scored on the examples that did not fail:"] + \
        [f"  {f}: {d}" for f, d in runs]


def partial_runs(records: Sequence[RunRecord]) -> list[tuple[Path | None, str]]:
    return [(r.folder, LeftOut.of(r).detail) for r in records if r.status == "partial"]


def left_out_lines(left_out: Sequence[LeftOut]) -> list[str]:
    """Runs found but not shown, counted by reason and named (the first few of each)."""
    if not left_out:
        return []
    counts = Counter(x.reason for x in left_out)
    hint = "; --include-partial shows partial runs" if counts.get("partial") else ""
    out = [f"left out: {', '.join(f'{n} {reason}' for reason, n in counts.items())} "
           f"run{'s' if len(left_out) > 1 else ''}{hint}:"]
    for reason in counts:
        runs = [x for x in left_out if x.reason == reason]
        out += [f"  {x.folder}: {x.detail}" for x in runs[:MAX_LISTED]]
        if len(runs) > MAX_LISTED:
            out.append(f"  ... and {len(runs) - MAX_LISTED} more {reason} runs")
    return out


def left_out_json(left_out: Sequence[LeftOut]) -> list[dict]:
    return [{"run": str(x.folder), "reason": x.reason, "detail": x.detail} for x in left_out]
