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
    # example id -> the position its generation fills; a second request of the same example
    # waits in ``later`` (a deque apiece would be ~600 bytes an example: 600 MB a million)
    first: dict[str, int] = {}
    later: dict[str, deque[int]] = defaultdict(deque)
    for position, request in zip(ledger.pending, pending):
        if request.example_id in first:
            later[request.example_id].append(position)
        else:
            first[request.example_id] = position
    buffer = CommitBuffer(ledger, on_commit)
    for generation in model.generate(pending):
        example_id = generation.example_id
        if example_id in first:
            position = first.pop(example_id)
        elif later.get(example_id):
            position = later[example_id].popleft()
        else:
            raise HarnessError(f"{type(model).__name__} returned a generation for example "
                               f"{example_id!r}, which was not asked for (or twice)")
        buffer.add(position, generation)
        buffer.flush_if_due()
    buffer.flush()
