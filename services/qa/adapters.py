from typing import Any

from pymongo.asynchronous.collection import AsyncCollection

from plumbing.store import insert_once

Document = dict[str, Any]


class MongoFollowUps:
    """QA's own collection: follow_ups, one planned visit per closed work order that the rules select."""

    def __init__(self, collection: AsyncCollection[Document]) -> None:
        self._collection = collection

    async def ensure_indexes(self) -> None:
        await self._collection.create_index([("status", 1), ("due_at", 1)])
        await self._collection.create_index("work_order_id", unique=True)

    async def add(self, document: Document) -> bool:
        return await insert_once(self._collection, document)
