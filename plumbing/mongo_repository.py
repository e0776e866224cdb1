"""Repositories on a MongoDB-wire store: one document per aggregate, its pending events inside it.

The document mapping belongs to each service's adapter (a DocumentMapper); this module adds what every
stored aggregate shares: `_id`, `version` (optimistic concurrency), `schema` (the mapping's version, so a
reader can upgrade older documents) and the outbox fields.
"""

from typing import Any, ClassVar, Protocol, TypeVar

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from plumbing.outbox import OutboxEntry, OutboxRelay, outbox_fields, stored_entries
from plumbing.repository import Aggregate, Repository

Document = dict[str, Any]
A = TypeVar("A", bound=Aggregate)


class DocumentMapper(Protocol[A]):
    """How one aggregate type is stored: its fields, without `_id`, `version` or the outbox."""

    schema: ClassVar[int]

    def to_document(self, aggregate: A) -> Document: ...

    def from_document(self, document: Document) -> A:
        """The aggregate a stored document holds, from any schema version up to `schema`."""
        ...


class MongoRepository(Repository[A]):
    def __init__(
        self, collection: AsyncCollection[Document], relay: OutboxRelay, mapper: DocumentMapper[A]
    ) -> None:
        super().__init__()
        self._collection = collection
        self._relay = relay
        self._mapper = mapper

    async def publish(self, aggregate_id: str, entries: list[OutboxEntry]) -> None:
        await self._relay.publish(aggregate_id, entries)

    async def _load(self, aggregate_id: str) -> tuple[A, list[OutboxEntry]] | None:
        document = await self._collection.find_one({"_id": aggregate_id})
        if document is None:
            return None
        aggregate = self._mapper.from_document(document)
        aggregate.version = document["version"]
        return aggregate, stored_entries(document)

    async def _insert(self, aggregate: A, entries: list[OutboxEntry]) -> bool:
        document = self._stored_fields(aggregate) | outbox_fields(entries, nested=False)
        try:
            await self._collection.insert_one({"_id": aggregate.id} | document)
        except DuplicateKeyError:
            return False
        return True

    async def _update(self, aggregate: A, expected_version: int, entries: list[OutboxEntry]) -> bool:
        changes = self._stored_fields(aggregate) | outbox_fields(entries, nested=True)
        result = await self._collection.update_one(
            {"_id": aggregate.id, "version": expected_version}, {"$set": changes}
        )
        return result.matched_count == 1

    async def _pending(self, aggregate_id: str) -> list[OutboxEntry]:
        document = await self._collection.find_one({"_id": aggregate_id}, {"outbox": 1})
        return stored_entries(document) if document else []

    def _stored_fields(self, aggregate: A) -> Document:
        return self._mapper.to_document(aggregate) | {
            "version": aggregate.version,
            "schema": self._mapper.schema,
        }
