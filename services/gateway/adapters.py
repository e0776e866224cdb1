"""The gateway's read models in its own store: the document mapping lives here and only here.

Every query is an equality on `_id` or an indexed field: the trail is read by the minute it was
written in (alone, or with the principal), as the due-minute buckets elsewhere are.
"""

from collections.abc import Sequence
from typing import Any

from pymongo import ASCENDING, UpdateOne
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import BulkWriteError

from contracts.events import AuditRecordedV1
from services.gateway.ports import DispatchSeen

Document = dict[str, Any]
DUPLICATE_KEY = 11000


def minute_of(entry: AuditRecordedV1) -> str:
    return entry.at.strftime("%Y-%m-%dT%H:%M")


class MongoDispatchDirectory:
    def __init__(self, collection: AsyncCollection[Document]) -> None:
        self._collection = collection

    async def ensure_indexes(self) -> None:
        """Looked up by `_id` alone."""

    async def record(self, dispatches: Sequence[DispatchSeen]) -> None:
        if not dispatches:
            return
        await self._collection.bulk_write(
            [
                UpdateOne(
                    {"_id": d.dispatch_id},
                    {"$set": {"work_order_id": d.work_order_id, "department": d.department}},
                    upsert=True,
                )
                for d in dispatches
            ],
            ordered=False,
        )

    async def find(self, dispatch_id: str) -> DispatchSeen | None:
        document = await self._collection.find_one({"_id": dispatch_id})
        if document is None:
            return None
        return DispatchSeen(dispatch_id, document["work_order_id"], document["department"])


class MongoAuditTrail:
    def __init__(self, collection: AsyncCollection[Document]) -> None:
        self._collection = collection

    async def ensure_indexes(self) -> None:
        await self._collection.create_index([("minute", ASCENDING)])
        await self._collection.create_index([("principal_minute", ASCENDING)])

    async def record(self, entries: Sequence[AuditRecordedV1]) -> None:
        if not entries:
            return
        documents = [
            entry.model_dump(mode="json")
            | {
                "_id": entry.audit_id,
                "minute": minute_of(entry),
                "principal_minute": f"{entry.principal_id}|{minute_of(entry)}",
            }
            for entry in entries
        ]
        try:
            await self._collection.insert_many(documents, ordered=False)
        except BulkWriteError as error:
            # A redelivered record is already kept: kept once, never overwritten.
            if any(e.get("code") != DUPLICATE_KEY for e in error.details.get("writeErrors", [])):
                raise

    async def in_minutes(self, minutes: Sequence[str], principal: str | None) -> list[AuditRecordedV1]:
        found: list[AuditRecordedV1] = []
        for minute in minutes:
            query = {"principal_minute": f"{principal}|{minute}"} if principal else {"minute": minute}
            async for document in self._collection.find(query):
                found.append(AuditRecordedV1.model_validate(document))
        return sorted(found, key=lambda entry: (entry.at, entry.audit_id))
