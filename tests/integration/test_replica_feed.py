"""A topic read whole by a replica on the real Kafka: a compacted standings topic read from its
beginning gives each number its latest standing (one written by anyone but intake is not taken), the
replica says it is behind until it has read to where the topic stood, and events published after go on
arriving."""

import asyncio
import contextlib
from datetime import UTC, datetime
from uuid import uuid4

import structlog
from faststream.kafka import KafkaBroker

from contracts.envelope import Envelope
from contracts.events import CustomerStandingV1
from plumbing.bus import EventPublisher
from plumbing.replica_feed import ReplicaFeed
from services.gateway.voice_routing.standings import StandingTable
from tests.support.running import ensure_topic, until

PROVINCE = "tj"


def standing(phone: str, priority: int, red_list: bool = False) -> CustomerStandingV1:
    tier = "high" if priority == 1 else "normal"
    return CustomerStandingV1(
        phone=phone,
        province=PROVINCE,
        tier=tier,
        red_list=red_list,
        blacklisted=False,
        priority=priority,
        as_of=datetime.now(UTC),
    )


async def test_a_replica_reads_a_topic_whole_and_is_behind_until_it_has(stack):
    topic = f"{PROVINCE}.standings-{uuid4().hex[:8]}"
    await ensure_topic(stack.kafka, topic)
    broker = KafkaBroker(stack.kafka.bootstrap_servers, security=stack.kafka.security())
    await broker.start()
    publisher = EventPublisher(broker, f"/hotline/province/{PROVINCE}/intake")
    phones = [f"+86139{n:08d}" for n in range(200)]
    table = StandingTable()
    source = f"/hotline/province/{PROVINCE}/intake"
    feed = ReplicaFeed(stack.kafka, topic, table.take, structlog.get_logger(), allowed_source=source)
    forger = EventPublisher(broker, f"/hotline/province/{PROVINCE}/someone-else")
    reading: asyncio.Task[None] | None = None
    try:
        await publisher.publish_many([(standing(p, 3), None) for p in phones], topic)
        await publisher.publish(standing(phones[7], 1, red_list=True), topic)  # a later word for one
        await forger.publish(standing(phones[9], 1, red_list=True), topic)  # not intake's: not taken
        assert feed.behind() is not None
        reading = asyncio.create_task(feed.run())
        await until(lambda: feed.caught_up, timeout=30)
        assert feed.behind() is None
        assert (table.of(phones[7]).priority, table.of(phones[7]).red_list) == (1, True)
        assert table.of(phones[8]).priority == 3
        assert not table.of(phones[9]).red_list
        await publisher.publish(standing(phones[8], 1), topic)
        await until(lambda: table.of(phones[8]).priority == 1, timeout=30)
    finally:
        if reading is not None:
            reading.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reading
        await broker.stop()


async def test_an_event_the_read_model_cannot_take_is_skipped_and_the_rest_read(stack):
    topic = f"{PROVINCE}.standings-{uuid4().hex[:8]}"
    await ensure_topic(stack.kafka, topic, partitions=1)
    broker = KafkaBroker(stack.kafka.bootstrap_servers, security=stack.kafka.security())
    await broker.start()
    table = StandingTable()

    def take(envelope: Envelope) -> None:
        if isinstance(envelope.data, CustomerStandingV1) and envelope.data.phone.endswith("0"):
            raise RuntimeError("a read model's bug")
        table.take(envelope)

    feed = ReplicaFeed(stack.kafka, topic, take, structlog.get_logger())
    reading: asyncio.Task[None] | None = None
    try:
        publisher = EventPublisher(broker, f"/hotline/province/{PROVINCE}/intake")
        await publisher.publish_many([(standing(f"+86139{n:08d}", 1), None) for n in range(3)], topic)
        reading = asyncio.create_task(feed.run())
        await until(lambda: feed.caught_up, timeout=30)
        assert table.of("+8613900000002").priority == 1
    finally:
        if reading is not None:
            reading.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reading
        await broker.stop()
