"""The gateway's copy of intake's field rules, as intake last announced them
(`hotline.intake.fields_in_force.v1`), from which Open311's services and service definitions are made
(services/gateway/open311_services.py): the gateway never reads intake's files or collections.

One document, kept from the announcements: a replica's announcement of rules it read earlier than the
ones stored does not replace them. Until the first announcement arrives there is nothing to describe
(Open311's services answer 503). Reads are cached for a moment, as the routing copy's are.
"""

import time
from typing import Any, Protocol

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from contracts.events import WorkOrderFieldsInForceV1
from plumbing.store import as_utc
from plumbing.write_guard import guarded, retrying_stale

Document = dict[str, Any]
CACHED_FOR = 2.0  # seconds
RULES = "in_force"


class FieldsCopy(Protocol):
    async def keep(self, announced: WorkOrderFieldsInForceV1) -> None:
        """Store the announcement, unless the copy holds rules read later."""
        ...

    async def in_force(self) -> WorkOrderFieldsInForceV1 | None:
        """The rules last announced; None before any were."""
        ...


class InMemoryFieldsCopy:
    def __init__(self, announced: WorkOrderFieldsInForceV1 | None = None) -> None:
        self.announced = announced

    async def keep(self, announced: WorkOrderFieldsInForceV1) -> None:
        if self.announced is None or self.announced.loaded_at <= announced.loaded_at:
            self.announced = announced

    async def in_force(self) -> WorkOrderFieldsInForceV1 | None:
        return self.announced


class MongoFieldsCopy:
    def __init__(self, collection: AsyncCollection[Document], cached_for: float = CACHED_FOR) -> None:
        self._collection = collection
        self._cached_for = cached_for
        self._cached: tuple[float, WorkOrderFieldsInForceV1 | None] | None = None

    async def keep(self, announced: WorkOrderFieldsInForceV1) -> None:
        fields = announced.model_dump(mode="json") | {"loaded_at": announced.loaded_at}
        self._cached = None
        try:
            await self._collection.insert_one({"_id": RULES, **fields})
        except DuplicateKeyError:
            newer = {"_id": RULES, "loaded_at": {"$lte": announced.loaded_at}}
            await retrying_stale(lambda: self._collection.update_one(newer, guarded({"$set": fields})))

    async def in_force(self) -> WorkOrderFieldsInForceV1 | None:
        now = time.monotonic()
        if self._cached is not None and now - self._cached[0] < self._cached_for:
            return self._cached[1]
        document = await self._collection.find_one({"_id": RULES})
        found = None
        if document is not None:
            document.pop("_id")
            document.pop("_rev", None)
            found = WorkOrderFieldsInForceV1(**document | {"loaded_at": as_utc(document["loaded_at"])})
        self._cached = (now, found)
        return found
