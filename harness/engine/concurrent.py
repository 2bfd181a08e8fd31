"""``Driver.CONCURRENT``: up to ``model.concurrency`` requests in flight, each retried
with exponential back-off and full jitter while the adapter calls its error transient
(``ErrorAction.RETRY``), honouring a server's Retry-After. Finished generations are
committed from this thread as they complete, so a killed run loses only what was in flight.
"""
from __future__ import annotations

import random
import threading
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from itertools import islice
from typing import Callable

from harness.engine.ledger import CommitBuffer, Ledger
from harness.models.base import ErrorAction, Model
from harness.types import Generation, Request

BACKOFF_BASE_S = 0.5
BACKOFF_MAX_S = 30.0
COMMIT_EVERY_S = 1.0
CLAIM_AHEAD = 2  # requests claimed and queued per thread: none idles while a batch of claims is written


class Outcome:
    """A finished request: its generation, or why it failed; and the retries it took."""

    def __init__(self, generation: Generation | None, error: BaseException | None, retries: int):
        self.generation, self.error, self.retries = generation, error, retries


def backoff_s(attempt: int, retry_after_s: float | None, rng: random.Random) -> float:
    """Full jitter (AWS's recommendation): spreads clients that failed together."""
    if retry_after_s is not None:
        return min(max(retry_after_s, 0.0), BACKOFF_MAX_S)
    return rng.uniform(0, min(BACKOFF_MAX_S, BACKOFF_BASE_S * 2 ** attempt))


def _attempt(model: Model, request: Request, stop: threading.Event) -> Outcome:
    rng = random.Random()
    retries = 0
    while True:
        try:
            return Outcome(model.generate_one(request), None, retries)
        except Exception as exc:  # the adapter decides what is transient
            decision = model.classify_error(exc)
            if decision.action is not ErrorAction.RETRY or retries >= model.max_retries:
                return Outcome(None, exc, retries)
            if stop.wait(backoff_s(retries, decision.retry_after_s, rng)):
                return Outcome(None, exc, retries)
            retries += 1


def run_concurrent(model: Model, ledger: Ledger, on_commit: Callable[[int, int], None],
                   on_failure: Callable[[int, BaseException], None]) -> int:
    """Generate every pending request this run claims (the others wait in the ledger for
    the run that claimed them); returns the number of retries it took."""
    stop = threading.Event()
    retries = 0
    buffer = CommitBuffer(ledger, on_commit, every_s=COMMIT_EVERY_S)
    threads = max(1, model.concurrency)
    unsent = iter(ledger.pending)
    with ThreadPoolExecutor(threads, thread_name_prefix="harness-request") as pool:
        running: dict[Future, int] = {}

        def send() -> None:
            # claimed a few at a time as they are sent, not all up front: a second run on the
            # same cache takes the requests this one has not reached, instead of waiting
            while len(running) < threads * CLAIM_AHEAD:
                window = list(islice(unsent, threads * CLAIM_AHEAD - len(running)))
                if not window:
                    return
                for p in ledger.take(window):
                    running[pool.submit(_attempt, model, ledger.requests[p], stop)] = p
        try:
            send()
            while running:
                done, _ = wait(running, timeout=COMMIT_EVERY_S, return_when=FIRST_COMPLETED)
                for future in done:
                    position, outcome = running.pop(future), future.result()
                    retries += outcome.retries
                    if outcome.error is not None:
                        buffer.flush()
                        on_failure(position, outcome.error)
                    else:
                        buffer.add(position, outcome.generation)
                buffer.flush_if_due()
                send()
        finally:
            stop.set()  # a failure or Ctrl-C: no new tries, sleeping retries wake up
            for future in running:
                future.cancel()
            # answers already on their way were paid for: keep them for the rerun
            for future, position in running.items():
                outcome = None if future.cancelled() else future.result()
                if outcome is not None and outcome.error is None:
                    buffer.add(position, outcome.generation)
            buffer.flush()
    return retries
