from typing import Any

from pymongo.asynchronous.collection import AsyncCollection

from plumbing.store import insert_once

Document = dict[str, Any]


class MongoDispatches:
    """Dispatch's own collection: dispatches, one document per work order with its dispatch history."""

    def __init__(self, collection: AsyncCollection[Document]) -> None:
        self._collection = collection

    async def ensure_indexes(self) -> None:
        await self._collection.create_index([("department", 1), ("status", 1)])

    async def add(self, document: Document) -> bool:
        return await insert_once(self._collection, document)

    async def get(self, work_order_id: str) -> Document | None:
        return await self._collection.find_one({"_id": work_order_id}, {"outbox": 0})

    async def record_once(
        self, work_order_id: str, event_id: str, changes: Document, entry: Document
    ) -> bool:
        # One conditional single-document update: the event id check and the change cannot be torn apart.
        result = await self._collection.update_one(
            {"_id": work_order_id, "seen_events": {"$ne": event_id}},
            {"$set": changes, "$push": {"history": entry, "seen_events": event_id}},
        )
        return result.modified_count == 1
