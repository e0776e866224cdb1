"""Transactional outbox without transactions: pending events live in the aggregate's own document.

The unit of work writes an aggregate and its pending events in one single-document write, so "stored" and
"will be published" cannot part. The relay then publishes them and empties the outbox. Whatever stops that
short (a crash, Kafka down) is published again by one of three paths, and consumers drop the duplicate by
its business id (or its CloudEvents id):
- the causing message is not committed, so it is redelivered; its handler's unit of work finds the
  aggregate already stored and publishes whatever is still pending in it;
- a sweep when the service starts;
- a periodic sweep, the safety net: an indexed equality on `has_outbox`, true only while events wait.
"""

import asyncio
import contextlib
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import structlog
from faststream.kafka import KafkaBroker
from opentelemetry import context, propagate
from pymongo.asynchronous.collection import AsyncCollection

from contracts.envelope import encode
from contracts.events import Event
from plumbing.bus import RECORD_REFUSED, wire_headers
from plumbing.error_text import error_text
from plumbing.write_guard import StaleWrite, guarded, retrying_stale

Document = dict[str, Any]


@dataclass(frozen=True)
class OutboxEntry:
    """One event rendered for the wire, waiting in its aggregate's document to be published."""

    entry_id: str
    seq: int
    topic: str
    key: str
    headers: dict[str, str]
    value: str
    trace: dict[str, str]

    @classmethod
    def of(
        cls,
        event: Event,
        topic: str,
        source: str,
        *,
        event_id: str | None = None,
        trace: Mapping[str, str] | None = None,
    ) -> "OutboxEntry":
        """`trace`: the context of the event that caused this one; the current context if not given."""
        message = encode(event, source, event_id=event_id)
        carrier: dict[str, str] = dict(trace or {})
        if not carrier:
            propagate.inject(carrier)  # the relay publishes later, in the trace of what caused it
        return cls(
            entry_id=uuid4().hex,
            seq=_next_seq(),
            topic=topic,
            key=event.subject(),
            headers=wire_headers(message.headers),
            value=message.value.decode(),
            trace=carrier,
        )

    @property
    def event_id(self) -> str:
        return self.headers["ce_id"]

    def to_document(self) -> Document:
        return {
            "seq": self.seq,
            "topic": self.topic,
            "key": self.key,
            "headers": self.headers,
            "value": self.value,
            "trace": self.trace,
        }

    @classmethod
    def from_document(cls, entry_id: str, document: Document) -> "OutboxEntry":
        return cls(
            entry_id=entry_id,
            seq=document["seq"],
            topic=document["topic"],
            key=document["key"],
            headers=dict(document["headers"]),
            value=document["value"],
            trace=dict(document.get("trace") or {}),
        )


_last_seq = 0


def _next_seq() -> int:
    """Strictly increasing within the process, and after whatever a document holds from earlier changes
    (clock time), so entries staged in one instant still go out in the order they were staged."""
    global _last_seq
    _last_seq = max(time.time_ns(), _last_seq + 1)
    return _last_seq


def outbox_fields(entries: Iterable[OutboxEntry], *, nested: bool) -> Document:
    """The outbox part of a write: whole for an insert, one `outbox.<id>` path per entry for a $set."""
    rendered = {entry.entry_id: entry.to_document() for entry in entries}
    outbox: Document = (
        {f"outbox.{entry_id}": entry for entry_id, entry in rendered.items()}
        if nested
        else {"outbox": rendered}
    )
    if not rendered and nested:
        return {}
    return outbox | {"has_outbox": bool(rendered), "outbox_at": datetime.now(UTC)}


def stored_entries(document: Document) -> list[OutboxEntry]:
    outbox: Document = document.get("outbox") or {}
    entries = [OutboxEntry.from_document(entry_id, entry) for entry_id, entry in outbox.items()]
    return sorted(entries, key=lambda entry: entry.seq)


