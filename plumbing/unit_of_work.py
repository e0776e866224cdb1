"""A unit of work: stores what a handler changed together with the events it caused, then publishes them.

    async with unit() as uow:
        dispatch, dispatched = Dispatch.open(...)
        uow.dispatches.add(dispatch)
        uow.publish(dispatched, topics.dispatch_progress, dispatch)

`publish` only stages the event in the aggregate's document. Leaving the block without an error writes every
changed aggregate of every repository (each in one single-document write with its events), then the events
are sent. An error inside the block writes and sends nothing, so the causing message's redelivery starts
from scratch. If a later write of the commit fails (another writer changed that aggregate), the aggregates
written before it keep their events pending: the redelivery that retries the message sends them, or the
sweep does. Several messages may share one unit of work (batched consumers): every write of a commit comes
before its first send.
"""

from collections.abc import Sequence
from types import TracebackType
from typing import Any, Self

from contracts.envelope import Envelope
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
        else:
            for repository in self._repositories:
                repository.discard()

    def publish(
        self,
        event: Event,
        topic: str,
        aggregate: object,
        *,
        cause: Envelope | None = None,
        event_id: str | None = None,
    ) -> str:
        """Stage `event` for `topic` in the document of `aggregate` (added, got or saved here).

        `cause`: the message that led to it, whose trace the event continues. Returns the CloudEvents id;
        pass it as `event_id` to put the very same event on a second topic.
        """
        entry = OutboxEntry.of(
            event, topic, self._source, event_id=event_id, trace=cause.trace if cause else None
        )
        if not any(repository.stage(aggregate, entry) for repository in self._repositories):
            raise NotTracked(f"{type(aggregate).__name__} is not in this unit of work: add, get or save it")
        return entry.event_id

    async def commit(self) -> None:
        written = [(repository, await repository.write()) for repository in self._repositories]
        for repository, to_send in written:
            if to_send:
                await repository.send_pending(to_send)
