"""A unit of work: stores what a handler changed together with the events it caused, then publishes them.

    async with unit as uow:
        dispatch, dispatched = Dispatch.open(...)
        uow.dispatches.add(dispatch)
        uow.publish(dispatched, topics.dispatch_progress, dispatch)

Leaving the block without an error writes every changed aggregate of every repository (each in one
single-document write with its events), then has the events published. An error leaves the store
untouched and publishes nothing, so the causing message's redelivery starts from scratch. One unit of work
may span several messages (a batch): every write comes before the first publish.
"""

from collections.abc import Sequence
from types import TracebackType
from typing import Any, Self

from contracts.events import Event
from plumbing.outbox import OutboxEntry
from plumbing.repository import NotTracked, Repository


class UnitOfWork:
    def __init__(self, source: str, repositories: Sequence[Repository[Any]]) -> None:
        self._source = source
        self._repositories = repositories

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if exc_type is None:
            await self.commit()

    def publish(self, event: Event, topic: str, aggregate: object, *, event_id: str | None = None) -> str:
        """Stage `event` for `topic` in the document of `aggregate` (added, got or saved here).

        Returns the CloudEvents id; pass it as `event_id` to put the very same event on a second topic.
        """
        entry = OutboxEntry.of(event, topic, self._source, event_id=event_id)
        if not any(repository.stage(aggregate, entry) for repository in self._repositories):
            raise NotTracked(f"{type(aggregate).__name__} is not in this unit of work: add, get or save it")
        return entry.event_id

    async def commit(self) -> None:
        written = [(repository, await repository.write()) for repository in self._repositories]
        for repository, to_publish in written:
            for aggregate_id, entries in to_publish.items():
                await repository.publish(aggregate_id, entries)
