"""Repositories of aggregates: what a unit of work added, loaded or saved, and the events it staged.

A repository tracks the aggregates one unit of work touches. At commit it writes each changed one with its
new events in one single-document write (optimistic on the aggregate's version), then has them published,
together with whatever an earlier delivery left pending in an aggregate it loaded. Adding an aggregate
whose id is already stored is how a redelivery shows itself (ids are derived from their cause): the stored
one wins and its pending events are published.

Subclasses say how aggregates are stored: MongoRepository (plumbing/mongo.py) in production, an in-memory
one in the unit tests.
"""

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Generic, Protocol, TypeVar

from plumbing.outbox import OutboxEntry


class Aggregate(Protocol):
    """An aggregate: an id of its own and a version the store bumps on every write."""

    version: int

    @property
    def id(self) -> str: ...


A = TypeVar("A", bound=Aggregate)


class ConcurrentChange(Exception):
    """Another writer changed the aggregate since it was loaded; the causing message is retried."""


class NotTracked(Exception):
    """Events may only be staged for an aggregate the unit of work added, loaded or saved."""


@dataclass
class Tracked(Generic[A]):
    aggregate: A
    new: bool
    changed: bool
    stored: list[OutboxEntry] = field(default_factory=list)
    staged: list[OutboxEntry] = field(default_factory=list)


class Repository(ABC, Generic[A]):
    def __init__(self) -> None:
        self._tracked: dict[str, Tracked[A]] = {}

    def add(self, aggregate: A) -> None:
        """A new aggregate, inserted at commit."""
        self._tracked[aggregate.id] = Tracked(aggregate, new=True, changed=True)

    async def get(self, aggregate_id: str) -> A | None:
        if aggregate_id in self._tracked:
            return self._tracked[aggregate_id].aggregate
        loaded = await self._load(aggregate_id)
        if loaded is None:
            return None
        aggregate, pending = loaded
        self._tracked[aggregate_id] = Tracked(aggregate, new=False, changed=False, stored=pending)
        return aggregate

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

    async def write(self) -> dict[str, list[OutboxEntry]]:
        """Store every change; return, per aggregate id, the events to publish now."""
        to_publish: dict[str, list[OutboxEntry]] = {}
        for aggregate_id, tracked in self._tracked.items():
            if tracked.new:
                tracked.aggregate.version = 1
                if await self._insert(tracked.aggregate, tracked.staged):
                    to_publish[aggregate_id] = tracked.staged
                else:  # stored by an earlier delivery of the same cause, which may not have published
                    to_publish[aggregate_id] = await self._pending(aggregate_id)
            elif tracked.changed:
                expected = tracked.aggregate.version
                tracked.aggregate.version = expected + 1
                if not await self._update(tracked.aggregate, expected, tracked.staged):
                    tracked.aggregate.version = expected
                    raise ConcurrentChange(f"{aggregate_id} changed since version {expected}")
                to_publish[aggregate_id] = tracked.stored + tracked.staged
            else:
                to_publish[aggregate_id] = tracked.stored
        self._tracked.clear()
        return {key: entries for key, entries in to_publish.items() if entries}

    @abstractmethod
    async def publish(self, aggregate_id: str, entries: list[OutboxEntry]) -> None:
        """Publish entries stored in the aggregate's document, then remove them from it."""

    @abstractmethod
    async def _load(self, aggregate_id: str) -> tuple[A, list[OutboxEntry]] | None:
        """The stored aggregate with its version, and the events still pending in its document."""

    @abstractmethod
    async def _insert(self, aggregate: A, entries: list[OutboxEntry]) -> bool:
        """Insert the aggregate with its events; False if its id is already stored."""

    @abstractmethod
    async def _update(self, aggregate: A, expected_version: int, entries: list[OutboxEntry]) -> bool:
        """Write the aggregate and append its events; False if the stored version is not the expected one."""

    @abstractmethod
    async def _pending(self, aggregate_id: str) -> list[OutboxEntry]:
        """The events still pending in the stored aggregate's document."""
