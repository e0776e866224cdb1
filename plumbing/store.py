"""MongoDB-wire store access through PyMongo's async API."""

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from pymongo import AsyncMongoClient, monitoring
from pymongo.errors import AutoReconnect, ConnectionFailure, NetworkTimeout, ServerSelectionTimeoutError

from plumbing.settings import ServiceSettings

# Errors after which the same write, retried later, can succeed: the store is down or failing over.
TRANSIENT_STORE_ERRORS = (AutoReconnect, ConnectionFailure, NetworkTimeout, ServerSelectionTimeoutError)


def make_mongo_client(
    settings: ServiceSettings, service: str, listeners: Sequence[monitoring.CommandListener] = ()
) -> AsyncMongoClient[dict[str, Any]]:
    return AsyncMongoClient(
        settings.mongodb_uri,
        appname=f"hotline-{settings.hotline_province}-{service}",
        serverSelectionTimeoutMS=5000,
        maxPoolSize=settings.mongodb_max_pool_size,
        tz_aware=True,
        event_listeners=list(listeners),
    )


def as_utc(moment: datetime) -> datetime:
    """A date as the store gave it back: a client without `tz_aware` gets it naive, in UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
