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

import asyncio
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
    def __init__(self, *, derived_ids: bool = True) -> None:
        """`derived_ids`: an aggregate's id comes from its cause, so an id stored already is a redelivery
        (the stored one wins); False for aggregates that several causes open under one id (a key of
        their own), where it is another writer that came first: the unit of work fails (ConcurrentChange)
        and the message is retried against what that writer stored."""
        self._tracked: dict[str, Tracked[A]] = {}
        self._derived_ids = derived_ids

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
        """Store every change (new aggregates in one write, changed ones side by side); return, per
        aggregate id, the events to send now."""
        tracked = list(self._tracked.values())
        try:
            to_send = await self._write_new([entry for entry in tracked if entry.new])
            to_send |= await self._write_changed(
                [entry for entry in tracked if not entry.new and entry.changed]
            )
            to_send |= {
                entry.aggregate.id: entry.pending_at_load
                for entry in tracked
                if not entry.new and not entry.changed
            }
        finally:
            self.discard()
        return {key: entries for key, entries in to_send.items() if entries}

    async def _write_new(self, tracked: list[Tracked[A]]) -> dict[str, list[OutboxEntry]]:
        if not tracked:
            return {}
        already_stored = await self._insert_many([(entry.aggregate, entry.staged) for entry in tracked])
        if already_stored and not self._derived_ids:
            raise ConcurrentChange(f"another writer stored {', '.join(sorted(already_stored))} first")
        # Stored by an earlier delivery of the same cause, which may not have sent its events: those are
        # the ones to send. Such an object stays at version 0, so a later save of it is refused, never
        # overwriting the stored one. (A redelivered batch is all of this kind: read side by side.)
        ids = [entry.aggregate.id for entry in tracked if entry.aggregate.id in already_stored]
        pending = dict(zip(ids, await asyncio.gather(*(self._pending(i) for i in ids)), strict=True))
        for entry in tracked:
            if entry.aggregate.id not in already_stored:
                entry.aggregate.version = 1
                pending[entry.aggregate.id] = entry.staged
        return pending

    async def _write_changed(self, tracked: list[Tracked[A]]) -> dict[str, list[OutboxEntry]]:
        if not tracked:
            return {}
        if not await self._update_many(
            [(entry.aggregate, entry.aggregate.version, entry.staged) for entry in tracked]
        ):
            names = ", ".join(sorted(entry.aggregate.id for entry in tracked))
            raise ConcurrentChange(f"another writer changed one of {names} since it was loaded")
        for entry in tracked:
            entry.aggregate.version += 1
        return {entry.aggregate.id: entry.pending_at_load + entry.staged for entry in tracked}

    @abstractmethod
    async def send_pending(self, batch: dict[str, list[OutboxEntry]]) -> None:
        """Publish the entries stored in each aggregate's document, then remove them from it."""

    @abstractmethod
    async def _load(self, aggregate_id: str) -> Loaded[A] | None:
        """The stored aggregate with its version, and the events still pending in its document."""

    @abstractmethod
    async def _insert_many(self, new: list[tuple[A, list[OutboxEntry]]]) -> set[str]:
        """Insert each aggregate at version 1 with its events; the ids that were stored already."""

    @abstractmethod
    async def _update_many(self, changed: list[tuple[A, int, list[OutboxEntry]]]) -> bool:
        """Write each aggregate at the version after the given one, appending its events; False unless
        every one was still stored at the version given (those that were are written all the same)."""

    @abstractmethod
    async def _pending(self, aggregate_id: str) -> list[OutboxEntry]:
        """The events still pending in the stored aggregate's document."""
