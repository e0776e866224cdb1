"""Notify's adapters: Kannel's sendsms interface, the `notifications` collection and the
`linked_contacts` one."""

from collections.abc import Sequence
from typing import Any, ClassVar

import httpx
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import BulkWriteError

from plumbing.due_minutes import minute_of
from plumbing.mongo_repository import DUPLICATE_KEY, MongoRepository
from plumbing.store import as_utc
from plumbing.write_guard import guarded, retrying_stale
from services.notify.domain.links import Link, Result
from services.notify.domain.messages import Sms
from services.notify.domain.notification import STALE_CLAIM, Notification, NotificationStatus
from services.notify.ports import NotificationRepository, SmsGatewayError

Document = dict[str, Any]


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


class NotificationDocuments:
    """Schema 2: one flat document per message, with its delivery state, and the minute of its next
    attempt (`next_attempt_minute`, what the retry timer looks up).

    Schema 1 lacked the minute; such a message still unsettled is found at start, by status. Schema 0
    (before schemas were numbered) kept `next_attempt_at` on settled messages and timed a claim by
    `claimed_at`: read as schema 2 means them, no next attempt once settled, a claim due when stale.
    """

    schema: ClassVar[int] = 2
    indexes: ClassVar[tuple[str, ...]] = ("next_attempt_minute", "status")

    def to_document(self, notification: Notification) -> Document:
        return {
            "work_order_id": notification.work_order_id,
            "province": notification.province,
            "to": notification.to,
            "template": notification.template,
            "text": notification.text,
            "created_at": notification.created_at,
            "status": notification.status.value,
            "attempts": notification.attempts,
            "next_attempt_at": notification.next_attempt_at,
            "next_attempt_minute": minute_of(notification.next_attempt_at),
            "last_error": notification.last_error,
            "sent_at": notification.sent_at,
            "gateway_reply": notification.gateway_reply,
        }

    def from_document(self, document: Document, schema: int) -> Notification:
        status = NotificationStatus(document["status"])
        next_attempt_at = document.get("next_attempt_at")
        if schema == 0 and status in (NotificationStatus.SENT, NotificationStatus.FAILED):
            next_attempt_at = None
        elif schema == 0 and status is NotificationStatus.SENDING:
            next_attempt_at = document["claimed_at"] + STALE_CLAIM
        return Notification(
            id=document["_id"],
            work_order_id=document["work_order_id"],
            province=document["province"],
            to=document["to"],
            template=document["template"],
            text=document["text"],
            created_at=document["created_at"],
            status=status,
            attempts=document["attempts"],
            next_attempt_at=next_attempt_at,
            last_error=document.get("last_error"),
            sent_at=document.get("sent_at"),
            gateway_reply=document.get("gateway_reply"),
        )


class MongoNotifications(MongoRepository[Notification], NotificationRepository):
    async def unsettled(self) -> list[str]:
        ids: list[str] = []
        for status in (NotificationStatus.PENDING, NotificationStatus.SENDING):
            ids += [
                document["_id"] async for document in self._collection.find({"status": status}, {"_id": 1})
            ]
        return ids

    async def next_attempt_in(self, minute: str) -> list[str]:
        cursor = self._collection.find({"next_attempt_minute": minute}, {"_id": 1})
        return [document["_id"] async for document in cursor]


class MongoLinkedContacts:
    """One document per linked contact, by its id; found by the work order it is linked to. Beside it,
    each work order's final result, by the work order's id."""

    def __init__(self, collection: AsyncCollection[Document], results: AsyncCollection[Document]) -> None:
        self._collection = collection
        self._results = results

    async def ensure_indexes(self) -> None:
        await self._collection.create_index("work_order_id")

    async def add(self, links: Sequence[Link]) -> None:
        documents = [
            {
                "_id": link.contact_id,
                "work_order_id": link.work_order_id,
                "phone": link.phone,
                "linked_at": link.linked_at,
            }
            for link in links
        ]
        if not documents:
            return
        try:
            await self._collection.insert_many(documents, ordered=False)
        except BulkWriteError as error:
            if any(e["code"] != DUPLICATE_KEY for e in error.details.get("writeErrors", [])):
                raise

    async def keep_result(self, result: Result) -> None:
        fields = {
            "notification_id": result.notification_id,
            "phone": result.phone,
            "template": result.sms.template,
            "text": result.sms.text,
        }
        update = guarded({"$set": fields})
        await retrying_stale(
            lambda: self._results.update_one({"_id": result.work_order_id}, update, upsert=True)
        )

    async def result_of(self, work_order_id: str) -> Result | None:
        found = await self._results.find_one({"_id": work_order_id})
        if found is None:
            return None
        sms = Sms(found["template"], found["text"])
        return Result(work_order_id, found["notification_id"], found["phone"], sms)

    async def of(self, work_order_id: str) -> list[Link]:
        found = self._collection.find({"work_order_id": work_order_id})
        return [
            Link(document["_id"], document["work_order_id"], document["phone"], as_utc(document["linked_at"]))
            async for document in found
        ]
