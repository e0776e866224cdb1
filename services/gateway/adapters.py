"""The gateway's read models in its own store (the work orders' case files, the audit trail): the
document mapping lives here and only here.

Every query is an equality on `_id` or an indexed field: the trail is read by the minute it was
written in (alone, or with the principal), as the due-minute buckets elsewhere are; an owner's list by
`queue` (or `queue_waiting`, set only while fields are missing), sorted here rather than by the store.
"""

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from pymongo import ASCENDING, UpdateOne
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import BulkWriteError

from contracts.events import AuditRecordedV1
from plumbing.write_guard import retrying_stale
from services.gateway.case_file_documents import (
    case_file_of,
    dispatch_document,
    reply_document,
    step_document,
)
from services.gateway.case_files import (
    CaseChanges,
    CaseFacts,
    CaseFile,
    LinkNote,
    OwnerNote,
    ReclassNote,
)
from services.gateway.list_store import MongoListBuckets, changed

Document = dict[str, Any]
DUPLICATE_KEY = 11000
OLDEST = datetime.min.replace(tzinfo=UTC)


def minute_of(entry: AuditRecordedV1) -> str:
    return entry.at.strftime("%Y-%m-%dT%H:%M")


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


def _facts_document(facts: CaseFacts) -> Document:
    """What is known of the work order; a field an event does not carry is left as the other set it."""
    known: Document = {
        "province": facts.province,
        "type": facts.type.value,
        "description": facts.description,
        "customer.phone": facts.phone,
        "customer.name": facts.customer_name,
        "customer.home_region": facts.home_region,
        "customer.tier": facts.tier,
        "customer.priority": facts.priority,
        "area": facts.area.model_dump(mode="json") if facts.area else None,
        "address": facts.address,
        "account_number": facts.account_number,
        "channel": facts.channel,
        "created_at": facts.created_at,
        "anonymous": facts.anonymous,
        "sealed_reporter": facts.sealed_reporter,
        "category": facts.category,
        "details": facts.details,
        "owner": facts.owner,
        "answer": facts.answer,
        "incident_id": facts.incident_id,
        "linked_to": facts.linked_to,
    }
    if facts.missing is not None:  # intake's event: it says whose list the work order is on
        known |= {
            "missing": [{"name": name, "reason": reason} for name, reason in facts.missing],
            "queue": facts.queue,
            "queue_waiting": facts.queue if facts.missing else None,
        }
    return {name: value for name, value in known.items() if value is not None}


def _from_intake(change: CaseFacts | OwnerNote | LinkNote | ReclassNote) -> UpdateOne:
    if isinstance(change, ReclassNote):
        step = vars(change.change) | {"type_from": change.change.type_from.value}
        step |= {"type_to": change.change.type_to.value}
        now_as = {"type": step["type_to"], "category": step["category_to"]}
        # Never a document of its own, as for a handover: intake's announcement came first.
        return UpdateOne(
            {"_id": change.work_order_id}, changed({"$set": now_as, "$addToSet": {"reclassifications": step}})
        )
    if isinstance(change, LinkNote):
        # Complete when it was linked: nothing is missing any more.
        closed = {"$set": {"linked_to": change.linked_to, "missing": []}, "$unset": {"queue_waiting": ""}}
        return UpdateOne({"_id": change.work_order_id}, changed(closed))
    if isinstance(change, OwnerNote):
        moved: Document = {"owner": change.owner, "queue": change.owner}
        update: Document = {"$set": moved | ({"queue_waiting": change.owner} if change.needs_info else {})}
        if not change.needs_info:
            update["$unset"] = {"queue_waiting": ""}
        # Never a document of its own: one with an owner and nothing else would break the owner's list.
        return UpdateOne({"_id": change.work_order_id}, changed(update))
    return UpdateOne({"_id": change.work_order_id}, changed(_opened_update(change)), upsert=True)


