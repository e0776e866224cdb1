"""Consuming contract events in batches: decode, dispatch by type, dead-letter what cannot be taken.

Records come in batches (up to `max_records`); each run of consecutive records of one type goes to its
handler as one list, so one unit of work stores the whole run with one write per collection. Runs are
taken in order, so the events of one key keep their order. The batch's offsets are committed once every
run is stored and published; any failure rewinds the batch, and handlers drop what they took already.

- A record that is not one of our CloudEvents, or whose data breaks its schema, goes to the subsystem's
  dead-letter topic with the reason in its headers; the consumer carries on with the next record.
- An event type this consumer does not handle is skipped: topics carry several types, and a newer major
  version is published side by side with the old one during a migration.
- A transient failure (store or bus unavailable) is not acknowledged: the record is redelivered, so a
  contact is never lost while a dependency restarts.
- A Kafka error aiokafka does not mark retriable (a record too large, a topic invalid or forbidden) is
  dead-lettered at once.
- Any other failure is retried a few times, then dead-lettered with the error as the reason. To find the
  record at fault, a run that fails so is taken again one record at a time: the rest of it proceeds.
"""

import asyncio
import random
import re
import time
from collections import Counter, OrderedDict
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from aiokafka import ConsumerRecord
from aiokafka.errors import KafkaError, KafkaTimeoutError
from faststream import AckPolicy
from faststream.kafka import KafkaBroker, Topic
from faststream.kafka.annotations import KafkaMessage
from opentelemetry import trace
from opentelemetry.metrics import NoOpMeter

from contracts.envelope import Envelope, UndecodableMessage, UnsupportedEventType, decode
from contracts.events import EVENTS_BY_TYPE, Event
from plumbing.bus import RECORD_REFUSED
from plumbing.error_text import error_text
from plumbing.errors import Rejected
from plumbing.metrics import ConsumerMetrics
from plumbing.repository import ConcurrentChange
from plumbing.store import TRANSIENT_STORE_ERRORS
from plumbing.telemetry import Attr, Outcome
from plumbing.write_guard import StaleWrite

Handler = Callable[[Sequence[Envelope]], Awaitable[None]]
Taken = tuple[ConsumerRecord, Envelope]

