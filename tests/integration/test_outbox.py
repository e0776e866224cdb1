"""The outbox relay on the real store and bus: what a crash left pending is published, in order."""

from datetime import UTC, datetime, timedelta
from uuid import uuid4

from faststream.kafka import KafkaBroker
from pymongo import AsyncMongoClient

from contracts.events import Customer, WorkOrderCreatedV1
from plumbing.outbox import OutboxEntry, OutboxRelay, outbox_fields
from tests.support.running import Tap, database_name, ensure_topic

PROVINCE = "ah"
SOURCE = "/hotline/province/ah/test"


def a_work_order(work_order_id: str, description: str) -> WorkOrderCreatedV1:
    return WorkOrderCreatedV1(
        work_order_id=work_order_id,
        contact_id=f"C-{uuid4().hex}",
        province=PROVINCE,
        type="query",
        channel="web",
        created_at=datetime.now(UTC),
        customer=Customer(phone="+8613912345678"),
        description=description,
    )


async def test_events_left_pending_by_a_crash_are_published_in_order_by_the_sweep(stack):
    topic = f"{PROVINCE}.test.outbox.{uuid4().hex[:8]}"
    await ensure_topic(stack.kafka, topic)
    store = AsyncMongoClient(stack.mongodb_uri, tz_aware=True)
    collection = store[database_name(PROVINCE, "test")][f"outbox_{uuid4().hex[:8]}"]
    work_order_id = f"WO-{uuid4().hex[:12]}"
    entries = [
        OutboxEntry.of(a_work_order(work_order_id, step), topic, SOURCE)
        for step in ("first", "second", "third")
    ]
    # Written as a unit of work writes it, then "crashed" before publishing: only the sweep can now.
    document = {"_id": work_order_id} | outbox_fields(entries, nested=False)
    document["outbox_at"] = datetime.now(UTC) - timedelta(minutes=1)
    await collection.insert_one(document)

    broker = KafkaBroker(stack.kafka.bootstrap_servers, security=stack.kafka.security())
    relay = OutboxRelay(collection, broker, sweep_grace=5.0)
    try:
        async with Tap(stack, topic) as tap:
            await broker.start()
            await relay.ensure_indexes()
            assert await relay.sweep() == 3
            await tap.find(lambda _: len(tap.records) >= 3)
            descriptions = [record.value for record in tap.records]
        left = await collection.find_one({"_id": work_order_id})
        assert left["outbox"] == {}
        assert left["has_outbox"] is False
        assert await relay.sweep() == 0
    finally:
        await broker.stop()
        await store.close()
    assert [b'"first"' in d for d in descriptions] == [True, False, False]
    assert [b'"third"' in d for d in descriptions] == [False, False, True]


async def test_a_fresh_entry_is_left_to_its_own_unit_of_work_not_swept_twice(stack):
    store = AsyncMongoClient(stack.mongodb_uri, tz_aware=True)
    collection = store[database_name(PROVINCE, "test")][f"outbox_{uuid4().hex[:8]}"]
    entry = OutboxEntry.of(a_work_order("WO-fresh", "just stored"), f"{PROVINCE}.test.unused", SOURCE)
    await collection.insert_one({"_id": "WO-fresh"} | outbox_fields([entry], nested=False))
    try:
        relay = OutboxRelay(
            collection,
            KafkaBroker(stack.kafka.bootstrap_servers, security=stack.kafka.security()),
            sweep_grace=60.0,
        )
        assert await relay.sweep() == 0
    finally:
        await store.close()


async def test_an_event_kafka_refuses_for_good_is_set_aside_with_the_reason_and_the_next_is_published(stack):
    topic = f"{PROVINCE}.test.refused.{uuid4().hex[:8]}"
    await ensure_topic(stack.kafka, topic)
    store = AsyncMongoClient(stack.mongodb_uri, tz_aware=True)
    collection = store[database_name(PROVINCE, "test")][f"outbox_{uuid4().hex[:8]}"]
    work_order_id = f"WO-{uuid4().hex[:12]}"
    too_large = OutboxEntry.of(a_work_order(work_order_id, "停电" * 600_000), topic, SOURCE)
    after_it = OutboxEntry.of(a_work_order(work_order_id, "after the large one"), topic, SOURCE)
    await collection.insert_one({"_id": work_order_id} | outbox_fields([too_large, after_it], nested=False))
    broker = KafkaBroker(stack.kafka.bootstrap_servers, security=stack.kafka.security())
    try:
        async with Tap(stack, topic) as tap:
            await broker.start()
            assert await OutboxRelay(collection, broker).publish(work_order_id, [too_large, after_it]) == 1
            record = await tap.find(lambda record: record.key == work_order_id.encode())
        left = await collection.find_one({"_id": work_order_id})
    finally:
        await broker.stop()
        await store.close()
    assert b"after the large one" in record.value
    assert left["outbox"] == {}
    [(entry_id, refused)] = left["outbox_refused"].items()
    assert entry_id == too_large.entry_id
    assert refused["reason"].startswith("MessageSizeTooLargeError")
