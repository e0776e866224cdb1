"""Notify's adapters: Kannel's sendsms interface, the `notifications` collection, the `deliveries` one
(what the SMS gateway reported of each text) and the `linked_contacts` one."""

from collections.abc import Sequence
from datetime import datetime
from typing import Any, ClassVar

import httpx
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import BulkWriteError, DuplicateKeyError

from contracts.events import CustomerKind, DeliveryState, SmsDeliveryReportedV1
from plumbing.due_minutes import minute_of
from plumbing.mongo_repository import DUPLICATE_KEY, MongoRepository
from plumbing.store import as_utc
from plumbing.write_guard import guarded, retrying_stale
from services.notify.domain.deliveries import Delivery, Report, report_reference_for
from services.notify.domain.links import Link, Result
from services.notify.domain.messages import Sms
from services.notify.domain.notification import STALE_CLAIM, Notification, NotificationStatus
from services.notify.domain.sms_length import SmsEncoding, sms_length
from services.notify.ports import NotificationRepository, SmsGatewayError

Document = dict[str, Any]


class KannelSmsGateway:
    """Kannel's smsbox sendsms interface: a text all in GSM 03.38's alphabet as 7-bit (Kannel converts it
    from UTF-8), any other in UCS-2, so Chinese arrives intact; as sms_length counts it."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        url: str,
        username: str,
        password: str,
        sender: str,
        report_url: str | None = None,
    ) -> None:
        self._client = client
        self._url = url
        self._credentials = {"username": username, "password": password}
        self._sender = sender
        self._report_url = report_url

    async def send(
        self, to: str, text: str, *, reply_code: str | None = None, reference: str | None = None
    ) -> str:
        params = self._credentials | {
            "from": self._sender + (reply_code or ""),
            "to": to,
            "text": text,
            "charset": "UTF-8",
            "coding": "0" if sms_length(text).encoding is SmsEncoding.GSM7 else "2",
        }
        if self._report_url and reference:
            # Kannel calls it back with each report, its % escapes filled in: the DLR type, the SMSC's
            # answer, the time.
            params |= {
                "dlr-mask": str(DLR_MASK),
                "dlr-url": f"{self._report_url}?reference={reference}&status=%d&answer=%A&at=%T",
            }
        try:
            response = await self._client.get(self._url, params=params)
        except httpx.HTTPError as error:
            raise SmsGatewayError(f"SMS gateway unreachable: {error!r}") from error
        if response.status_code not in (200, 202):
            raise SmsGatewayError(f"SMS gateway refused ({response.status_code}): {response.text.strip()}")
        return response.text.strip()


# Kannel's DLR types asked for: delivered 1, undeliverable 2, buffered 4, taken by the SMSC 8, refused 16.
DLR_MASK = 1 | 2 | 4 | 8 | 16


class MongoDeliveries:
    """One document per text reported on, by its report reference: each report kept once, as it came."""

    def __init__(self, collection: AsyncCollection[Document]) -> None:
        self._collection = collection

    async def record(self, report: SmsDeliveryReportedV1) -> Delivery:
        kept = {
            "state": report.state.value,
            "gateway_status": report.gateway_status,
            "at": report.reported_at,
        }
        update = guarded({"$addToSet": {"reports": kept}, "$setOnInsert": {"first_at": report.received_at}})
        try:
            await retrying_stale(
                lambda: self._collection.update_one({"_id": report.reference}, update, upsert=True)
            )
        except DuplicateKeyError:  # another report of the text inserted it first: this one is kept on it
            await retrying_stale(lambda: self._collection.update_one({"_id": report.reference}, update))
        return await self.of(report.reference) or Delivery(report.reference)

    async def of(self, reference: str) -> Delivery | None:
        found = await self._collection.find_one({"_id": reference})
        if found is None:
            return None
        reports = [
            Report(DeliveryState(r["state"]), r["gateway_status"], as_utc(r["at"]))
            for r in found.get("reports", [])
        ]
        return Delivery(reference, reports)


class NotificationDocuments:
    """Schema 3: one flat document per message, with its delivery state, the minute of its next attempt
    (`next_attempt_minute`, what the retry timer looks up) and the customer's kind (their quiet hours).
    Schema 2 lacked the kind: read as unknown, a resident's hours.

    Schema 1 lacked the minute; such a message still unsettled is found at start, by status. Schema 0
    (before schemas were numbered) kept `next_attempt_at` on settled messages and timed a claim by
    `claimed_at`: read as schema 2 means them, no next attempt once settled, a claim due when stale.
    """

    schema: ClassVar[int] = 3
    indexes: ClassVar[tuple[str, ...]] = ("next_attempt_minute", "status", "report_reference")

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
            # What its delivery reports name it by (services/notify/domain/deliveries.py).
            "report_reference": report_reference_for(notification.id),
            "customer_kind": notification.customer_kind.value if notification.customer_kind else None,
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
            customer_kind=CustomerKind(document["customer_kind"]) if document.get("customer_kind") else None,
        )


class MongoNotifications(MongoRepository[Notification], NotificationRepository):
    async def unsettled(self, now: datetime) -> list[str]:
        # Each message's id and next time only: the ones held for later are skipped here, without a
        # read each (an outage's texts held overnight are tens of thousands).
        ids: list[str] = []
        for status in (NotificationStatus.PENDING, NotificationStatus.SENDING):
            found = self._collection.find({"status": status}, {"_id": 1, "next_attempt_at": 1})
            ids += [
                document["_id"]
                async for document in found
                if document.get("next_attempt_at") is None or as_utc(document["next_attempt_at"]) <= now
            ]
        return ids

    async def with_reference(self, reference: str) -> str | None:
        found = await self._collection.find_one({"report_reference": reference}, {"_id": 1})
        return found["_id"] if found else None

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
                "kind": link.kind.value if link.kind else None,
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
            Link(
                document["_id"],
                document["work_order_id"],
                document["phone"],
                as_utc(document["linked_at"]),
                CustomerKind(document["kind"]) if document.get("kind") else None,  # before kinds: unknown
            )
            async for document in found
        ]
