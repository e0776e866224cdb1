"""Reading a topic from its end and timing when each key first arrives."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Iterable

from aiokafka import AIOKafkaConsumer, TopicPartition

from plumbing.kafka_connection import KafkaConnection
from tests.bench.progress import log
from tests.support.running import ensure_topic, eventually

TOPIC_TIMEOUT = 30.0


class Arrivals:
    """Records when each key first shows up on a topic, reading from the topic's end at start()."""

    def __init__(self, kafka: KafkaConnection, topic: str, *, create_partitions: int | None = 3) -> None:
        self.topic = topic
        self.times: dict[str, float] = {}
        self._kafka = kafka
        self._create_partitions = create_partitions
        self._consumer = AIOKafkaConsumer(
            **kafka.client_options(), enable_auto_commit=False, client_id="hotline-bench-reader"
        )
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        if self._create_partitions is not None:
            await ensure_topic(self._kafka, self.topic, self._create_partitions)
        await self._consumer.start()
        partitions = await eventually(self._partitions, timeout=TOPIC_TIMEOUT)
        assigned = [TopicPartition(self.topic, p) for p in sorted(partitions)]
        self._consumer.assign(assigned)
        await self._consumer.seek_to_end(*assigned)
        for partition in assigned:  # resolve the end offsets now, not lazily at the first fetch
            await self._consumer.position(partition)
        self._task = asyncio.create_task(self._read(), name=f"arrivals:{self.topic}")

    async def _partitions(self) -> set[int] | None:
        """The topic's partitions once each has a leader (a topic just created may not have them yet)."""
        client = self._consumer._client
        await client.force_metadata_update()
        found: set[int] | None = self._consumer.partitions_for_topic(self.topic)
        if not found:
            return None
        leaders = [client.cluster.leader_for_partition(TopicPartition(self.topic, p)) for p in found]
        return found if all(leader is not None and leader >= 0 for leader in leaders) else None

    async def _read(self) -> None:
        while True:
            batches = await self._consumer.getmany(timeout_ms=100, max_records=5000)
            now = time.monotonic()
            for records in batches.values():
                for record in records:
                    if record.key is not None:
                        self.times.setdefault(record.key.decode(), now)

    async def wait_for(self, keys: Iterable[str], patience: float) -> set[str]:
        """Wait until every key has arrived or `patience` seconds have passed; the keys still missing."""
        missing = {key for key in keys if key not in self.times}
        deadline = time.monotonic() + patience
        last_report = time.monotonic()
        while missing and time.monotonic() < deadline:
            if self._task is not None and self._task.done():
                self._task.result()  # the reader died: raise its error rather than wait in vain
                raise RuntimeError(f"the reader of {self.topic} stopped")
            await asyncio.sleep(0.05)
            missing = {key for key in missing if key not in self.times}
            if time.monotonic() - last_report > 10:
                log(f"  {self.topic}: {len(missing)} still to come")
                last_report = time.monotonic()
        return missing

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self._consumer.stop()
