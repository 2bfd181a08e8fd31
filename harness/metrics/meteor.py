"""METEOR 1.5 through the jar pycocoevalcap ships, spoken to over its ``-stdio`` protocol.

``SCORE ||| ref1 ||| ... ||| hyp`` returns a segment's sufficient statistics;
``EVAL ||| stats1 ||| stats2 ...`` returns one score per statistics line and then the score
of their sum. METEOR's corpus score is a function of the summed statistics, so the score
of a summed row equals pycocoevalcap's corpus METEOR, and many resamples are one call.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import threading
import weakref
from typing import Sequence

import numpy as np

from harness.errors import HarnessError, MissingDependency


def _jar_dir() -> str:
    try:
        from pycocoevalcap.meteor import meteor
    except ImportError as exc:
        raise MissingDependency("pycocoevalcap", why="for METEOR") from exc
    return os.path.dirname(os.path.abspath(meteor.__file__))


class MeteorScorer:
    """One METEOR JVM, started on first use and stopped when this object goes away."""

    def __init__(self):
        if shutil.which("java") is None:
            raise MissingDependency("java", why="for METEOR (it runs meteor-1.5.jar); install a JRE "
                                    "or leave METEOR out")
        cmd = ["java", "-jar", "-Xmx2G", "meteor-1.5.jar", "-", "-", "-stdio", "-l", "en", "-norm"]
        self._proc = subprocess.Popen(cmd, cwd=_jar_dir(), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                      stderr=subprocess.DEVNULL)
        self._lock = threading.Lock()
        self._finalizer = weakref.finalize(self, _stop, self._proc)

    def _ask(self, line: str, replies: int) -> list[str]:
        self._proc.stdin.write(line.encode("utf-8") + b"\n")
        self._proc.stdin.flush()
        out = [self._proc.stdout.readline().decode("utf-8").strip() for _ in range(replies)]
        if any(not reply for reply in out):
            raise HarnessError(f"METEOR stopped answering (exit code {self._proc.poll()}); "
                               f"is there 2 GB of memory for its JVM?")
        return out

    def statistics(self, hypotheses: Sequence[str], references: Sequence[Sequence[str]]) -> np.ndarray:
        rows = []
        with self._lock:
            for hyp, refs in zip(hypotheses, references):
                # pycocoevalcap's cleaning: '|||' is the field separator of the protocol
                hyp = hyp.replace("|||", "").replace("  ", " ")
                rows.append(self._ask(" ||| ".join(("SCORE", " ||| ".join(refs), hyp)), 1)[0])
        return np.array([[float(x) for x in row.split()] for row in rows], dtype=np.float64)

    def score_rows(self, rows: np.ndarray) -> np.ndarray:
        """METEOR of each statistics row (a summed row gives the corpus score of its segments)."""
        if len(rows) == 0:
            return np.zeros(0)
        lines = [" ".join(repr(float(x)) for x in row) for row in rows]
        with self._lock:
            replies = self._ask("EVAL ||| " + " ||| ".join(lines), len(rows) + 1)
        return np.array([float(x) for x in replies[:-1]])

    def close(self) -> None:
        self._finalizer()


_SHARED: MeteorScorer | None = None
_SHARED_LOCK = threading.Lock()


def shared_scorer() -> MeteorScorer:
    """The process's METEOR JVM (starting one takes seconds and 2 GB; every METEOR metric shares it)."""
    global _SHARED
    with _SHARED_LOCK:
        if _SHARED is None or _SHARED._proc.poll() is not None:
            _SHARED = MeteorScorer()
        return _SHARED


def _stop(proc: subprocess.Popen) -> None:
    try:
        proc.stdin.close()
    except OSError:
        pass
    proc.kill()
    proc.wait()
