"""The calls notify follows for callbacks, one document each in `watched_calls`, with the callback event
in its outbox: the callback is put on the CTI's list in the same write that records it is owed.

The store here has no TTL index, so each call is forgotten on the day it names (`forget_on`: two days
after its last event, or a week after its callback was owed while that is open), the day's calls at
once, by an indexed equality.
"""

import asyncio
import time
from datetime import UTC, date, datetime, timedelta
from typing import Any, ClassVar

from pymongo.asynchronous.collection import AsyncCollection

from contracts.events import CallbackState
from plumbing.mongo_repository import MongoRepository
from plumbing.store import as_utc
from services.notify.domain.callbacks import WatchedCall

Document = dict[str, Any]
LOOK_BACK = timedelta(days=30)  # how far back a starting notify forgets days no replica forgot


class WatchedCallDocuments:
    schema: ClassVar[int] = 1
    indexes: ClassVar[tuple[str, ...]] = ("forget_on",)

    def to_document(self, call: WatchedCall) -> Document:
        return {
            "province": call.province,
            "last_at": call.last_at,
            "forget_on": call.forget_on.isoformat(),
            "owed_at": call.owed_at,
            "owed_if_abandoned": call.owed_if_abandoned,
            "priority": call.priority,
            "waiting": call.waiting,
            "waited_for": call.waited_for,
            "callback_id": call.callback_id,
            "state": call.state.value,
            "attempts": list(call.attempts),
        }

    def from_document(self, document: Document, schema: int) -> WatchedCall:
        return WatchedCall(
            call_id=document["_id"],
            province=document["province"],
            last_at=as_utc(document["last_at"]),
            owed_if_abandoned=document["owed_if_abandoned"],
            priority=document.get("priority"),
            waiting=document["waiting"],
            waited_for=document["waited_for"],
            callback_id=document["callback_id"],
            owed_at=as_utc(document["owed_at"]) if document.get("owed_at") else None,
            state=CallbackState(document["state"]),
            attempts=tuple(document["attempts"]),
        )


class MongoWatchedCalls(MongoRepository[WatchedCall]):
    pass


async def forget_old_days(collection: AsyncCollection[Document], every: float = 3600.0) -> None:
    """A background loop: the calls whose day to be forgotten has come go, a day at a time."""
    forgotten: date = datetime.now(UTC).date() - LOOK_BACK
    while True:
        started = time.monotonic()
        while forgotten < datetime.now(UTC).date():
            await collection.delete_many({"forget_on": forgotten.isoformat()})
            forgotten += timedelta(days=1)
        await asyncio.sleep(max(0.0, every - (time.monotonic() - started)))
