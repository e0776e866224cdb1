import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from pymongo import MongoClient

from deploy.local.watch import delete_topics, list_topics
from tests.support import stack as local_stack
from tests.support.running import DATABASE_PREFIX, PREFIXES_USED


@pytest.fixture(scope="session")
def stack() -> Iterator[local_stack.Stack]:
    """The real Kafka, MongoDB-wire store and SMS gateway, started for the session if not already up.

    What the session creates goes with it: its databases, and the topics under its tests' province codes
    that were not there before it.
    """
    running, started_here = local_stack.start()
    topics_before = asyncio.run(list_topics(running.kafka))
    try:
        yield running
    finally:
        try:
            created = asyncio.run(list_topics(running.kafka)) - topics_before
            ours = {name for name in created if name.split(".", 1)[0] in PREFIXES_USED}
            asyncio.run(delete_topics(running.kafka, ours))
            drop_test_databases(running)
        finally:
            if started_here:
                local_stack.stop()


def drop_test_databases(running: local_stack.Stack) -> None:
    client: MongoClient[dict[str, Any]] = MongoClient(running.mongodb_uri)
    try:
        for name in client.list_database_names():
            if name.startswith(f"{DATABASE_PREFIX}_"):
                client.drop_database(name)
    finally:
        client.close()
