from collections.abc import Iterator

import pytest

from tests.support import stack as local_stack


@pytest.fixture(scope="session")
def stack() -> Iterator[local_stack.Stack]:
    """The real Kafka, MongoDB-wire store and SMS gateway, started for the session if not already up."""
    running, started_here = local_stack.start()
    try:
        yield running
    finally:
        if started_here:
            local_stack.stop()
