"""Records a consumer cannot take go to the dead-letter topic with the reason; the consumer carries on."""

from datetime import UTC, datetime
from uuid import uuid4

import structlog
from aiokafka import AIOKafkaProducer
from faststream.kafka import KafkaBroker

from contracts.events import ContactReceivedV1
from contracts.ids import work_order_id_for
from contracts.topics import Topics
from plumbing.bus import EventPublisher
from plumbing.consumer import EventConsumer
from tests.support.running import Tap, ensure_topic, eventually, running_subsystem, until

PROVINCE = "sc"
TOPICS = Topics(PROVINCE)


def a_contact(contact_id: str) -> ContactReceivedV1:
    return ContactReceivedV1(
        contact_id=contact_id,
        channel="sms",
        received_at=datetime.now(UTC),
        province=PROVINCE,
        phone="+8618012345678",
        description="水压低",
    )


async def test_a_garbage_record_is_dead_lettered_and_the_next_contact_is_still_stored(stack):
    key = f"garbage-{uuid4().hex}".encode()
    async with (
        running_subsystem(stack, PROVINCE, services=["gateway", "intake"]) as subsystem,
        Tap(stack, TOPICS.deadletter) as deadletter,
    ):
        producer = AIOKafkaProducer(**stack.kafka.client_options())
        await producer.start()
        try:
            await producer.send_and_wait(
                TOPICS.contacts, b"\xff not json", key=key, headers=[("x-from", b"test")]
            )
        finally:
            await producer.stop()
        response = await subsystem.gateway.post(
            "/v1/contacts/web", json={"phone": "18012345678", "description": f"水压低 {uuid4().hex}"}
        )

        dead = await deadletter.find(lambda record: record.key == key)
        headers = {name: value.decode() for name, value in dead.headers}
        assert dead.value == b"\xff not json"
        assert headers["dlq_reason"] == "not a CloudEvent in binary mode: no ce_specversion header"
        assert headers["dlq_topic"] == TOPICS.contacts
        assert headers["dlq_consumer_group"] == f"{PROVINCE}.intake.contacts"
        assert headers["x-from"] == "test"

        work_order_id = work_order_id_for(response.json()["id"])

        async def stored():
            return await subsystem.database("intake")["work_orders"].find_one({"_id": work_order_id})

        await eventually(stored)


async def test_an_event_whose_handler_keeps_failing_is_redelivered_then_dead_lettered(stack):
    topic, group = f"{PROVINCE}.test.flaky.{uuid4().hex[:8]}", f"{PROVINCE}.test.{uuid4().hex[:8]}"
    attempts: dict[str, int] = {}
    handled: list[str] = []

    async def flaky(envelopes):
        for envelope in envelopes:
            contact_id = envelope.data.contact_id
            attempts[contact_id] = attempts.get(contact_id, 0) + 1
            if contact_id.startswith("bad"):
                raise RuntimeError("bug in handler")
            handled.append(contact_id)

    broker = KafkaBroker(stack.kafka.bootstrap_servers, security=stack.kafka.security())
    consumer = EventConsumer(
        broker,
        group=group,
        deadletter_topic=TOPICS.deadletter,
        logger=structlog.get_logger(),
        max_attempts=3,
        retry_pause=0.1,
    )
    consumer.subscribe(topic, {ContactReceivedV1: flaky}, description="test")
    bad, good = f"bad-{uuid4().hex}", f"good-{uuid4().hex}"
    await ensure_topic(stack.kafka, topic, partitions=1)
    async with Tap(stack, TOPICS.deadletter) as deadletter:
        await broker.start()
        try:
            publisher = EventPublisher(broker, "/hotline/province/sc/test")
            await publisher.publish(a_contact(bad), topic)
            await publisher.publish(a_contact(good), topic)
            dead = await deadletter.find(lambda record: record.key == bad.encode())
            await until(lambda: good in handled)
        finally:
            await broker.stop()
    # Three deliveries of its own; once more at first if it came in one batch with the good one.
    assert attempts[bad] in (3, 4)
    assert attempts[good] == 1, "behind the bad one on its partition, taken once when that is set aside"
    assert dict(dead.headers)["dlq_reason"] == b"handler failed 3 times: RuntimeError('bug in handler')"
