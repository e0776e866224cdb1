"""The lists' side of the gateway's store: each case file's list entries (`lists`, indexed), set again
from the whole document after every change, and a directory of the hours each list has entries in
(`<case files>_lists`, by `key`), so a list is read without asking for the hours it has none in.

Entries are derived from the document, never merged into it: a redelivered event, two subscriptions
writing the same work order or a crash between the two writes all end with the entries the document
calls for. The write is guarded by the revision read (plumbing/write_guard.py) and read again if lost.
"""

import asyncio
import random
from collections import OrderedDict
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from pymongo import ASCENDING
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import BulkWriteError

from plumbing.write_guard import REVISION, STALE_PAUSE, StaleWrite, guarded, refusing_stale
from services.gateway.case_file_documents import case_file_of
from services.gateway.case_files import CaseFile
from services.gateway.work_order_lists import View, entries

Document = dict[str, Any]
DUPLICATE_KEY = 11000
# The directory entries this process knows are stored: most changes join no list in a new hour.
KNOWN_ENTRIES = 100_000
ATTEMPTS = 20
# Work orders placed side by side: each read and write holds one of the store's connections.
PLACED_AT_ONCE = 16


class MongoListBuckets:
    def __init__(self, cases: AsyncCollection[Document], directory: AsyncCollection[Document]) -> None:
        self._cases = cases
        self._directory = directory
        self._known: OrderedDict[str, None] = OrderedDict()

    async def ensure_indexes(self) -> None:
        await self._cases.create_index([("lists", ASCENDING)])
        await self._directory.create_index([("key", ASCENDING)])

    async def place(self, work_order_ids: Iterable[str], now: datetime | None = None) -> None:
        """Each work order's entries set again from its case file as it is stored now."""
        at = now or datetime.now(UTC)
        gate = asyncio.Semaphore(PLACED_AT_ONCE)

        async def place_one(work_order_id: str) -> None:
            async with gate:
                await self._place(work_order_id, at)

        await asyncio.gather(*(place_one(work_order_id) for work_order_id in set(work_order_ids)))

    async def _place(self, work_order_id: str, now: datetime) -> None:
        for attempt in range(ATTEMPTS):
            document = await self._cases.find_one({"_id": work_order_id})
            if document is None or "type" not in document:
                return  # only a reply seen yet: it is placed once its work order is known
            kept = document.get("lists", [])
            placed = entries(case_file_of(document), kept, now)
            if placed == kept:
                return
            await self._note(placed)
            try:
                written = await refusing_stale(
                    self._cases.update_one(
                        {"_id": work_order_id, REVISION: document.get(REVISION)},
                        guarded({"$set": {"lists": placed}}),
                    )
                )
            except StaleWrite:
                written = None
            if written is not None and written.matched_count:
                return
            # Another writer came between the read and the write: read again, after a random pause.
            await asyncio.sleep(random.uniform(0, STALE_PAUSE * (attempt + 1)))
        raise StaleWrite(f"{work_order_id}: its list entries lost {ATTEMPTS} races in a row")

    async def _note(self, placed: list[str]) -> None:
        """Directory entries before the case file's: a list never holds a work order in an hour its
        reader cannot find."""
        new = [entry for entry in placed if not entry.startswith(View.DUE.value) and entry not in self._known]
        if not new:
            return
        documents = [
            {"_id": entry, "key": entry.rsplit("@", 1)[0], "hour": entry.rsplit("@", 1)[1]} for entry in new
        ]
        try:
            await self._directory.insert_many(documents, ordered=False)
        except BulkWriteError as error:
            codes = {e.get("code") for e in error.details.get("writeErrors", [])}
            if codes != {DUPLICATE_KEY}:
                raise
        for entry in new:
            self._known[entry] = None
            if len(self._known) > KNOWN_ENTRIES:
                self._known.popitem(last=False)

    async def buckets(self, key: str) -> list[str]:
        return [document["hour"] async for document in self._directory.find({"key": key})]

    async def members(self, entry: str) -> list[CaseFile]:
        return [case_file_of(document) async for document in self._cases.find({"lists": entry})]

    async def forget(self, key: str, hour: str) -> None:
        await self._directory.delete_one({"_id": f"{key}@{hour}"})
        self._known.pop(f"{key}@{hour}", None)
