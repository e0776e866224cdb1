"""What the store's integration tests share."""

from collections.abc import AsyncIterator
from typing import Any

import pytest
from faststream.kafka import KafkaBroker
from pymongo import AsyncMongoClient

from tests.support.running import database_name

PROVINCE = "gx"


@pytest.fixture
async def store(stack) -> AsyncIterator[Any]:
    """A test database of the local store (each test names its own collections) and a started broker."""
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(stack.mongodb_uri, tz_aware=True)
    broker = KafkaBroker(stack.kafka.bootstrap_servers, security=stack.kafka.security())
    await broker.start()
    try:
        yield client[database_name(PROVINCE, "test")], broker
    finally:
        await broker.stop()
        await client.close()
