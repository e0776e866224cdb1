"""The gateway's copy of the routing table's departments, as dispatch last announced them
(`hotline.routing.in_force.v1`), so a re-dispatch to a department no rule names is refused at the API
with the departments it may name, rather than accepted and then dead-lettered by dispatch.

One document, kept from the announcements: a replica's announcement of a table it read earlier than the
one stored does not replace it. Until the first announcement arrives nothing is refused here (dispatch
still refuses a department it does not know). Reads are cached for a moment: an edited table reaches the
API within seconds either way.
"""

import time
from typing import Any, Protocol

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from contracts.events import RoutingTableInForceV1
from plumbing.store import as_utc
from plumbing.write_guard import guarded, retrying_stale

Document = dict[str, Any]
CACHED_FOR = 2.0  # seconds
TABLE = "in_force"


class RoutingCopy(Protocol):
    async def keep(self, announced: RoutingTableInForceV1) -> None:
        """Store the announcement, unless the copy holds a table read later."""
        ...

    async def in_force(self) -> RoutingTableInForceV1 | None:
        """The table last announced; None before any was."""
        ...


class InMemoryRoutingCopy:
    def __init__(self, announced: RoutingTableInForceV1 | None = None) -> None:
        self.announced = announced

    async def keep(self, announced: RoutingTableInForceV1) -> None:
        if self.announced is None or self.announced.loaded_at <= announced.loaded_at:
            self.announced = announced

    async def in_force(self) -> RoutingTableInForceV1 | None:
        return self.announced


class MongoRoutingCopy:
    def __init__(self, collection: AsyncCollection[Document], cached_for: float = CACHED_FOR) -> None:
        self._collection = collection
        self._cached_for = cached_for
        self._cached: tuple[float, RoutingTableInForceV1 | None] | None = None

    async def keep(self, announced: RoutingTableInForceV1) -> None:
        fields = announced.model_dump(mode="python")
        self._cached = None
        try:
            await self._collection.insert_one({"_id": TABLE, **fields})
        except DuplicateKeyError:
            newer = {"_id": TABLE, "loaded_at": {"$lte": announced.loaded_at}}
            await retrying_stale(lambda: self._collection.update_one(newer, guarded({"$set": fields})))

    async def in_force(self) -> RoutingTableInForceV1 | None:
        now = time.monotonic()
        if self._cached is not None and now - self._cached[0] < self._cached_for:
            return self._cached[1]
        document = await self._collection.find_one({"_id": TABLE})
        found = None
        if document is not None:
            document.pop("_id")
            document.pop("_rev", None)
            found = RoutingTableInForceV1(**document | {"loaded_at": as_utc(document["loaded_at"])})
        self._cached = (now, found)
        return found
