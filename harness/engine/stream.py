"""``Driver.STREAM``: hand every pending request to the model at once and commit what it
yields every few seconds (a predictions file, baselines, engines that schedule a whole
list themselves)."""
from __future__ import annotations

from collections import defaultdict, deque
from typing import Callable

from harness.engine.ledger import CommitBuffer, Ledger
from harness.errors import HarnessError
from harness.models.base import Model


def run_stream(model: Model, ledger: Ledger, on_commit: Callable[[int, int], None]) -> None:
    pending = [ledger.requests[p] for p in ledger.pending]
    if not pending:
        return
    by_id: dict[str, deque[int]] = defaultdict(deque)
    for position, request in zip(ledger.pending, pending):
        by_id[request.example_id].append(position)
    buffer = CommitBuffer(ledger, on_commit)
    for generation in model.generate(pending):
        if not by_id.get(generation.example_id):
            raise HarnessError(f"{type(model).__name__} returned a generation for example "
                               f"{generation.example_id!r}, which was not asked for (or twice)")
        buffer.add(by_id[generation.example_id].popleft(), generation)
        buffer.flush_if_due()
    buffer.flush()
