"""``Driver.STREAM``: hand every pending request to the model at once and commit what it
yields every few seconds (a predictions file, baselines, engines that schedule a whole
list themselves)."""
from __future__ import annotations

import time
from collections import defaultdict, deque
from typing import Callable

from harness.engine.ledger import Ledger
from harness.errors import HarnessError
from harness.models.base import Model
from harness.types import Generation

COMMIT_EVERY = 256  # generations
COMMIT_EVERY_S = 2.0


def run_stream(model: Model, ledger: Ledger, on_commit: Callable[[int, int], None]) -> None:
    pending = [ledger.requests[p] for p in ledger.pending]
    if not pending:
        return
    by_id: dict[str, deque[int]] = defaultdict(deque)
    for position, request in zip(ledger.pending, pending):
        by_id[request.example_id].append(position)
    buffer: list[tuple[int, Generation]] = []
    last_commit = time.perf_counter()

    def flush():
        if buffer:
            filled = ledger.commit([p for p, _ in buffer], [g for _, g in buffer])
            on_commit(filled, sum(g.num_tokens for _, g in buffer))
            buffer.clear()

    for generation in model.generate(pending):
        if not by_id.get(generation.example_id):
            raise HarnessError(f"{type(model).__name__} returned a generation for example "
                               f"{generation.example_id!r}, which was not asked for (or twice)")
        buffer.append((by_id[generation.example_id].popleft(), generation))
        if len(buffer) >= COMMIT_EVERY or time.perf_counter() - last_commit > COMMIT_EVERY_S:
            flush()
            last_commit = time.perf_counter()
    flush()
