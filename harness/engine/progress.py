"""Progress on stderr: per task (examples, examples/s, generated tokens/s, ETA) and per step.

A terminal gets a tqdm bar. A log file or a pipe (CI, ``| tee``) gets a plain line every
``LINE_EVERY_S`` seconds and one at the end instead: a bar redrawn with carriage returns
becomes one enormous line there. ``Step`` is one line for work without a count to show
(a metric scoring a corpus): what it is and how big, then how long it took.
"""
from __future__ import annotations

import sys
import time

LINE_EVERY_S = 10.0
# a step expected to take this long also gets a line when it starts in a log: a log that
# stops there says what is running, where otherwise it would say nothing for minutes
SLOW_STEP_S = 10.0


class Progress:
    def __init__(self, total: int, done: int, desc: str, enabled: bool, unit: str = "examples"):
        self._bar = None
        self._unit = unit
        self._lines = False
        self._desc = desc or "generate"
        self._total, self._done, self._new = total, done, 0
        self._started = self._last_line = time.perf_counter()
        self._tokens = 0
        self._shown = -1  # examples done at the last plain line
        if not enabled or total <= done:
            return
        if sys.stderr.isatty():
            from tqdm.auto import tqdm

            # `initial` counts cached examples as done; tqdm's rate and ETA cover only new work
            self._bar = tqdm(total=total, initial=done, desc=self._desc, unit=f" {unit}",
                             file=sys.stderr, dynamic_ncols=True, smoothing=0.1)
        else:
            self._lines = True

    def update(self, examples: int, tokens: int) -> None:
        self._tokens += tokens
        self._done += examples
        self._new += examples
        if self._bar is not None:
            if self._tokens:  # a baseline or a predictions file generates no tokens
                self._bar.set_postfix_str(f"{self._tokens / self._elapsed():.0f} tok/s",
                                          refresh=False)
            self._bar.update(examples)
        elif self._lines and time.perf_counter() - self._last_line >= LINE_EVERY_S:
            self._line()

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
        elif self._lines and self._shown != self._done:
            self._line()

    def _elapsed(self) -> float:
        return max(time.perf_counter() - self._started, 1e-9)

    def _line(self) -> None:
        self._last_line, self._shown = time.perf_counter(), self._done
        rate = self._new / self._elapsed()
        parts = [f"{self._desc}: {self._done}/{self._total} {self._unit}"]
        if self._tokens:  # without tokens (a file of predictions, a baseline) rates mean nothing
            parts += [f"{rate:.1f} {self._unit}/s", f"{self._tokens / self._elapsed():.0f} tok/s"]
        elif self._unit != "examples":
            parts.append(f"{rate:.1f} {self._unit}/s")
        if self._done < self._total and rate > 0:
            parts.append(f"ETA {(self._total - self._done) / rate:.0f}s")
        print(", ".join(parts), file=sys.stderr, flush=True)


class Step:
    """One step as one line on stderr, used as ``with Step("scoring wmt21: ter (...)", on):``.

    A terminal sees ``desc ...`` when the step starts and the same line finished with its
    time when it ends (rewritten whole, so a warning printed in between cannot leave half a
    line). A log gets one line at the end, and one at the start too when ``estimate_s`` says
    the step is slow.
    """

    def __init__(self, desc: str, enabled: bool, estimate_s: float | None = None):
        self._desc = desc + (f", about {duration(estimate_s)}" if estimate_s is not None else "")
        self._enabled = enabled
        self._tty = enabled and sys.stderr.isatty()
        self._slow = estimate_s is not None and estimate_s >= SLOW_STEP_S
        self._started = 0.0

    def __enter__(self) -> "Step":
        self._started = time.perf_counter()
        if self._tty:
            sys.stderr.write(f"{self._desc} ...")
            sys.stderr.flush()
        elif self._enabled and self._slow:
            print(f"{self._desc} ...", file=sys.stderr, flush=True)
        return self

    def __exit__(self, kind, error, traceback) -> None:
        if not self._enabled:
            return
        outcome = "failed after " if kind is not None else ""
        line = f"{self._desc} ... {outcome}{duration(time.perf_counter() - self._started)}"
        # \r and erase-line: the line is written again whole, wherever the cursor was left
        sys.stderr.write(f"\r\x1b[K{line}\n" if self._tty else f"{line}\n")
        sys.stderr.flush()


def duration(seconds: float) -> str:
    """``0.3 s``, ``42 s``, ``6 min``, ``2 h 5 min``: as precise as a person reads a wait."""
    if seconds < 10:
        return f"{seconds:.1f} s"
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds // 3600:.0f} h {seconds % 3600 / 60:.0f} min"
