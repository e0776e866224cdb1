"""Repositories of aggregates: what a unit of work added, loaded or saved, and the events it staged.

A repository tracks the aggregates one unit of work touches. At commit it writes each changed one with its
new events in one single-document write (optimistic on the aggregate's version), then has them sent,
together with whatever an earlier delivery left pending in an aggregate it loaded. Adding an aggregate
whose id is already stored is how a redelivery shows itself (ids are derived from their cause): the stored
one wins and its pending events are sent. An aggregate stored in an older schema is rewritten in the
current one when a unit of work next loads it.

Subclasses say how aggregates are stored: MongoRepository (plumbing/mongo_repository.py) in production,
an in-memory one in the unit tests.
"""

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Generic, Protocol, TypeVar

from plumbing.outbox import OutboxEntry


class Aggregate(Protocol):
    """An aggregate: an id of its own and the version its repository stored it at (0: never stored)."""

    version: int

    @property
    def id(self) -> str: ...


A = TypeVar("A", bound=Aggregate)


class ConcurrentChange(Exception):
    """Another writer changed the aggregate since it was loaded; the causing message is retried."""


class NotTracked(Exception):
    """Events may only be staged for an aggregate the unit of work added, loaded or saved."""


@dataclass(frozen=True)
class Loaded(Generic[A]):
    aggregate: A
    # Events an earlier change stored with the aggregate and that are not known to be sent yet.
    pending: list[OutboxEntry]
    # Stored in an older schema: written back in the current one even if nothing else changes.
    outdated: bool = False


@dataclass
class Tracked(Generic[A]):
    aggregate: A
    new: bool
    changed: bool
    pending_at_load: list[OutboxEntry] = field(default_factory=list)
    staged: list[OutboxEntry] = field(default_factory=list)


class Repository(ABC, Generic[A]):
    def __init__(self) -> None:
        self._tracked: dict[str, Tracked[A]] = {}

    def add(self, aggregate: A) -> None:
        """A new aggregate, inserted at commit."""
        if aggregate.id in self._tracked:
            raise ValueError(f"{aggregate.id} is already in this unit of work")
        self._tracked[aggregate.id] = Tracked(aggregate, new=True, changed=True)

    async def get(self, aggregate_id: str) -> A | None:
        if aggregate_id in self._tracked:
            return self._tracked[aggregate_id].aggregate
        loaded = await self._load(aggregate_id)
        if loaded is None:
            return None
        self._tracked[aggregate_id] = Tracked(
            loaded.aggregate, new=False, changed=loaded.outdated, pending_at_load=loaded.pending
        )
        return loaded.aggregate

    def save(self, aggregate: A) -> None:
        """A changed aggregate, written at commit if its version is still the stored one."""
        tracked = self._tracked.get(aggregate.id)
        if tracked is None:
            self._tracked[aggregate.id] = Tracked(aggregate, new=False, changed=True)
        else:
            tracked.changed = True

    def stage(self, aggregate: object, entry: OutboxEntry) -> bool:
        """Keep an event for an aggregate this repository tracks; False if it tracks no such aggregate."""
        tracked = self._tracked.get(getattr(aggregate, "id", ""))
        if tracked is None or tracked.aggregate is not aggregate:
            return False
        tracked.staged.append(entry)
        tracked.changed = True
        return True

    def discard(self) -> None:
        """Forget what this unit of work touched: after an error nothing of it may be written later."""
        self._tracked.clear()

    async def write(self) -> dict[str, list[OutboxEntry]]:
        """Store every change; return, per aggregate id, the events to send now."""
        to_send: dict[str, list[OutboxEntry]] = {}
        try:
            for aggregate_id, tracked in self._tracked.items():
                to_send[aggregate_id] = await self._write(tracked)
        finally:
            self.discard()
        return {key: entries for key, entries in to_send.items() if entries}

    async def _write(self, tracked: Tracked[A]) -> list[OutboxEntry]:
        aggregate = tracked.aggregate
        if tracked.new:
            if await self._insert(aggregate, 1, tracked.staged):
                aggregate.version = 1
                return tracked.staged
            # Stored by an earlier delivery of the same cause, which may not have sent its events. This
            # object stays at version 0, so a later save of it is refused rather than overwriting that one.
            return await self._pending(aggregate.id)
        if not tracked.changed:
            return tracked.pending_at_load
        expected = aggregate.version
        if not await self._update(aggregate, expected, expected + 1, tracked.staged):
            raise ConcurrentChange(f"{aggregate.id} changed since version {expected}")
        aggregate.version = expected + 1
        return tracked.pending_at_load + tracked.staged

    @abstractmethod
    async def send_pending(self, aggregate_id: str, entries: list[OutboxEntry]) -> None:
        """Publish entries stored in the aggregate's document, then remove them from it."""

    @abstractmethod
    async def _load(self, aggregate_id: str) -> Loaded[A] | None:
        """The stored aggregate with its version, and the events still pending in its document."""

    @abstractmethod
    async def _insert(self, aggregate: A, version: int, entries: list[OutboxEntry]) -> bool:
        """Insert the aggregate at `version` with its events; False if its id is already stored."""

    @abstractmethod
    async def _update(self, aggregate: A, expected: int, version: int, entries: list[OutboxEntry]) -> bool:
        """Write the aggregate at `version` and append its events; False unless it is stored at `expected`."""

    @abstractmethod
    async def _pending(self, aggregate_id: str) -> list[OutboxEntry]:
        """The events still pending in the stored aggregate's document."""
