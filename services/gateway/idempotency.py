"""Idempotency keys, remembered: a retry with the same key is the same event (its id comes from the key,
and consumers drop a repeated id), so a retry whose body differs would be dropped downstream without a
word. The gateway remembers a digest of the first body posted with each key and refuses another body
with it (409) before anything reaches the bus. Keys are kept a day (`KEPT_FOR`), longer than any client
retries; a key reused after that is a new call.
"""

import asyncio
import hashlib
import time
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from pymongo import ASCENDING
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError, PyMongoError

from services.gateway.work_order_lists import hour_of

Document = dict[str, Any]
KEPT_FOR = timedelta(days=1)
FORGET_EVERY = 600.0  # seconds between sweeps of keys older than KEPT_FOR
# Taking a contact never waits on the store (a store outage is not the gateway's to answer): a check the
# store does not answer this fast lets the call through unchecked, and says so in the log.
CHECK_PATIENCE = 0.5  # seconds
# Keys are forgotten an hour at a time, each hour an indexed equality (the store's only served query): a
# gateway starting looks this far back for hours no replica forgot while it was down.
LOOK_BACK = timedelta(days=7)
HOUR = timedelta(hours=1)


def fingerprint(scope: str, key: str) -> str:
    return hashlib.sha256(f"{scope}\0{key}".encode()).hexdigest()


def digest_of(path: str, body: bytes) -> str:
    return hashlib.sha256(path.encode() + b"\0" + body).hexdigest()


class KeyBook(Protocol):
    async def claim(self, scope: str, key: str, digest: str) -> bool:
        """True for the first call with this key, or a retry with the same body; False for another body."""
        ...


async def held_to_its_body(keys: KeyBook, scope: str, key: str, digest: str, log: Any) -> bool:
    """Whether the call may go on: False only when the store says the key came with another body."""
    try:
        return await asyncio.wait_for(keys.claim(scope, key, digest), CHECK_PATIENCE)
    except (PyMongoError, TimeoutError) as error:
        log.warning("idempotency key not checked: the store did not answer", error=type(error).__name__)
        return True


class InMemoryKeyBook:
    def __init__(self) -> None:
        self.digests: dict[str, str] = {}

    async def claim(self, scope: str, key: str, digest: str) -> bool:
        return self.digests.setdefault(fingerprint(scope, key), digest) == digest


class MongoKeyBook:
    def __init__(self, collection: AsyncCollection[Document]) -> None:
        self._collection = collection

    async def ensure_indexes(self) -> None:
        await self._collection.create_index([("hour", ASCENDING)])

    async def claim(self, scope: str, key: str, digest: str) -> bool:
        held, now = fingerprint(scope, key), datetime.now(UTC)
        try:
            await self._collection.insert_one(
                {"_id": held, "digest": digest, "at": now, "hour": hour_of(now)}
            )
            return True
        except DuplicateKeyError:
            found = await self._collection.find_one({"_id": held}, {"digest": 1})
            return found is None or found.get("digest") == digest

    async def keep_forgetting(self, every: float = FORGET_EVERY) -> None:
        """A background loop: the keys of each hour that ended more than KEPT_FOR ago are dropped."""
        start = datetime.now(UTC) - KEPT_FOR - LOOK_BACK
        forgotten = start.replace(minute=0, second=0, microsecond=0) - HOUR
        while True:
            started = time.monotonic()
            while forgotten + 2 * HOUR <= datetime.now(UTC) - KEPT_FOR:
                forgotten += HOUR
                await self._collection.delete_many({"hour": hour_of(forgotten)})
            await asyncio.sleep(max(0.0, every - (time.monotonic() - started)))