def _opened_update(facts: CaseFacts) -> Document:
    update: Document = {"$set": _facts_document(facts)}
    if facts.missing == ():  # complete now: off the list of those waiting for fields
        update["$unset"] = {"queue_waiting": ""}
    return update


def _lost_insert_race(error: BulkWriteError | KeyError) -> bool:
    """An upsert that lost the race to insert: a duplicate key, or FerretDB 1.24's answer to one, whose
    reply lacks the counts pymongo merges (so pymongo fails reading it with KeyError)."""
    if isinstance(error, KeyError):
        return error.args == ("nModified",)
    return sorted({e.get("code") for e in error.details.get("writeErrors", [])}) == [DUPLICATE_KEY]


class MongoCaseFiles:
    """One document per work order by `_id`; dispatches and replies are added to sets, so an event
    delivered twice is kept once and the order the two topics arrive in does not matter."""

    def __init__(self, collection: AsyncCollection[Document], lists: MongoListBuckets | None = None) -> None:
        self._collection = collection
        # The lists' directory beside the case files, unless given (services/gateway/list_store.py).
        self.lists = lists or MongoListBuckets(collection, collection.database[f"{collection.name}_lists"])

    async def ensure_indexes(self) -> None:
        """Looked up by `_id`, listed by owner and by the lists' entries."""
        await self._collection.create_index([("queue", ASCENDING)])
        await self._collection.create_index([("queue_waiting", ASCENDING)])
        await self.lists.ensure_indexes()

    async def record(self, changes: CaseChanges) -> None:
        writes = [_from_intake(change) for change in changes.from_intake]
        writes += [
            UpdateOne(
                {"_id": facts.work_order_id},
                changed(
                    {"$set": _facts_document(facts), "$addToSet": {"dispatches": dispatch_document(note)}}
                ),
                upsert=True,
            )
            for facts, note in changes.dispatched
        ]
        writes += [
            UpdateOne(
                {"_id": work_order_id},
                changed({"$addToSet": {"replies": reply_document(note)}}),
                upsert=True,
            )
            for work_order_id, note in changes.replied
        ]
        writes += [
            UpdateOne(
                {"_id": work_order_id},
                changed({"$addToSet": {"steps": step_document(note)}}),
                upsert=True,
            )
            for work_order_id, note in changes.steps
        ]
        writes += [
            UpdateOne(
                {"_id": note.work_order_id},
                changed({"$set": {"incident_id": note.incident_id}, "$max": {"reporters": note.reporters}}),
                upsert=True,
            )
            for note in changes.incidents
        ]
        if not writes:
            return
        # Every write is safe to repeat: fields set to the event's values, notes added to sets.
        try:
            await retrying_stale(lambda: self._collection.bulk_write(writes, ordered=True))
        except (BulkWriteError, KeyError) as error:
            if not _lost_insert_race(error):
                raise  # logged by class and codes alone (plumbing/error_text.py): its text quotes the writes
            # Two subscriptions upserted the same new work order at once; the document is there now.
            await retrying_stale(lambda: self._collection.bulk_write(writes, ordered=True))
        # Placed on the lists shortly, with what else changed them meanwhile (list_store.py).
        self.lists.later(changes.work_order_ids())

    async def find(self, work_order_id: str) -> CaseFile | None:
        document = await self._collection.find_one({"_id": work_order_id})
        if document is None or "type" not in document:
            return None  # only a reply has been seen: nothing to show yet
        return case_file_of(document)

    async def buckets(self, key: str) -> list[str]:
        return await self.lists.buckets(key)

    async def members(self, entry: str) -> list[CaseFile]:
        return await self.lists.members(entry)

    async def forget(self, key: str, hour: str) -> None:
        await self.lists.forget(key, hour)

    async def on_list(self, queue: str, needs_info: bool, limit: int) -> list[CaseFile]:
        query = {"queue_waiting": queue} if needs_info else {"queue": queue}
        found = [case_file_of(d) async for d in self._collection.find(query, limit=limit)]
        return sorted(found, key=lambda case: (case.facts.created_at or OLDEST, case.facts.work_order_id))
