"""``Driver.STREAM``: hand every pending request to the model at once and commit what it
yields every few seconds (a predictions file, baselines, engines that schedule a whole
list themselves)."""
from __future__ import annotations

from collections import defaultdict, deque
from typing import Callable, Sequence

from harness.engine.ledger import CommitBuffer, Ledger
from harness.errors import HarnessError
from harness.models.base import Model
from harness.types import Request


def run_stream(model: Model, ledger: Ledger, on_commit: Callable[[int, int], None]) -> None:
    pending = [ledger.requests[p] for p in ledger.pending]
    if not pending:
        return
    buffer = CommitBuffer(ledger, on_commit)
    where = Positions(ledger.pending, pending)
    for generation in model.generate(pending):
        position = where.take(generation.example_id)
        if position is None:
            raise HarnessError(f"{type(model).__name__} returned a generation for example "
                               f"{generation.example_id!r}, which was not asked for (or twice)")
        buffer.add(position, generation)
        buffer.flush_if_due()
    buffer.flush()


class Positions:
    """The position each generation fills, found by its example id. Most adapters yield in
    the requests' order: the next position, with no table; from the first one out of order, a
    table of the rest (a deque per example would be ~600 bytes each: 600 MB a million)."""

    def __init__(self, positions: Sequence[int], requests: Sequence[Request]):
        self.positions, self.requests, self.next = positions, requests, 0
        self.first: dict[str, int] | None = None
        self.later: dict[str, deque[int]] = defaultdict(deque)  # an example asked twice

    def take(self, example_id: str) -> int | None:
        if self.first is None:
            if self.next < len(self.requests) and self.requests[self.next].example_id == example_id:
                self.next += 1
                return self.positions[self.next - 1]
            self.first = {}
            for position, request in zip(self.positions[self.next:], self.requests[self.next:]):
                if request.example_id in self.first:
                    self.later[request.example_id].append(position)
                else:
                    self.first[request.example_id] = position
        if example_id in self.first:
            return self.first.pop(example_id)
        return self.later[example_id].popleft() if self.later.get(example_id) else None
