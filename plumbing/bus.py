"""The Kafka broker every service uses, and publishing of contract events as CloudEvents."""

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from typing import Union

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import (
    InvalidTopicError,
    KafkaConnectionError,
    KafkaTimeoutError,
    MessageSizeTooLargeError,
    RecordTooLargeError,
    TopicAlreadyExistsError,
    TopicAuthorizationFailedError,
)
from faststream.exceptions import IncorrectState
from faststream.kafka import KafkaBroker
from faststream.kafka.opentelemetry import KafkaTelemetryMiddleware

from contracts.envelope import encode
from contracts.events import Event
from contracts.topics import topic_configs
from plumbing.kafka_connection import KafkaConnection
from plumbing.settings import BusSettings
from plumbing.telemetry import Telemetry

# Events `publish_many` keeps awaiting at once: enough for the producer to fill its batches.
IN_FLIGHT = 1000

# Kafka's refusals of one record for what it is (too large, an invalid or forbidden topic): sending it
# again fails the same way, so it is set aside with the reason instead of holding up what comes after it.
RECORD_REFUSED: tuple[type[Exception], ...] = (
    MessageSizeTooLargeError,
    RecordTooLargeError,
    InvalidTopicError,
    TopicAuthorizationFailedError,
)


def make_broker(settings: BusSettings, service: str, telemetry: Telemetry) -> KafkaBroker:
    # acks=all with idempotence: a 202 or a committed offset only follows a write the cluster will keep.
    connection = settings.kafka
    return KafkaBroker(
        connection.bootstrap_servers,
        security=connection.security(),
        client_id=f"{settings.consumer_group(service)}.{settings.hotline_instance}",
        acks="all",
        enable_idempotence=True,
        middlewares=[
            KafkaTelemetryMiddleware(
                tracer_provider=telemetry.tracer_provider, meter_provider=telemetry.meter_provider
            )
        ],
        # Through the root logger (JSON, trace ids); per-message lines only when debugging.
        logger=logging.getLogger(f"hotline.{service}.bus"),
        log_level=logging.DEBUG,
        # In-flight messages get this long to finish on stop; the rest are redelivered (Runtime.stop).
        graceful_timeout=3.0,
    )


def wire_headers(raw: dict[str, bytes]) -> dict[str, str]:
    return {name: value.decode() for name, value in raw.items()}


class EventPublisher:
    """Publishes an event now and waits for the broker's acknowledgement, for at most `timeout` seconds.

    For callers that store nothing themselves (the gateway); services with a store use the outbox.
    """

    def __init__(self, broker: KafkaBroker, source: str, *, timeout: float | None = None) -> None:
        self._broker = broker
        self._source = source
        self._timeout = timeout

    async def publish(self, event: Event, topic: str, *, event_id: str | None = None) -> str:
        message = encode(event, self._source, event_id=event_id)
        headers = wire_headers(message.headers)
        sending = self._broker.publish(message.value, topic=topic, key=message.key, headers=headers)
        try:
            await asyncio.wait_for(sending, self._timeout)
        except IncorrectState as error:  # the service is still waiting for Kafka to start
            raise KafkaConnectionError("not connected to Kafka yet") from error
        except TimeoutError as error:
            # Kafka may still take it later: a caller retrying with its key gets the same ids, and
            # consumers drop the second copy.
            raise KafkaTimeoutError(f"no acknowledgement from Kafka within {self._timeout:g} s") from error
        return headers["ce_id"]

    async def publish_many(self, events: Sequence[tuple[Event, str | None]], topic: str) -> None:
        """Publish (event, event id) pairs, many in flight at once so the producer batches them; returns
        once every one is acknowledged, or raises as `publish` does (some may be on the bus then)."""
        for start in range(0, len(events), IN_FLIGHT):
            chunk = events[start : start + IN_FLIGHT]
            await asyncio.gather(*(self.publish(event, topic, event_id=key) for event, key in chunk))


def declare_publication(broker: KafkaBroker, topic: str, events: list[type[Event]], description: str) -> None:
    """Record in the AsyncAPI document what a service publishes on a topic.

    The outbox relay publishes by topic name; this declaration is what lets the generated document
    carry each topic's event schemas.
    """
    schema: object = events[0] if len(events) == 1 else Union[tuple(events)]  # noqa: UP007
    broker.publisher(topic, schema=schema, title=f"{topic}:publish", description=description)


async def create_missing_topics(
    connection: KafkaConnection, names: list[str], partitions: int, replication: int
) -> None:
    """Create the topics a service publishes to before its first publish, rather than on the fly."""
    admin = AIOKafkaAdminClient(**connection.client_options())
    await admin.start()
    try:
        missing = sorted(set(names) - set(await admin.list_topics()))
        if missing:
            with contextlib.suppress(TopicAlreadyExistsError):  # another replica was quicker
                await admin.create_topics(
                    [
                        NewTopic(name, partitions, replication, topic_configs=topic_configs(name))
                        for name in missing
                    ]
                )
    finally:
        await admin.close()
