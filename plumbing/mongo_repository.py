"""Repositories on a MongoDB-wire store: one document per aggregate, its pending events inside it.

The document mapping belongs to each service's adapter (a DocumentMapper); this module adds what every
stored aggregate shares: `_id`, `version` (optimistic concurrency), `schema` (the mapping's version, so a
reader can upgrade older documents) and the outbox fields. Documents written before schemas were numbered
read as schema 0 at version 0.
"""

import asyncio
from typing import Any, ClassVar, Protocol, TypeVar

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import BulkWriteError

from plumbing.outbox import OutboxEntry, OutboxRelay, outbox_fields, stored_entries
from plumbing.repository import Aggregate, Loaded, Repository
from plumbing.write_guard import StaleWrite, guarded, retrying_stale

Document = dict[str, Any]
A = TypeVar("A", bound=Aggregate)
DUPLICATE_KEY = 11000


class NewerSchema(Exception):
    """A document written by a newer release of the service (mid rolling update): not readable here."""


class DocumentMapper(Protocol[A]):
    """How one aggregate type is stored: its fields, without `_id`, `version` or the outbox."""

    schema: ClassVar[int]
    # The fields the service's queries filter on, beyond `_id`; created when the service starts.
    indexes: ClassVar[tuple[str, ...]]

    def to_document(self, aggregate: A) -> Document: ...

    def from_document(self, document: Document, schema: int) -> A:
        """The aggregate a stored document holds, from any schema version up to `schema`."""
        ...


async def ensure_indexes(collection: AsyncCollection[Document], mapper: DocumentMapper[Any]) -> None:
    for index in mapper.indexes:
        await collection.create_index(index)


class MongoRepository(Repository[A]):
    def __init__(
        self,
        collection: AsyncCollection[Document],
        relay: OutboxRelay,
        mapper: DocumentMapper[A],
        *,
        derived_ids: bool = True,
    ) -> None:
        super().__init__(derived_ids=derived_ids)
        self._collection = collection
        self._relay = relay
        self._mapper = mapper

    async def send_pending(self, batch: dict[str, list[OutboxEntry]]) -> None:
        await self._relay.publish_many(batch)

    async def _load(self, aggregate_id: str) -> Loaded[A] | None:
        document = await self._collection.find_one({"_id": aggregate_id})
        if document is None:
            return None
        schema = document.get("schema", 0)
        if schema > self._mapper.schema:
            raise NewerSchema(
                f"{aggregate_id} is stored in schema {schema}; this release reads up to {self._mapper.schema}"
            )
        aggregate = self._mapper.from_document(document, schema)
        aggregate.version = document.get("version", 0)
        return Loaded(aggregate, stored_entries(document), outdated=schema < self._mapper.schema)

    async def _insert_many(self, new: list[tuple[A, list[OutboxEntry]]]) -> set[str]:
        documents = [
            {"_id": aggregate.id} | self._stored_fields(aggregate, 1) | outbox_fields(entries, nested=False)
            for aggregate, entries in new
        ]
        try:
            await self._collection.insert_many(documents, ordered=False)
        except BulkWriteError as error:
            errors = error.details.get("writeErrors", [])
            if any(write_error["code"] != DUPLICATE_KEY for write_error in errors):
                raise
            return {documents[write_error["index"]]["_id"] for write_error in errors}
        return set()

    async def _update_many(self, changed: list[tuple[A, int, list[OutboxEntry]]]) -> bool:
        # Side by side rather than one bulk write: see OutboxRelay.publish_many (FerretDB 1.24).
        stored = await asyncio.gather(
            *(self._update(aggregate, expected, entries) for aggregate, expected, entries in changed)
        )
        return all(stored)

    async def _update(self, aggregate: A, expected: int, entries: list[OutboxEntry]) -> bool:
        update = guarded(
            {"$set": self._stored_fields(aggregate, expected + 1) | outbox_fields(entries, nested=True)}
        )
        # A document from before versions were stored has none: an equality with null matches.
        conditioned = {"_id": aggregate.id, "version": expected if expected else None}
        try:
            # Refused as stale when another write landed between the store's read and its write: often
            # the relay clearing sent events, which leaves the version as it was. Tried again, the
            # condition decides: the version still the one read, the write lands; else it matches nothing.
            result = await retrying_stale(lambda: self._collection.update_one(conditioned, update))
        except StaleWrite:
            return False
        return result.matched_count == 1

    async def _pending(self, aggregate_id: str) -> list[OutboxEntry]:
        document = await self._collection.find_one({"_id": aggregate_id}, {"outbox": 1})
        return stored_entries(document) if document else []

    def _stored_fields(self, aggregate: A, version: int) -> Document:
        return self._mapper.to_document(aggregate) | {"version": version, "schema": self._mapper.schema}
