from collections.abc import Sequence
from datetime import UTC, datetime

import pytest
import structlog
from aiokafka.errors import KafkaConnectionError, MessageSizeTooLargeError
from faststream.kafka import KafkaBroker, TestKafkaBroker
from faststream.kafka.annotations import KafkaMessage

from contracts.envelope import Envelope
from contracts.events import ContactReceivedV1
from plumbing.bus import EventPublisher
from plumbing.consumer import EventConsumer, Rejected


def a_contact(description: str = "停电") -> ContactReceivedV1:
    return ContactReceivedV1(
        contact_id="C-1",
        channel="web",
        received_at=datetime.now(UTC),
        province="gd",
        phone="+8613926012345",
        description=description,
    )


GATEWAY = "/hotline/province/gd/gateway"


class Harness:
    def __init__(self) -> None:
        self.broker = KafkaBroker()
        self.handled: list[Envelope] = []
        self.attempts = 0
        self.dead: list[tuple[bytes, dict[str, str]]] = []

        async def handle(envelopes: Sequence[Envelope]) -> None:
            for envelope in envelopes:
                self.attempts += 1
                if envelope.data.description == "reject me":
                    raise Rejected("no such thing")
                if envelope.data.description == "too large for kafka":
                    raise MessageSizeTooLargeError("record of 2 MB")
                if envelope.data.description == "kafka unreachable":
                    raise KafkaConnectionError("broker unreachable")
                self.handled.append(envelope)

        async def dead_letter(message: KafkaMessage) -> None:
            self.dead.append((message.body, message.headers))

        consumer = EventConsumer(
            self.broker,
            group="gd.test",
            deadletter_topic="gd.deadletter",
            logger=structlog.get_logger(),
            retry_pause=0.0,
            allowed_source=lambda topic: GATEWAY if topic == "gd.contacts" else None,
        )
        consumer.subscribe("gd.contacts", {ContactReceivedV1: handle}, description="test")
        self.broker.subscriber("gd.deadletter", decoder=lambda m: m.body)(dead_letter)


@pytest.fixture
async def harness():
    harness = Harness()
    async with TestKafkaBroker(harness.broker):
        yield harness


async def test_a_malformed_record_goes_to_the_dead_letter_topic_with_the_reason_and_the_next_is_taken(
    harness,
):
    await harness.broker.publish(b"\x00garbage", topic="gd.contacts", key=b"k1")
    await EventPublisher(harness.broker, GATEWAY).publish(a_contact(), "gd.contacts")
    [(body, headers)] = harness.dead
    assert body == b"\x00garbage"
    assert headers["dlq_reason"] == "not a CloudEvent in binary mode: no ce_specversion header"
    assert headers["dlq_topic"] == "gd.contacts"
    assert headers["dlq_consumer_group"] == "gd.test.contacts"
    assert len(harness.handled) == 1


async def test_an_event_the_handler_rejects_is_dead_lettered_with_its_verdict(harness):
    await EventPublisher(harness.broker, GATEWAY).publish(a_contact("reject me"), "gd.contacts")
    [(_, headers)] = harness.dead
    assert headers["dlq_reason"] == "rejected: no such thing"
    assert headers["ce_type"] == "hotline.contact.received.v1"


async def test_a_newer_major_version_of_a_known_event_is_skipped_not_dead_lettered(harness):
    headers = {
        "ce_specversion": "1.0",
        "ce_id": "x",
        "ce_source": GATEWAY,
        "ce_type": "hotline.contact.received.v2",
    }
    await harness.broker.publish(
        b"{}", topic="gd.contacts", headers=headers | {"content-type": "application/json"}
    )
    assert (harness.dead, harness.handled) == ([], [])


async def test_an_event_of_a_foreign_type_is_dead_lettered(harness):
    headers = {"ce_specversion": "1.0", "ce_id": "x", "ce_source": GATEWAY, "ce_type": "com.example.spam"}
    await harness.broker.publish(
        b"{}", topic="gd.contacts", headers=headers | {"content-type": "application/json"}
    )
    assert harness.dead[0][1]["dlq_reason"] == "unsupported event type 'com.example.spam'"


async def test_a_record_of_cloudevents_0_3_is_dead_lettered_with_the_reason_and_the_next_is_taken(harness):
    headers = {
        "ce_specversion": "0.3",
        "ce_id": "x",
        "ce_source": GATEWAY,
        "ce_type": "hotline.contact.received.v1",
    }
    await harness.broker.publish(
        b"{}", topic="gd.contacts", headers=headers | {"content-type": "application/json"}
    )
    await EventPublisher(harness.broker, GATEWAY).publish(a_contact(), "gd.contacts")
    [(_, dead_headers)] = harness.dead
    assert dead_headers["dlq_reason"] == "unsupported CloudEvents specversion '0.3' (only 1.0 is taken)"
    assert len(harness.handled) == 1


async def test_an_event_kafka_refuses_for_good_is_dead_lettered_after_one_attempt(harness):
    await EventPublisher(harness.broker, GATEWAY).publish(a_contact("too large for kafka"), "gd.contacts")
    [(_, headers)] = harness.dead
    assert headers["dlq_reason"] == "non-retriable Kafka error: MessageSizeTooLargeError('record of 2 MB')"
    assert harness.attempts == 1


async def test_an_event_met_by_a_kafka_outage_is_left_for_redelivery_not_dead_lettered(harness):
    # The in-memory broker does not redeliver: the unacknowledged record's error reaches the publisher.
    with pytest.raises(KafkaConnectionError):
        await EventPublisher(harness.broker, GATEWAY).publish(a_contact("kafka unreachable"), "gd.contacts")
    assert harness.attempts == 1
    assert harness.dead == []


async def test_an_event_from_a_source_not_allowed_on_the_topic_is_dead_lettered_and_not_handled(harness):
    await EventPublisher(harness.broker, "/hotline/province/gd/someone").publish(a_contact(), "gd.contacts")
    [(_, headers)] = harness.dead
    assert headers["dlq_reason"] == (
        "rejected: '/hotline/province/gd/someone' may not publish on gd.contacts "
        "(only '/hotline/province/gd/gateway')"
    )
    assert harness.handled == []


def test_each_topic_of_a_subsystem_has_one_producer_and_the_dead_letter_topic_none():
    from contracts.topics import Topics

    topics = Topics("gd")
    assert topics.producer_of(topics.contacts) == "gateway"
    assert topics.producer_of(topics.workorders) == "intake"
    assert topics.producer_of(topics.department("repair")) == "dispatch"
    assert topics.producer_of(topics.department_replies) == "gateway"
    assert topics.producer_of(topics.dispatch_progress) == "dispatch"
    assert topics.producer_of(topics.notifications) == "notify"
    assert topics.producer_of(topics.followups) == "qa"
    assert topics.producer_of(topics.deadletter) is None
    assert topics.producer_of("bj.contacts") is None, "another subsystem's topic"
