from typing import Any

from pymongo.asynchronous.collection import AsyncCollection

from plumbing.store import insert_once

Document = dict[str, Any]


class MongoWorkOrders:
    """Intake's own collection: work_orders, one document per work order, keyed by work order id."""

    def __init__(self, collection: AsyncCollection[Document]) -> None:
        self._collection = collection

    async def ensure_indexes(self) -> None:
        await self._collection.create_index("contact_id", unique=True)

    async def add(self, document: Document) -> bool:
        return await insert_once(self._collection, document)
