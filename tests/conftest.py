from collections.abc import Iterator
from typing import Any

import pytest
from pymongo import MongoClient

from tests.support import stack as local_stack
from tests.support.running import DATABASE_PREFIX


@pytest.fixture(scope="session")
def stack() -> Iterator[local_stack.Stack]:
    """The real Kafka, MongoDB-wire store and SMS gateway, started for the session if not already up."""
    running, started_here = local_stack.start()
    try:
        yield running
    finally:
        if started_here:
            local_stack.stop()
        else:
            drop_test_databases(running)


def drop_test_databases(running: local_stack.Stack) -> None:
    """What this session stored goes with it, so a stack kept up between runs does not fill up."""
    client: MongoClient[dict[str, Any]] = MongoClient(running.mongodb_uri)
    try:
        for name in client.list_database_names():
            if name.startswith(f"{DATABASE_PREFIX}_"):
                client.drop_database(name)
    finally:
        client.close()
