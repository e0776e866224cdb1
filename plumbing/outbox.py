"""Transactional outbox without transactions: pending events live in the aggregate's own document.

A handler writes the aggregate and its pending events in one single-document write, so "stored" and
"will be published" cannot part. The relay publishes each entry and then removes it; a crash in between
publishes it again, and consumers drop the duplicate by its CloudEvents id.
"""

import asyncio
import time
from datetime import UTC, datetime, timedelta
from typing import Any
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


class OutboxRelay:
    def __init__(
        self,
        collection: AsyncCollection[Document],
        broker: KafkaBroker,
        *,
        sweep_every: float = 2.0,
        sweep_grace: float = 5.0,
    ) -> None:
        self._collection = collection
        self._broker = broker
        self._sweep_every = sweep_every
        self._sweep_grace = timedelta(seconds=sweep_grace)

    async def ensure_indexes(self) -> None:
        await self._collection.create_index("has_outbox")

    async def flush(self, document_id: str) -> int:
        """Publish one document's pending events right after the handler stored them."""
        document = await self._collection.find_one({"_id": document_id, "has_outbox": True}, {"outbox": 1})
        return await self._publish(document) if document else 0

    async def sweep(self) -> int:
        """Publish what a crashed or failed flush left behind; recent entries are left to their own flush."""
        cutoff = datetime.now(UTC) - self._sweep_grace
        published = 0
        async for document in self._collection.find(
            {"has_outbox": True, "outbox_at": {"$lt": cutoff}}, {"outbox": 1}
        ):
            published += await self._publish(document)
        return published

    async def run(self) -> None:
        while True:
            await asyncio.sleep(self._sweep_every)
            await self.sweep()

    async def _publish(self, document: Document) -> int:
        entries = sorted((document.get("outbox") or {}).items(), key=lambda item: item[1]["seq"])
        for entry_id, entry in entries:
            token = context.attach(propagate.extract(entry.get("trace") or {}))
            try:
                await self._broker.publish(
                    entry["value"].encode(),
                    topic=entry["topic"],
                    key=entry["key"].encode(),
                    headers=entry["headers"],
                )
            finally:
                context.detach(token)
            await self._collection.update_one(
                {"_id": document["_id"]}, {"$unset": {f"outbox.{entry_id}": ""}}
            )
        await self._collection.update_one(
            {"_id": document["_id"], "outbox": {}}, {"$set": {"has_outbox": False}}
        )
        return len(entries)
