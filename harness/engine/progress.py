"""A progress bar per task: examples/s, generated tokens/s and ETA, on stderr."""
from __future__ import annotations

import sys
import time


class Progress:
    def __init__(self, total: int, done: int, desc: str, enabled: bool):
        self._bar = None
        self._started = time.perf_counter()
        self._tokens = 0
        if enabled and total > done:
            from tqdm.auto import tqdm
            # `initial` counts cached examples as done; tqdm's rate and ETA cover only new work
            self._bar = tqdm(total=total, initial=done, desc=desc or "generate", unit="ex",
                             file=sys.stderr, dynamic_ncols=True, smoothing=0.1)

    def update(self, examples: int, tokens: int) -> None:
        self._tokens += tokens
        if self._bar is not None:
            elapsed = max(time.perf_counter() - self._started, 1e-9)
            self._bar.set_postfix_str(f"{self._tokens / elapsed:.0f} tok/s", refresh=False)
            self._bar.update(examples)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
