"""MongoDB-wire store access through PyMongo's async API."""

from typing import Any

from pymongo import AsyncMongoClient
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import (
    AutoReconnect,
    ConnectionFailure,
    DuplicateKeyError,
    NetworkTimeout,
    ServerSelectionTimeoutError,
)

from plumbing.settings import ServiceSettings

# Errors after which the same write, retried later, can succeed: the store is down or failing over.
TRANSIENT_STORE_ERRORS = (AutoReconnect, ConnectionFailure, NetworkTimeout, ServerSelectionTimeoutError)


def make_mongo_client(settings: ServiceSettings, service: str) -> AsyncMongoClient[dict[str, Any]]:
    return AsyncMongoClient(
        settings.mongodb_uri,
        appname=f"hotline-{settings.hotline_province}-{service}",
        serverSelectionTimeoutMS=5000,
        tz_aware=True,
    )


async def insert_once(collection: AsyncCollection[dict[str, Any]], document: dict[str, Any]) -> bool:
    """Insert a document whose _id is derived from what caused it; False if a redelivery already did."""
    try:
        await collection.insert_one(document)
    except DuplicateKeyError:
        return False
    return True
