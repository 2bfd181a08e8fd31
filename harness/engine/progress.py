"""Progress per task on stderr: examples, examples/s, generated tokens/s and ETA.

A terminal gets a tqdm bar. A log file or a pipe (CI, ``| tee``) gets a plain line every
``LINE_EVERY_S`` seconds and one at the end instead: a bar redrawn with carriage returns
becomes one enormous line there.
"""
from __future__ import annotations

import sys
import time

LINE_EVERY_S = 10.0


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
