"""Consuming contract events: decode, dispatch by type, dead-letter what cannot be taken, retry what can.

- A record that is not one of our CloudEvents, or whose data breaks its schema, goes to the subsystem's
  dead-letter topic with the reason in its headers; the consumer carries on with the next record.
- An event type this consumer does not handle is skipped: topics carry several types, and a newer major
  version is published side by side with the old one during a migration.
- A transient failure (store or bus unavailable) is not acknowledged: the record is redelivered, so a
  contact is never lost while a dependency restarts.
- A Kafka error aiokafka does not mark retriable (a record too large, a topic invalid or forbidden) is
  dead-lettered at once.
- Any other failure is retried a few times, then dead-lettered with the error as the reason.
"""

import asyncio
import re
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from aiokafka import ConsumerRecord
from aiokafka.errors import KafkaError, KafkaTimeoutError
from faststream import AckPolicy
from faststream.kafka import KafkaBroker, Topic
from faststream.kafka.annotations import KafkaMessage
from opentelemetry import trace

from contracts.envelope import Envelope, UndecodableMessage, UnsupportedEventType, decode
from contracts.events import EVENTS_BY_TYPE, Event
from plumbing.bus import RECORD_REFUSED
from plumbing.errors import Rejected
from plumbing.repository import ConcurrentChange
from plumbing.store import TRANSIENT_STORE_ERRORS
from plumbing.telemetry import Attr

Handler = Callable[[Envelope], Awaitable[None]]

_OUR_TYPE = re.compile(r"^hotline\.[a-z_.]+\.v\d+$")
# A concurrent change is transient too: redelivered, the message is applied to the newer version.
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    *TRANSIENT_STORE_ERRORS,
    ConnectionError,
    ConcurrentChange,
)


class EventConsumer:
    def __init__(
        self,
        broker: KafkaBroker,
        *,
        group: str,
        deadletter_topic: str,
        logger: Any,
        max_attempts: int = 5,
        retry_pause: float = 1.0,
    ) -> None:
        self._broker = broker
        self._group = group
        self._deadletter_topic = deadletter_topic
        self._log = logger
        self._max_attempts = max_attempts
        self._retry_pause = retry_pause
        self._failures: Counter[tuple[str, int, int]] = Counter()
        self.topics: list[str] = []

    def subscribe(self, topic: str, handlers: Mapping[type[Event], Handler], *, description: str) -> None:
        by_type = {event.ce_type: handler for event, handler in handlers.items()}
        self.topics.append(topic)

        async def on_record(message: KafkaMessage) -> None:
            await self._take(message.raw_message, by_type)

        self._broker.subscriber(
            # The runtime creates topics, with the cluster's partition and replica counts; not FastStream.
            Topic(topic, declare=False),
            group_id=self.group_for(topic),
            auto_offset_reset="earliest",
            ack_policy=AckPolicy.NACK_ON_ERROR,
            title=f"{topic}:{self.group_for(topic)}",
            description=description,
            decoder=_undecoded,
        )(on_record)

    def group_for(self, topic: str) -> str:
        """One consumer group per service and topic ("gd.dispatch.workorders"): a service's subscriptions
        then never make each other rebalance, and lag reads per topic."""
        return f"{self._group}.{topic.split('.', 1)[-1]}"

    async def _take(self, record: ConsumerRecord, handlers: Mapping[str, Handler]) -> None:
        headers = {name: value for name, value in record.headers or ()}
        try:
            envelope = decode(headers, record.key, record.value or b"", EVENTS_BY_TYPE)
        except UnsupportedEventType as error:
            if _OUR_TYPE.match(error.event_type):
                self._log.info("skipped event type this consumer does not know", event_type=error.event_type)
            else:
                await self.dead_letter(record, str(error))
            return
        except UndecodableMessage as error:
            await self.dead_letter(record, str(error))
            return
        handler = handlers.get(envelope.type)
        if handler is None:
            return
        await self._handle(record, envelope, handler)

    async def _handle(self, record: ConsumerRecord, envelope: Envelope, handler: Handler) -> None:
        position = (record.topic, record.partition, record.offset)
        span = trace.get_current_span()
        span.set_attribute(Attr.EVENT_ID, envelope.id)
        span.set_attribute(Attr.EVENT_TYPE, envelope.type)
        span.set_attribute(Attr.SUBJECT, envelope.subject)
        try:
            await handler(envelope)
        except Rejected as error:
            await self.dead_letter(record, f"rejected: {error}")
        except Exception as error:
            if _is_transient(error):
                self._log.warning(
                    "transient failure, will redeliver", event_id=envelope.id, error=repr(error)
                )
                await asyncio.sleep(self._retry_pause)
                raise
            if isinstance(error, RECORD_REFUSED):
                # Each redelivery would fail the same way and hold up the partition behind it. Other
                # non-retriable errors (a producer closed at shutdown) take the bounded retries below.
                await self.dead_letter(record, f"non-retriable Kafka error: {error!r}")
                return
            self._failures[position] += 1
            if self._failures[position] < self._max_attempts:
                self._log.exception("handler failed, will redeliver", event_id=envelope.id)
                await asyncio.sleep(self._retry_pause)
                raise
            del self._failures[position]
            await self.dead_letter(record, f"handler failed {self._max_attempts} times: {error!r}")
        else:
            self._failures.pop(position, None)

    async def dead_letter(self, record: ConsumerRecord, reason: str) -> None:
        original = {name: value.decode(errors="backslashreplace") for name, value in record.headers or ()}
        headers = original | {
            "dlq_reason": reason,
            "dlq_topic": record.topic,
            "dlq_partition": str(record.partition),
            "dlq_offset": str(record.offset),
            "dlq_consumer_group": self.group_for(record.topic),
            "dlq_at": datetime.now(UTC).isoformat(),
        }
        trace.get_current_span().set_attribute(Attr.DLQ_REASON, reason)
        await self._broker.publish(
            record.value, topic=self._deadletter_topic, key=record.key, headers=headers
        )
        self._log.warning("dead-lettered a record", topic=record.topic, offset=record.offset, reason=reason)


def _is_transient(error: BaseException) -> bool:
    """A store or bus outage: the same record, redelivered once it is over, can succeed."""
    if isinstance(error, KafkaError):
        # aiokafka leaves KafkaTimeoutError unmarked, but a producer raises it when it could not
        # hand a record to an unreachable cluster in time.
        return error.retriable or isinstance(error, KafkaTimeoutError)
    return isinstance(error, TRANSIENT_ERRORS)


async def _undecoded(message: KafkaMessage) -> bytes:
    """Leave the body alone: decoding is ours, so a malformed body is dead-lettered, not fatal."""
    return message.body
