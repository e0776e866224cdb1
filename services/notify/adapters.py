from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from pymongo import ReturnDocument
from pymongo.asynchronous.collection import AsyncCollection

from plumbing.store import insert_once
from services.notify.ports import SmsGatewayError

Document = dict[str, Any]

# A claim older than this was taken by a process that died mid-send; it goes back to pending.
STALE_CLAIM = timedelta(minutes=2)


class KannelSmsGateway:
    """Kannel's smsbox sendsms interface; UCS-2 coding so Chinese text arrives intact."""

    def __init__(
        self, client: httpx.AsyncClient, url: str, username: str, password: str, sender: str
    ) -> None:
        self._client = client
        self._url = url
        self._credentials = {"username": username, "password": password}
        self._sender = sender

    async def send(self, to: str, text: str) -> str:
        params = self._credentials | {
            "from": self._sender,
            "to": to,
            "text": text,
            "charset": "UTF-8",
            "coding": "2",
        }
        try:
            response = await self._client.get(self._url, params=params)
        except httpx.HTTPError as error:
            raise SmsGatewayError(f"SMS gateway unreachable: {error!r}") from error
        if response.status_code not in (200, 202):
            raise SmsGatewayError(f"SMS gateway refused ({response.status_code}): {response.text.strip()}")
        return response.text.strip()


class MongoNotifications:
    """Notify's own collection: notifications, one per message to a customer, with its delivery state."""

    def __init__(self, collection: AsyncCollection[Document]) -> None:
        self._collection = collection

    async def ensure_indexes(self) -> None:
        await self._collection.create_index([("status", 1), ("next_attempt_at", 1)])
        await self._collection.create_index("work_order_id")

    async def add(self, document: Document) -> bool:
        return await insert_once(self._collection, document | {"next_attempt_at": document["created_at"]})

    async def claim(self, notification_id: str) -> Document | None:
        return await self._collection.find_one_and_update(
            # "$nin" rather than an equality, which FerretDB would answer with a collection scan.
            {"_id": notification_id, "status": {"$nin": ["sending", "sent", "failed"]}},
            {"$set": {"status": "sending", "claimed_at": datetime.now(UTC)}, "$inc": {"attempts": 1}},
            return_document=ReturnDocument.BEFORE,
        )

    async def mark_sent(self, notification_id: str, changes: Document) -> None:
        await self._collection.update_one({"_id": notification_id}, {"$set": {"status": "sent"} | changes})

    async def mark_failed(self, notification_id: str, error: str, retry: bool, retry_after: float) -> None:
        changes: Document = {
            "status": "pending" if retry else "failed",
            "last_error": error,
            "next_attempt_at": datetime.now(UTC) + timedelta(seconds=retry_after),
        }
        await self._collection.update_one({"_id": notification_id}, {"$set": changes})

    async def due_for_retry(self) -> list[str]:
        now = datetime.now(UTC)
        await self._collection.update_many(
            {"status": "sending", "claimed_at": {"$lt": now - STALE_CLAIM}}, {"$set": {"status": "pending"}}
        )
        cursor = self._collection.find(
            {"status": "pending", "next_attempt_at": {"$lte": now}}, {"_id": 1}
        ).limit(100)
        return [document["_id"] async for document in cursor]
