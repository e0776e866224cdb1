"""Transactional outbox without transactions: pending events live in the aggregate's own document.

A handler writes the aggregate and its pending events in one single-document write, so "stored" and
"will be published" cannot part. The relay then publishes them and empties the outbox. Whatever stops that
short (a crash, Kafka down) is published again by one of three paths, and consumers drop the duplicate by
its CloudEvents id:
- the causing message is not committed, so it is redelivered; its handler finds the aggregate already
  stored and flushes it again, which publishes whatever is still pending in it (a read by _id);
- a sweep when the service starts;
- a periodic sweep, the safety net. It filters on `has_outbox`, which production MongoDB serves from an
  index; FerretDB scans the collection for it, so the sweep runs seldom rather than in the hot path.
"""

import asyncio
import time
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol
from uuid import uuid4

from faststream.kafka import KafkaBroker
from opentelemetry import context, propagate
from pymongo.asynchronous.collection import AsyncCollection

from contracts.envelope import encode
from contracts.events import Event
from plumbing.bus import wire_headers

Document = dict[str, Any]


class PendingEvents:
    """Events an aggregate change will publish, in order, rendered into the document's outbox."""

    def __init__(self, source: str) -> None:
        self._source = source
        self._entries: dict[str, Document] = {}

    def add(self, event: Event, topic: str, *, event_id: str | None = None) -> str:
        message = encode(event, self._source, event_id=event_id)
        headers = wire_headers(message.headers)
        carrier: dict[str, str] = {}
        propagate.inject(carrier)  # the relay publishes later, in the trace of the change that caused it
        entry_id = uuid4().hex
        self._entries[entry_id] = {
            # Ordered after whatever the document still holds from earlier changes.
            "seq": time.time_ns() + len(self._entries),
            "topic": topic,
            "key": event.subject(),
            "headers": headers,
            "value": message.value.decode(),
            "trace": carrier,
        }
        return headers["ce_id"]

    @property
    def entries(self) -> Document:
        return dict(self._entries)

    def for_new_document(self) -> Document:
        return {
            "outbox": dict(self._entries),
            "has_outbox": bool(self._entries),
            "outbox_at": datetime.now(UTC),
        }

    def for_update(self) -> Document:
        """A $set that appends these entries to an existing document's outbox."""
        fields: Document = {f"outbox.{entry_id}": entry for entry_id, entry in self._entries.items()}
        return fields | {"has_outbox": True, "outbox_at": datetime.now(UTC)}


class Outbox(Protocol):
    """What a handler needs once its change is stored: have the document's pending events published."""

    async def flush(self, document_id: str, inserted: PendingEvents | None = None) -> int: ...


class OutboxRelay:
    def __init__(
        self,
        collection: AsyncCollection[Document],
        broker: KafkaBroker,
        *,
        sweep_every: float = 30.0,
        sweep_grace: float = 5.0,
    ) -> None:
        self._collection = collection
        self._broker = broker
        self._sweep_every = sweep_every
        self._sweep_grace = timedelta(seconds=sweep_grace)

    async def ensure_indexes(self) -> None:
        await self._collection.create_index("has_outbox")

    async def flush(self, document_id: str, inserted: PendingEvents | None = None) -> int:
        """Publish whatever the document holds pending: just stored, or left by an earlier delivery.

        `inserted` says the document was just created with exactly these events, which spares a read.
        """
        if inserted is not None:
            return await self._publish({"_id": document_id, "outbox": inserted.entries})
        document = await self._collection.find_one({"_id": document_id}, _OUTBOX_FIELDS)
        return await self._publish(document) if document else 0

    async def sweep(self) -> int:
        """Publish what a crashed or failed flush left behind; recent entries are left to their own flush."""
        cutoff = datetime.now(UTC) - self._sweep_grace
        published = 0
        async for document in self._collection.find(
            {"has_outbox": True, "outbox_at": {"$lt": cutoff}}, _OUTBOX_FIELDS
        ):
            published += await self._publish(document)
        return published

    async def run(self) -> None:
        while True:
            await self.sweep()
            await asyncio.sleep(self._sweep_every)

    async def _publish(self, document: Document) -> int:
        outbox: Document = document.get("outbox") or {}
        if not outbox:
            return 0
        entries = sorted(outbox.items(), key=lambda item: item[1]["seq"])
        for _, entry in entries:
            token = context.attach(propagate.extract(entry.get("trace") or {}))
            try:
                await self._broker.publish(
                    entry["value"].encode(),
                    topic=entry["topic"],
                    key=entry["key"].encode(),
                    # A copy: the telemetry middleware adds traceparent to the headers it is given.
                    headers=dict(entry["headers"]),
                )
            finally:
                context.detach(token)
        # One write by _id alone: on FerretDB any other equality in the filter turns it into a collection
        # scan. Clearing the flag unconditionally is safe: events a concurrent change adds are published by
        # that change's own flush before its message is committed (or on its redelivery).
        published = {f"outbox.{entry_id}": "" for entry_id, _ in entries}
        await self._collection.update_one(
            {"_id": document["_id"]}, {"$unset": published, "$set": {"has_outbox": False}}
        )
        return len(entries)


_OUTBOX_FIELDS = {"outbox": 1}