class OutboxRelay:
    """Publishes one collection's pending events and empties them from their documents."""

    def __init__(
        self,
        collection: AsyncCollection[Document],
        broker: KafkaBroker,
        *,
        log: Any = None,
        sweep_every: float = 30.0,
        sweep_grace: float = 5.0,
    ) -> None:
        self._collection = collection
        self._broker = broker
        self._log = log or structlog.get_logger("hotline.outbox")
        self._sweep_every = sweep_every
        self._sweep_grace = timedelta(seconds=sweep_grace)

    async def ensure_indexes(self) -> None:
        await self._collection.create_index("has_outbox")

    async def publish(self, document_id: str, entries: list[OutboxEntry]) -> int:
        return await self.publish_many({document_id: entries})

    async def publish_many(self, batch: dict[str, list[OutboxEntry]]) -> int:
        """Send each document's entries in order, the documents side by side, then empty the documents
        whose entries all went out; how many were sent (an entry Kafka refuses for good is set aside).
        If Kafka fails some, the rest are still emptied and the first failure is raised: what it left
        stays pending for the redelivery or the sweep."""
        batch = {document_id: entries for document_id, entries in batch.items() if entries}
        outcomes = await asyncio.gather(
            *(self._send_in_order(document_id, entries) for document_id, entries in batch.items()),
            return_exceptions=True,
        )
        sent = {
            document_id: (entries, outcome)
            for (document_id, entries), outcome in zip(batch.items(), outcomes, strict=True)
            if not isinstance(outcome, BaseException)
        }
        # One request per document, side by side, not one bulk update: FerretDB 1.24 on PostgreSQL exhausts
        # its connection pool when a client dies in the middle of a multi-document update (found by the
        # intake kill test), and each request is one round trip anyway. Filters by _id alone; clearing the
        # flag unconditionally is safe: events a concurrent change adds are published by that change's own
        # unit of work before its message is committed (or on its redelivery).
        await asyncio.gather(
            *(
                self._clear(document_id, entries, set_aside)
                for document_id, (entries, set_aside) in sent.items()
            )
        )
        failures = [outcome for outcome in outcomes if isinstance(outcome, BaseException)]
        if failures:
            raise failures[0]
        return sum(len(entries) - len(set_aside) for entries, set_aside in sent.values())

    async def _clear(self, document_id: str, entries: list[OutboxEntry], set_aside: Document) -> None:
        # Refused as stale when the document changed since the store read it (written over, that change
        # would be lost); the clear is safe to repeat, so it is tried again. Refused every time, the
        # entries stay pending and go out again, a redelivery, which every consumer takes as it takes
        # Kafka's own.
        clear = guarded(
            {
                "$unset": {f"outbox.{entry.entry_id}": "" for entry in entries},
                "$set": {"has_outbox": False} | set_aside,
            }
        )
        with contextlib.suppress(StaleWrite):
            await retrying_stale(lambda: self._collection.update_one({"_id": document_id}, clear))

    async def _send_in_order(self, document_id: str, entries: list[OutboxEntry]) -> Document:
        """One document's entries, one after the other (one aggregate's events keep their order); the
        fields that set aside those Kafka refused for good."""
        refused: Document = {}
        for entry in sorted(entries, key=lambda entry: entry.seq):
            try:
                await self._send(entry)
            except RECORD_REFUSED as error:
                # Kept in the document with the reason, for an operator: nothing is lost, nothing blocks.
                refused[f"outbox_refused.{entry.entry_id}"] = entry.to_document() | {
                    "reason": error_text(error)
                }
                self._log.error(
                    "Kafka refused an event for good; set aside in its document",
                    document_id=document_id,
                    topic=entry.topic,
                    event_id=entry.event_id,
                    error=error_text(error),
                )
        return refused

    async def _send(self, entry: OutboxEntry) -> None:
        token = context.attach(propagate.extract(entry.trace))
        try:
            await self._broker.publish(
                entry.value.encode(),
                topic=entry.topic,
                key=entry.key.encode(),
                # A copy: the telemetry middleware adds traceparent to the headers it is given.
                headers=dict(entry.headers),
            )
        finally:
            context.detach(token)

    async def sweep(self) -> int:
        """Publish what a crashed or failed flush left behind; recent entries are left to their own flush."""
        cutoff = datetime.now(UTC) - self._sweep_grace
        published = 0
        # An equality alone, which every store serves from the index (a range on outbox_at would be a scan
        # on FerretDB); the few documents with pending events are then sorted out here.
        async for document in self._collection.find({"has_outbox": True}, {"outbox": 1, "outbox_at": 1}):
            if document.get("outbox_at", cutoff) < cutoff:
                published += await self.publish(document["_id"], stored_entries(document))
        return published

    async def run(self) -> None:
        while True:
            await self.sweep()
            await asyncio.sleep(self._sweep_every)
