"""Idempotency keys on the real store: a key is bound to the first body posted with it, on every gateway
replica, and forgotten a day later."""

import asyncio
import contextlib
from datetime import UTC, datetime, timedelta
from uuid import uuid4

from services.gateway.idempotency import KEPT_FOR, MongoKeyBook, fingerprint
from services.gateway.work_order_lists import hour_of


async def test_a_key_is_bound_to_its_first_body_whichever_replica_is_asked(store):
    database, _ = store
    collection = database[f"idempotency_{uuid4().hex[:8]}"]
    one, other = MongoKeyBook(collection), MongoKeyBook(collection)
    await one.ensure_indexes()
    key = uuid4().hex
    assert await one.claim("web:gd.channel.web", key, "first")
    assert await other.claim("web:gd.channel.web", key, "first")
    assert not await other.claim("web:gd.channel.web", key, "second")
    assert await other.claim("web:gd.channel.sms", key, "second")


async def test_keys_older_than_a_day_are_forgotten(store):
    database, _ = store
    collection = database[f"idempotency_{uuid4().hex[:8]}"]
    book = MongoKeyBook(collection)
    await book.ensure_indexes()
    old = datetime.now(UTC) - KEPT_FOR - timedelta(hours=2)
    stored = {"_id": fingerprint("web:x", "old"), "digest": "a", "at": old, "hour": hour_of(old)}
    await collection.insert_one(stored)
    await book.claim("web:x", "new", "b")
    forgetting = book.keep_forgetting(every=3600)
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(forgetting, timeout=1.0)
    assert await collection.find_one({"_id": fingerprint("web:x", "old")}) is None
    assert await book.claim("web:x", "old", "another body")  # a new call now
    assert await collection.find_one({"_id": fingerprint("web:x", "new")}) is not None
