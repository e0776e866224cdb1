"""A topic read whole by this process, outside any consumer group: for a read model each replica keeps
in memory and whole (every number's standing, every group's calls), where a consumer group would give
each replica a share of the partitions.

It starts from the beginning of each partition (a compacted topic's latest record per key), or from a
time back (what is still under way); it is caught up once it has read to where each partition ended
when it started, which is what its readiness waits for. A record that is not one of our events, or
not from the topic's producer, is skipped with a warning: this reader owns no offsets to dead-letter.
"""

import asyncio
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from contracts.envelope import Envelope, UndecodableMessage, UnsupportedEventType, decode
from plumbing.kafka_connection import KafkaConnection

BATCH = 200  # records decoded between two turns of the event loop

Take = Callable[[Envelope], None]


class ReplicaFeed:
    def __init__(
        self,
        kafka: KafkaConnection,
        topic: str,
        take: Take,
        log: Any,
        *,
        back: timedelta | None = None,
        allowed_source: str | None = None,
    ) -> None:
        """`take` is called with each event in order (synchronously: a read model's update, no I/O);
        `back`: start that long ago instead of at the beginning; `allowed_source`: the only ce_source
        taken (the topic's producer's), others skipped as written there by someone else."""
        self._kafka = kafka
        self.topic = topic
        self._take = take
        self._log = log
        self._back = back
        self._allowed_source = allowed_source
        self._ends: dict[TopicPartition, int] = {}
        self._positions: dict[TopicPartition, int] = {}
        self.caught_up = False

    def behind(self) -> str | None:
        """Why this replica's copy is not yet whole (None once caught up), for its readiness."""
        if self.caught_up:
            return None
        left = sum(max(0, end - self._positions.get(tp, 0)) for tp, end in self._ends.items())
        return (
            f"reading {self.topic}: {left} records to go" if self._ends else f"reading {self.topic}: starting"
        )

    async def run(self) -> None:
        consumer = AIOKafkaConsumer(
            **self._kafka.client_options(),
            group_id=None,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
        )
        await consumer.start()
        try:
            await self._assign(consumer)
            while True:
                batches = await consumer.getmany(timeout_ms=500, max_records=BATCH)
                for partition, records in batches.items():
                    for record in records:
                        self._apply(record)
                    self._positions[partition] = records[-1].offset + 1
                self._note_progress()
                # A burst (billing's bulk import, a replica catching up) must not hold the loop for long:
                # what this replica answers meanwhile waits for each batch's decoding.
                await asyncio.sleep(0)
        finally:
            await consumer.stop()

    async def _partitions(self) -> list[int]:
        """The topic's partitions, as the cluster describes it (made by the runtime at start)."""
        admin = AIOKafkaAdminClient(**self._kafka.client_options())
        await admin.start()
        try:
            while True:
                [described] = await admin.describe_topics([self.topic])
                partitions = sorted(p["partition"] for p in described.get("partitions", []))
                if partitions:
                    return partitions
                await asyncio.sleep(0.5)
        finally:
            await admin.close()

    async def _assign(self, consumer: AIOKafkaConsumer) -> None:
        partitions = await self._partitions()
        assigned = [TopicPartition(self.topic, p) for p in sorted(partitions)]
        consumer.assign(assigned)
        self._ends = await consumer.end_offsets(assigned)
        starts = await consumer.beginning_offsets(assigned)
        if self._back is not None:
            since = int((time.time() - self._back.total_seconds()) * 1000)
            found = await consumer.offsets_for_times({tp: since for tp in assigned})
            starts = {tp: (found[tp].offset if found.get(tp) else self._ends[tp]) for tp in assigned}
        for tp in assigned:
            # Started again after a failure: on from where it was, not back to the beginning (the copy
            # would go back in time while the replica says it is ready).
            start = max(starts[tp], self._positions.get(tp, 0))
            consumer.seek(tp, start)
            self._positions[tp] = start
        self._note_progress()

    def _apply(self, record: Any) -> None:
        try:
            envelope = decode(dict(record.headers), record.key, record.value)
        except (UndecodableMessage, UnsupportedEventType, ValueError) as error:
            self._log.warning(
                "skipped a record that is not one of our events", topic=self.topic, error=str(error)
            )
            return
        if self._allowed_source is not None and envelope.source != self._allowed_source:
            self._log.warning(
                "skipped an event from another source", topic=self.topic, source=envelope.source
            )
            return
        try:
            self._take(envelope)
        except Exception:
            # One event the read model cannot take must not stop the rest (the loop would start again
            # and meet it again, forever unready).
            self._log.exception("skipped an event the read model could not take", topic=self.topic)

    def _note_progress(self) -> None:
        if not self.caught_up and all(self._positions.get(tp, 0) >= end for tp, end in self._ends.items()):
            self.caught_up = True
            self._log.info("caught up", topic=self.topic)


async def caught_up(feeds: list[ReplicaFeed]) -> None:
    """A readiness check: raises with why, while any of the feeds has not caught up."""
    behind = [reason for feed in feeds if (reason := feed.behind()) is not None]
    if behind:
        raise ConnectionError("; ".join(behind))
