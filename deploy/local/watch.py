"""Watching Hotline from outside, as the demo and the tests do: topics from now on, and the SMSC's inbox.

Nothing here joins a consumer group or writes to a store: it reads what the services publish and what the
local Kannel's fakesmsc received.
"""

import asyncio
import re
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar
from urllib.parse import unquote_to_bytes

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from contracts.envelope import Envelope, decode
from plumbing.bus import create_missing_topics
from plumbing.kafka_connection import KafkaConnection

T = TypeVar("T")


async def eventually(
    probe: Callable[[], Awaitable[T | None]], timeout: float = 60.0, every: float = 0.2
) -> T:
    """Poll until `probe` returns something truthy; fail with a clear message after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = await probe()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(
                f"nothing came within {timeout:.0f}s from {getattr(probe, '__name__', probe)}"
            )
        await asyncio.sleep(every)


async def consumed(kafka: KafkaConnection, group: str, topic: str, timeout: float = 60.0) -> None:
    """Until the consumer group has committed every record on `topic` up to now (a service has taken them)."""
    consumer = AIOKafkaConsumer(**kafka.client_options())
    admin = AIOKafkaAdminClient(**kafka.client_options())
    await consumer.start()
    await admin.start()
    try:

        async def known() -> list[TopicPartition] | None:
            await consumer._client.force_metadata_update()
            return [
                TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or ())
            ] or None

        partitions = await eventually(known, timeout)
        ends = await consumer.end_offsets(partitions)

        async def caught_up() -> bool:
            committed = await admin.list_consumer_group_offsets(group, partitions=partitions)
            return all(
                end == 0 or (tp in committed and committed[tp].offset >= end) for tp, end in ends.items()
            )

        await eventually(caught_up, timeout)
    finally:
        await admin.close()
        await consumer.stop()


async def ensure_topics(kafka: KafkaConnection, topics: Iterable[str], partitions: int = 3) -> None:
    await create_missing_topics(kafka, list(topics), partitions, 1)


async def list_topics(kafka: KafkaConnection) -> set[str]:
    admin = AIOKafkaAdminClient(**kafka.client_options())
    await admin.start()
    try:
        return set(await admin.list_topics())
    finally:
        await admin.close()


async def delete_topics(kafka: KafkaConnection, topics: Iterable[str]) -> None:
    names = sorted(topics)
    if not names:
        return
    admin = AIOKafkaAdminClient(**kafka.client_options())
    await admin.start()
    try:
        await admin.delete_topics(names)
    finally:
        await admin.close()


class TopicTap:
    """Reads what is published on some topics from the moment it is opened, without joining any group."""

    def __init__(self, kafka: KafkaConnection, *topics: str) -> None:
        self._consumer = AIOKafkaConsumer(**kafka.client_options(), enable_auto_commit=False)
        self._topics = topics
        self._kafka = kafka
        self.records: list[ConsumerRecord] = []

    async def __aenter__(self) -> "TopicTap":
        await ensure_topics(self._kafka, self._topics)
        await self._consumer.start()
        partitions = await eventually(self._partitions, timeout=30)
        self._consumer.assign(partitions)
        # Positions resolved now, not on the first fetch, so a record published right after is not skipped.
        await self._consumer.seek_to_end()
        for partition in partitions:
            await self._consumer.position(partition)
        return self

    async def _partitions(self) -> list[TopicPartition] | None:
        await self._consumer._client.force_metadata_update()
        found = [
            TopicPartition(topic, partition)
            for topic in self._topics
            for partition in self._consumer.partitions_for_topic(topic) or ()
        ]
        return found if {tp.topic for tp in found} == set(self._topics) else None

    async def __aexit__(self, *_: object) -> None:
        await self._consumer.stop()

    async def poll(self, timeout_ms: int = 200) -> list[ConsumerRecord]:
        """What arrived since the last poll (also kept in `records`)."""
        batches = await self._consumer.getmany(timeout_ms=timeout_ms)
        arrived = [record for records in batches.values() for record in records]
        self.records.extend(arrived)
        return arrived

    async def find(self, matches: Callable[[ConsumerRecord], bool], timeout: float = 60.0) -> ConsumerRecord:
        async def probe() -> ConsumerRecord | None:
            await self.poll()
            return next((record for record in self.records if matches(record)), None)

        return await eventually(probe, timeout=timeout, every=0)

    async def find_event(
        self, subject: str, event_type: str | None = None, timeout: float = 60.0
    ) -> Envelope:
        def matches(record: ConsumerRecord) -> bool:
            headers = dict(record.headers)
            return headers.get("ce_subject") == subject.encode() and (
                event_type is None or headers.get("ce_type") == event_type.encode()
            )

        record = await self.find(matches, timeout)
        return decode(dict(record.headers), record.key, record.value)


# fakesmsc logs each message it receives as `Got message N: <from to type text>`; UCS-2 text comes
# URL-encoded as big-endian UTF-16 bytes, with "+" for a space byte.
_RECEIVED = re.compile(r"Got message \d+: <(?P<sender>\S+) (?P<to>\S+) (?P<kind>\S+) (?P<text>.*)>$")


@dataclass(frozen=True)
class ReceivedSms:
    sender: str
    to: str
    text: str


@dataclass(frozen=True)
class _Part:
    """One part of a concatenated text: fakesmsc logs it as `udh <header> data <UCS-2 bytes>`."""

    sender: str
    to: str
    reference: int
    total: int
    number: int
    text: str


def _ucs2(raw: str) -> str:
    return unquote_to_bytes(raw.replace("+", "%20")).decode("utf-16-be", errors="replace")


def _parsed(line: str) -> ReceivedSms | _Part | None:
    match = _RECEIVED.search(line)
    if match is None:
        return None
    raw = match["text"]
    if match["kind"] == "udh":
        header, _, payload = raw.partition(" data ")
        udh = unquote_to_bytes(header.replace("+", "%20"))
        # 05 00 03 <reference> <parts> <this part>: the 8-bit concatenation header Kannel writes.
        if len(udh) >= 6 and udh[1] == 0:
            return _Part(match["sender"], match["to"], udh[3], udh[4], udh[5], _ucs2(payload))
        return ReceivedSms(match["sender"], match["to"], _ucs2(payload))
    text = _ucs2(raw) if match["kind"] == "ucs-2" else raw
    return ReceivedSms(match["sender"], match["to"], text)


def assembled(lines: list[str]) -> list[ReceivedSms]:
    """The messages the lines log, a concatenated text once all its parts are in (as a phone shows it)."""
    messages: list[ReceivedSms] = []
    parts: dict[tuple[str, int], dict[int, _Part]] = {}
    for line in lines:
        parsed = _parsed(line)
        if isinstance(parsed, ReceivedSms):
            messages.append(parsed)
        elif parsed is not None:
            kept = parts.setdefault((parsed.to, parsed.reference), {})
            kept[parsed.number] = parsed
            if len(kept) == parsed.total:
                text = "".join(kept[number].text for number in sorted(kept))
                messages.append(ReceivedSms(parsed.sender, parsed.to, text))
                del parts[(parsed.to, parsed.reference)]
    return messages


class SmsInbox:
    """What the operator's SMSC (the local fakesmsc) received from the moment the inbox was opened."""

    def __init__(self, log: Path | None) -> None:
        if log is None:
            raise AssertionError("FAKESMSC_LOG is not set: SMS checks need the local Kannel with fakesmsc")
        self._log = log
        self._start = log.stat().st_size if log.exists() else 0

    def received(self) -> list[ReceivedSms]:
        if not self._log.exists():
            return []
        with self._log.open("rb") as log:
            log.seek(self._start)
            lines = log.read().decode("utf-8", errors="replace").splitlines()
        return assembled(lines)

    async def find(self, *fragments: str, timeout: float = 60.0) -> ReceivedSms:
        """The first message received whose text contains every fragment."""

        async def probe() -> ReceivedSms | None:
            return next((sms for sms in self.received() if all(f in sms.text for f in fragments)), None)

        return await eventually(probe, timeout=timeout)
