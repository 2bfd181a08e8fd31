"""The requests of one engine call: which are done, cached, pending or failed.

Identical requests to a content-addressed model are generated once and fanned out to every
example that asked. Finished generations are committed to the cache as they come; failed
ones never are, so a rerun retries exactly those.
"""
from __future__ import annotations

import time
from dataclasses import replace
from typing import Callable, Hashable, Sequence

from harness.engine.cache import GenerationCache, SharedCache
from harness.engine.claims import Claims
from harness.errors import HarnessError
from harness.types import Generation, Request

POLL_S = 0.5  # how often a run waiting for another's claimed keys looks at the cache


class Ledger:
    def __init__(self, requests: Sequence[Request], cache: GenerationCache | SharedCache | None,
                 by_content: bool, claims: Claims | None = None):
        self.requests = list(requests)
        self.cache, self.claims = cache, claims
        self.results: list[Generation | None] = [None] * len(self.requests)
        # request key -> its first position; later positions only for the few keys asked
        # twice (a list per key would be ~80 bytes an example, for nothing, in most runs)
        self.first: dict[Hashable, int] | None = None
        self.repeats: dict[Hashable, list[int]] = {}
        if by_content:
            self.keys: Sequence[Hashable] = [r.key() for r in self.requests]
            self.first = {}
            for position, key in enumerate(self.keys):
                if key in self.first:
                    self.repeats.setdefault(key, []).append(position)
                else:
                    self.first[key] = position
        else:
            # a model whose output depends on the example itself (a predictions file, a
            # baseline) is never cached: each request is its own, keyed by its position, so
            # a million of them cost no key and no table
            self.keys = range(len(self.requests))
        cached = cache.get_many(self.first) if cache is not None and self.first is not None else {}
        for key, generation in cached.items():
            self._fill(key, generation)
        self.n_cached = sum(r is not None for r in self.results)
        self.pending = list(self.keys) if self.first is None else \
            [position for key, position in self.first.items() if key not in cached]
        self.waiting: list[int] = []  # pending keys another live run has claimed
        self.made: list[int] = []  # positions whose generation this call made
        self.n_errors = 0

    @property
    def n_done(self) -> int:
        return sum(r is not None for r in self.results)

    def positions(self, key: Hashable) -> tuple[int, ...]:
        """Every position whose request has ``key``."""
        if self.first is None:
            return (key,)
        return (self.first[key], *self.repeats.get(key, ()))

    def _fill(self, key: Hashable, generation: Generation) -> int:
        positions = self.positions(key)
        for position in positions:
            example_id = self.requests[position].example_id
            self.results[position] = generation if generation.example_id == example_id \
                else replace(generation, example_id=example_id)
        return len(positions)

    def commit(self, positions: Sequence[int], generations: Sequence[Generation]) -> int:
        """Store finished generations (one transaction); returns how many results they fill."""
        keyed = [(self.keys[p], g) for p, g in zip(positions, generations)]
        if self.cache is not None:
            self.cache.put_many([(k, g) for k, g in keyed if g.error is None])
        self.n_errors += sum(len(self.positions(k)) for k, g in keyed if g.error is not None)
        self.made += [p for p, g in zip(positions, generations) if g.error is None]
        return sum(self._fill(key, g) for key, g in keyed)

    def take(self, positions: Sequence[int]) -> list[int]:
        """The positions among ``positions`` this run claims and must generate; the others
        (cached or claimed by another live run meanwhile) wait for ``await_others``."""
        if self.claims is None:
            return list(positions)
        mine = self.claims.take(self.keys[p] for p in positions)
        self.waiting += [p for p in positions if self.keys[p] not in mine]
        return [p for p in positions if self.keys[p] in mine]

    def await_others(self, on_fill: Callable[[int], None], poll_s: float = POLL_S) -> list[int]:
        """Wait until every key other runs claimed is cached (filled from there) or its
        claimant is gone; returns the positions taken over, to generate next."""
        while self.waiting:
            keys = [self.keys[p] for p in self.waiting]
            cached = self.cache.get_many(keys) if self.cache is not None else {}
            filled = sum(self._fill(key, generation) for key, generation in cached.items())
            if filled:
                self.n_cached += filled
                on_fill(filled)
            rest, self.waiting = [p for p in self.waiting if self.keys[p] not in cached], []
            taken = self.take(rest)
            if taken:
                return taken
            if self.waiting:
                time.sleep(poll_s)
        return []

    def fail(self, position: int, message: str) -> int:
        """Record that a request could not be answered; every example that asked shares it."""
        request = self.requests[position]
        return self.commit([position], [Generation(request.example_id, "", error=message)])

    def finished(self) -> list[Generation]:
        missing = [self.requests[i].example_id for i, r in enumerate(self.results) if r is None]
        if missing:
            raise HarnessError(f"no generation for {len(missing)} example(s), first "
                               f"{missing[0]!r}; the model skipped them")
        return self.results  # type: ignore[return-value]


class CommitBuffer:
    """Generations that arrive one at a time, committed in groups: a transaction per
    generation would cost more than many adapters' generation, and a group per few seconds
    bounds what a kill can lose."""

    def __init__(self, ledger: Ledger, on_commit: Callable[[int, int], None],
                 every: int = 256, every_s: float = 2.0):
        self.ledger, self.on_commit, self.every, self.every_s = ledger, on_commit, every, every_s
        self._items: list[tuple[int, Generation]] = []
        self._last = time.perf_counter()

    def add(self, position: int, generation: Generation) -> None:
        self._items.append((position, generation))
        if len(self._items) >= self.every:
            self.flush()

    def flush_if_due(self) -> None:
        if time.perf_counter() - self._last > self.every_s:
            self.flush()

    def flush(self) -> None:
        if self._items:
            filled = self.ledger.commit([p for p, _ in self._items], [g for _, g in self._items])
            self.on_commit(filled, sum(g.num_tokens for _, g in self._items))
            self._items.clear()
        self._last = time.perf_counter()