DEAD_LETTERS_REMEMBERED = 10_000
_OUR_TYPE = re.compile(r"^hotline\.[a-z_.]+\.v\d+$")
# Lost races for one document, transient too: redelivered, the message is applied to the newer version.
CONTENTION: tuple[type[BaseException], ...] = (ConcurrentChange, StaleWrite)
CONTENTION_PAUSE = 0.2  # seconds at most
TRANSIENT_ERRORS = (*TRANSIENT_STORE_ERRORS, ConnectionError, *CONTENTION)


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
        longest_outage_pause: float = 5.0,
        max_records: int = 100,
        metrics: ConsumerMetrics | None = None,
        allowed_source: Callable[[str], str | None] | None = None,
    ) -> None:
        """`allowed_source`: the ce_source a topic's events must carry (None for any); an event from
        another source is dead-lettered, as a record produced straight to the topic by someone else."""
        self._broker = broker
        self._metrics = metrics or ConsumerMetrics(NoOpMeter("hotline"))
        self._allowed_source = allowed_source or (lambda _topic: None)
        self._group = group
        self._deadletter_topic = deadletter_topic
        self._log = logger
        self._max_attempts = max_attempts
        self._retry_pause = retry_pause
        # While the store or Kafka stays down, redeliveries back off, doubling up to the longest pause.
        self._outage_pauses = (retry_pause, longest_outage_pause)
        self._outage_pause: dict[str, float] = {}  # per topic: one topic's success is not another's
        # Records dead-lettered lately: when their batch comes again (another record's outage), they are
        # passed over rather than dead-lettered twice.
        self._dead_lettered: OrderedDict[tuple[str, int, int, int], None] = OrderedDict()
        self._max_records = max_records
        self._failures: Counter[tuple[str, int, int]] = Counter()
        self.topics: list[str] = []

    def subscribe(self, topic: str, handlers: Mapping[type[Event], Handler], *, description: str) -> None:
        by_type = {event.ce_type: handler for event, handler in handlers.items()}
        self.topics.append(topic)

        async def on_batch(message: KafkaMessage) -> None:
            records = message.raw_message
            await self._take(records if isinstance(records, tuple | list) else (records,), by_type)

        self._broker.subscriber(
            # The runtime creates topics, with the cluster's partition and replica counts; not FastStream.
            Topic(topic, declare=False),
            group_id=self.group_for(topic),
            auto_offset_reset="earliest",
            ack_policy=AckPolicy.NACK_ON_ERROR,
            batch=True,
            max_records=self._max_records,
            title=f"{topic}:{self.group_for(topic)}",
            description=description,
            decoder=_undecoded,
        )(on_batch)

    def group_for(self, topic: str) -> str:
        """One consumer group per service and topic ("gd.dispatch.workorders", as Topics.consumer_group
        names it for the ACLs): a service's subscriptions then never make each other rebalance, and lag
        reads per topic."""
        return f"{self._group}.{topic.split('.', 1)[-1]}"

    async def _take(self, records: Sequence[ConsumerRecord], handlers: Mapping[str, Handler]) -> None:
        trace.get_current_span().set_attribute(Attr.BATCH_SIZE, len(records))
        if records:
            self._metrics.batch(records[0].topic, len(records))
        runs: list[tuple[Handler, list[Taken]]] = []
        seen: set[str] = set()
        for record in records:
            if _dead_letter_key(record) in self._dead_lettered:
                continue
            envelope = await self._decode(record)
            if envelope is None:
                continue
            allowed = self._allowed_source(record.topic)
            if allowed is not None and envelope.source != allowed:
                reason = f"rejected: {envelope.source!r} may not publish on {record.topic} (only {allowed!r})"
                await self.dead_letter(record, reason, kind="wrong_source", event_type=envelope.type)
                continue
            handler = handlers.get(envelope.type)
            # A retried post of the same event can share a batch with the first: take it once.
            if handler is None or envelope.id in seen:
                self._metrics.records(record.topic, envelope.type, Outcome.SKIPPED)
                continue
            seen.add(envelope.id)
            if runs and runs[-1][0] is handler:
                runs[-1][1].append((record, envelope))
            else:
                runs.append((handler, [(record, envelope)]))
        for handler, run in runs:
            await self._handle(handler, run)

    async def _decode(self, record: ConsumerRecord) -> Envelope | None:
        """The record's event, or None once it is skipped (a newer type of ours) or dead-lettered."""
        headers = {name: value for name, value in record.headers or ()}
        try:
            return decode(headers, record.key, record.value or b"", EVENTS_BY_TYPE)
        except UnsupportedEventType as error:
            if _OUR_TYPE.match(error.event_type):
                self._log.info("skipped event type this consumer does not know", event_type=error.event_type)
                self._metrics.records(record.topic, error.event_type, Outcome.SKIPPED)
            else:
                await self.dead_letter(record, str(error), kind="unknown_type")
        except UndecodableMessage as error:
            await self.dead_letter(record, str(error), kind="undecodable")
        return None

    async def _handle(self, handler: Handler, run: list[Taken]) -> None:
        if len(run) > 1 and any(_position(record) in self._failures for record, _ in run):
            await self._one_by_one(handler, run)  # it failed before: no need to fail it as a whole again
            return
        began = time.perf_counter()
        try:
            await handler([envelope for _, envelope in run])
        except Exception as error:
            if len(run) == 1 or _is_transient(error):
                await self._settle(run[0], error, run_size=len(run))
                return
            await self._one_by_one(handler, run)
        else:
            self._handled(run, time.perf_counter() - began)

    def _handled(self, run: list[Taken], seconds: float) -> None:
        self._outage_pause.pop(run[0][0].topic, None)
        for record, _ in run:
            self._failures.pop(_position(record), None)
        record, envelope = run[0]
        self._metrics.handled(record.topic, envelope.type, len(run), seconds)

    async def _one_by_one(self, handler: Handler, run: list[Taken]) -> None:
        """Take a run a record at a time, to find the one at fault: the others proceed."""
        for taken in run:
            began = time.perf_counter()
            try:
                await handler([taken[1]])
            except Exception as single_error:
                await self._settle(taken, single_error)
            else:
                self._handled([taken], time.perf_counter() - began)

    async def _settle(self, taken: Taken, error: Exception, run_size: int = 1) -> None:
        """Dead-letter a record that can never be taken, or raise so the batch is redelivered (the
        `run_size` records taken with it come again too)."""
        record, envelope = taken
        if isinstance(error, Rejected):
            await self.dead_letter(record, f"rejected: {error}", kind="rejected", event_type=envelope.type)
            return
        if isinstance(error, CONTENTION):
            # Another writer of the same document came first: nothing is down, so the message is taken
            # again after a short random pause, not the growing one of an outage.
            pause = random.uniform(0, CONTENTION_PAUSE)
            self._log.info("lost a race for a document, will redeliver", event_id=envelope.id, retry_in=pause)
            await asyncio.sleep(pause)
            self._metrics.records(record.topic, envelope.type, Outcome.REDELIVERED, run_size)
            raise error
        if _is_transient(error):
            pause = self._outage_pause.get(record.topic, self._outage_pauses[0])
            self._log.warning(
                "transient failure, will redeliver",
                event_id=envelope.id,
                error=error_text(error),
                retry_in=pause,
            )
            await asyncio.sleep(pause)
            self._outage_pause[record.topic] = min(pause * 2, self._outage_pauses[1])
            self._metrics.records(record.topic, envelope.type, Outcome.REDELIVERED, run_size)
            raise error
        if isinstance(error, RECORD_REFUSED):
            # Each redelivery would fail the same way and hold up the partition behind it. Other
            # non-retriable errors (a producer closed at shutdown) take the bounded retries below.
            await self.dead_letter(
                record,
                f"non-retriable Kafka error: {error_text(error)}",
                kind="refused_by_kafka",
                event_type=envelope.type,
            )
            return
        position = _position(record)
        self._failures[position] += 1
        if self._failures[position] < self._max_attempts:
            self._log.error("handler failed, will redeliver", event_id=envelope.id, error=error_text(error))
            await asyncio.sleep(self._retry_pause)
            self._metrics.records(record.topic, envelope.type, Outcome.REDELIVERED)
            raise error
        del self._failures[position]
        await self.dead_letter(
            record,
            f"handler failed {self._max_attempts} times: {error_text(error)}",
            kind="failed_repeatedly",
            event_type=envelope.type,
        )

    async def dead_letter(
        self, record: ConsumerRecord, reason: str, *, kind: str, event_type: str = "unknown"
    ) -> None:
        """`kind`: the reason in a word, for the metric (undecodable, unknown_type, rejected, ...)."""
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
        self._dead_lettered[_dead_letter_key(record)] = None
        if len(self._dead_lettered) > DEAD_LETTERS_REMEMBERED:
            self._dead_lettered.popitem(last=False)
        self._metrics.dead_lettered(record.topic, event_type, kind)
        self._log.warning("dead-lettered a record", topic=record.topic, offset=record.offset, reason=reason)


def _position(record: ConsumerRecord) -> tuple[str, int, int]:
    return (record.topic, record.partition, record.offset)


def _dead_letter_key(record: ConsumerRecord) -> tuple[str, int, int, int]:
    # The position identifies a record in Kafka; the body's hash tells apart records of an in-memory
    # broker, which all sit at one offset.
    return (*_position(record), hash(record.value))


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
