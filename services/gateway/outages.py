"""The outages the gateway has registered (its own record of them, for the outage API), kept by id."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from pymongo.asynchronous.collection import AsyncCollection

from contracts.events import OutageRegisteredV1, OutageUpdatedV1
from plumbing.store import as_utc
from plumbing.write_guard import guarded, retrying_stale

Document = dict[str, Any]


@dataclass(frozen=True)
class KeptOutage:
    state: OutageRegisteredV1 | OutageUpdatedV1
    ended_at: datetime | None = None


class OutageBook(Protocol):
    async def find(self, outage_id: str) -> KeptOutage | None: ...

    async def keep(self, outage: KeptOutage) -> None:
        """Store the outage as it stands now."""
        ...

    async def active(self) -> list[KeptOutage]:
        """Those not ended."""
        ...


class MongoOutageBook:
    def __init__(self, collection: AsyncCollection[Document]) -> None:
        self._collection = collection

    async def ensure_indexes(self) -> None:
        await self._collection.create_index("active")

    async def find(self, outage_id: str) -> KeptOutage | None:
        document = await self._collection.find_one({"_id": outage_id})
        return _kept(document) if document else None

    async def keep(self, outage: KeptOutage) -> None:
        fields = {
            "state": outage.state.model_dump(mode="json"),
            "registered": isinstance(outage.state, OutageRegisteredV1),
            "ended_at": outage.ended_at,
            "active": outage.ended_at is None,
        }
        await retrying_stale(
            lambda: self._collection.update_one(
                {"_id": outage.state.outage_id}, guarded({"$set": fields}), upsert=True
            )
        )

    async def active(self) -> list[KeptOutage]:
        return [_kept(document) async for document in self._collection.find({"active": True})]


def _kept(document: Document) -> KeptOutage:
    model = OutageRegisteredV1 if document["registered"] else OutageUpdatedV1
    ended = document.get("ended_at")
    return KeptOutage(model.model_validate(document["state"]), as_utc(ended) if ended else None)
