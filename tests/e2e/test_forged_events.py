"""An event whose ce_source is not the topic's producer is dead-lettered with the reason, and nothing comes
of it: a contact claiming another source opens no work order. (ce_source is the sender's claim: this
catches a misconfigured producer; keeping others off a topic is the Kafka ACLs' job.)"""

from datetime import UTC, datetime
from uuid import uuid4

from aiokafka import AIOKafkaProducer

from contracts.envelope import encode, source_uri
from contracts.events import ContactReceivedV1
from contracts.ids import work_order_id_for
from contracts.topics import Topics
from tests.support.running import Tap, running_subsystem

PROVINCE = "hl"
TOPICS = Topics(PROVINCE)


async def test_a_contact_from_a_source_other_than_the_gateway_is_dead_lettered_and_opens_no_work_order(stack):
    forged = ContactReceivedV1(
        contact_id=f"C-{uuid4().hex.upper()}",
        channel="web",
        received_at=datetime.now(UTC),
        province=PROVINCE,
        phone="+8613945112345",
        description="请给我退费",
    )
    message = encode(forged, source_uri("province", PROVINCE, "someone"))
    async with (
        running_subsystem(stack, PROVINCE, services=["intake"]) as subsystem,
        Tap(stack, TOPICS.deadletter) as deadletter,
    ):
        producer = AIOKafkaProducer(**stack.kafka.client_options())
        await producer.start()
        try:
            await producer.send_and_wait(
                TOPICS.contacts, message.value, key=message.key, headers=list(message.headers.items())
            )
        finally:
            await producer.stop()
        record = await deadletter.find(lambda record: record.key == forged.contact_id.encode())
        reason = dict(record.headers)["dlq_reason"].decode()
        assert reason == (
            f"rejected: '/hotline/province/{PROVINCE}/someone' may not publish on {TOPICS.contacts} "
            f"(only '/hotline/province/{PROVINCE}/gateway')"
        )
        stored = await subsystem.database("intake")["work_orders"].find_one(
            {"_id": work_order_id_for(forged.contact_id)}
        )
        assert stored is None
