"""Kafka is not an open door: every client logs in, and each service's user may write only the topics
its service produces and read only those it consumes (contracts/bus_access.py, applied by the stack)."""

import contextlib
from collections.abc import AsyncIterator
from uuid import uuid4

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.errors import KafkaError, TopicAuthorizationFailedError

from contracts.topics import Topics
from deploy.local.credentials import kafka_users
from plumbing.kafka_connection import KafkaConnection
from tests.support import stack as local_stack
from tests.support.running import Tap, ensure_topic

PROVINCE = "xz"
TOPICS = Topics(PROVINCE)

pytestmark = pytest.mark.skipif(not local_stack.ours("kafka"), reason="the ACLs are the local stack's")


def as_service(stack, service: str) -> KafkaConnection:
    return KafkaConnection(stack.kafka.bootstrap_servers, service, kafka_users()[service])


@contextlib.asynccontextmanager
async def producer(connection: KafkaConnection) -> AsyncIterator[AIOKafkaProducer]:
    client = AIOKafkaProducer(**connection.client_options(), request_timeout_ms=10000)
    await client.start()
    try:
        yield client
    finally:
        await client.stop()


async def test_a_service_writes_the_topics_it_produces_and_is_refused_every_other(stack):
    for topic in (TOPICS.contacts, TOPICS.workorders, TOPICS.department_replies):
        await ensure_topic(stack.kafka, topic)
    key = uuid4().hex.encode()
    async with Tap(stack, TOPICS.contacts) as contacts:
        async with producer(as_service(stack, "gateway")) as gateway:
            await gateway.send_and_wait(TOPICS.contacts, b"{}", key=key)
        await contacts.find(lambda record: record.key == key)
    refused = []
    for service, topic in [("notify", TOPICS.contacts), ("qa", TOPICS.workorders)]:
        async with producer(as_service(stack, service)) as other:
            with pytest.raises(TopicAuthorizationFailedError):
                await other.send_and_wait(topic, b"{}", key=key)
            refused.append((service, topic))
    assert len(refused) == 2


async def test_dispatch_writes_departments_topics_but_may_not_forge_a_department_reply(stack):
    await ensure_topic(stack.kafka, TOPICS.department_replies)
    async with producer(as_service(stack, "dispatch")) as dispatch:
        await dispatch.send_and_wait(TOPICS.department("repair"), b"{}", key=b"WO-1")
        with pytest.raises(TopicAuthorizationFailedError):
            await dispatch.send_and_wait(TOPICS.department_replies, b"{}", key=b"WO-1")


async def test_a_service_may_not_read_a_topic_it_does_not_consume(stack):
    await ensure_topic(stack.kafka, TOPICS.contacts, partitions=1)
    key = uuid4().hex.encode()
    async with producer(as_service(stack, "gateway")) as gateway:
        await gateway.send_and_wait(TOPICS.contacts, b"{}", key=key, partition=0)
    reader = AIOKafkaConsumer(
        **as_service(stack, "notify").client_options(), enable_auto_commit=False, auto_offset_reset="earliest"
    )
    await reader.start()
    try:
        reader.assign([TopicPartition(TOPICS.contacts, 0)])
        batches = await reader.getmany(timeout_ms=3000)
        await reader._client.force_metadata_update()
        refused = reader._client.cluster.unauthorized_topics
    finally:
        await reader.stop()
    assert batches == {}, "notify read the contacts topic"
    assert TOPICS.contacts in refused


async def test_a_client_without_a_user_or_with_a_wrong_password_cannot_connect(stack):
    anonymous = KafkaConnection(stack.kafka.bootstrap_servers)
    wrong = KafkaConnection(stack.kafka.bootstrap_servers, "intake", "not-its-password")
    for connection in (anonymous, wrong):
        client = AIOKafkaProducer(**connection.client_options(), request_timeout_ms=3000)
        with pytest.raises(KafkaError):
            await client.start()
        await client.stop()
