"""The baseline: plain aiokafka produce -> consume of records the size of a contact event."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from uuid import uuid4

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from contracts.envelope import encode
from contracts.events import Channel, ContactReceivedV1, WorkOrderType
from plumbing.kafka_connection import KafkaConnection
from tests.bench.arrivals import Arrivals
from tests.bench.directory import bench_phone
from tests.bench.end_to_end import DESCRIPTION
from tests.bench.figures import Speed
from tests.bench.progress import log


def contact_record(province: str) -> tuple[bytes, list[tuple[str, bytes]]]:
    """The value and headers of a real ContactReceived event as the gateway would publish it."""
    event = ContactReceivedV1(
        contact_id=f"C-{uuid4().hex.upper()}",
        channel=Channel.WEB,
        received_at=datetime.now(UTC),
        province=province,
        phone="+86" + bench_phone(0),
        requested_type=WorkOrderType.FAULT_REPAIR,
        description=DESCRIPTION,
    )
    message = encode(event, f"/hotline/province/{province}/gateway")
    return message.value, list(message.headers.items())


async def raw_kafka(
    kafka: KafkaConnection, province: str, count: int, concurrency: int, warmup: int, patience: float
) -> Speed:
    """Produce `count` records the size of a contact event with acks=all + idempotence and read them back.

    Latency runs from the send() call to the reader's getmany() returning the record.
    """
    topic = f"bench.raw.{uuid4().hex[:12]}"
    value, headers = contact_record(province)
    log(
        f"raw aiokafka: topic {topic}, {len(value)} B value + {sum(len(k) + len(v) for k, v in headers)} B "
        f"headers per record"
    )
    admin = AIOKafkaAdminClient(**kafka.client_options(), client_id="hotline-bench-admin")
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, 3, 1)])
        reader = Arrivals(kafka, topic, create_partitions=None)
        producer = AIOKafkaProducer(
            **kafka.client_options(),
            acks="all",
            enable_idempotence=True,
            client_id="hotline-bench",
        )
        await reader.start()
        await producer.start()
        try:
            sent: dict[str, float] = {}
            failures: list[str] = []

            async def produce(keys: Iterator[str]) -> None:
                async def worker() -> None:
                    for key in keys:
                        sent[key] = time.monotonic()
                        try:
                            await producer.send_and_wait(topic, value, key=key.encode(), headers=headers)
                        except Exception as error:
                            failures.append(repr(error))
                            del sent[key]

                await asyncio.gather(*(worker() for _ in range(max(1, concurrency))))

            if warmup:
                await asyncio.wait_for(
                    produce(iter([f"W-{uuid4().hex.upper()}" for _ in range(warmup)])), patience
                )
                await reader.wait_for(list(sent), patience)
                sent.clear()
                failures.clear()
            keys = [f"C-{uuid4().hex.upper()}" for _ in range(count)]
            await asyncio.wait_for(produce(iter(keys)), patience)
            missing = await reader.wait_for(list(sent), patience)
            if missing:
                log(f"raw aiokafka: {len(missing)} records did not come back within {patience:.0f}s")
            arrived = {key: reader.times[key] for key in sent if key in reader.times}
            latencies = [arrived[key] - sent[key] for key in arrived]
            speed = Speed.of(
                count,
                len(failures),
                min(sent.values(), default=None),
                latencies,
                max(arrived.values(), default=None),
            )
            speed.missing = len(missing)
            return speed
        finally:
            await producer.stop()
            await reader.stop()
            with contextlib.suppress(Exception):
                await admin.delete_topics([topic])
    finally:
        await admin.close()
