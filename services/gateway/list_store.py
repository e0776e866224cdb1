"""The lists' side of the gateway's store: each case file's list entries (`lists`, indexed), set again
from the whole document after it changes, and a directory of the hours each list has entries in
(`<case files>_lists`, by `key`), so a list is read without asking for the hours it has none in (an hour
split in parts is noted once, marked: work_order_lists.py).

Entries are derived from the document, never merged into it, and set a moment after the change: every
write of a case file marks it `unplaced` (indexed), and a loop places what this process wrote every half
second, so a work order's announcement and dispatch arriving together cost one placement, not two. The
placement is written conditioned on the revision read (plumbing/write_guard.py) and clears the mark; one
lost to a later change is placed again. A crash leaves the mark: the loop's sweep, at start and every
half minute, places whatever any replica left marked. Redeliveries, two subscriptions writing at once and
crashes all end with the entries the document calls for.
"""

import asyncio
import random
import time
from collections import OrderedDict
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from pymongo import ASCENDING
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import BulkWriteError

from plumbing.stored_upgrades import StoredUpgrade
from plumbing.write_guard import REVISION, STALE_PAUSE, StaleWrite, guarded, refusing_stale
from services.gateway.case_file_documents import case_file_of
from services.gateway.case_files import CaseFile
from services.gateway.work_order_lists import entries, noted

Document = dict[str, Any]
DUPLICATE_KEY = 11000
# The directory entries this process knows are stored: most changes join no list in a new hour.
KNOWN_ENTRIES = 100_000
ATTEMPTS = 20
# Work orders placed side by side: each read and write holds one of the store's connections.
PLACED_AT_ONCE = 16
UNPLACED = "unplaced"  # set by every change of a case file, cleared by its placement
PLACE_EVERY, SWEEP_EVERY = 0.5, 30.0  # seconds
SWEPT_AT_ONCE = 1_000
# Case files an older release stored, before the lists: a scan, run once per store (`unlisted`).
UNLISTED: Document = {"lists": {"$exists": False}, "type": {"$exists": True}}
# ... and those an earlier release put on the whole province's due list by the hour of the deadline.
DUE_BY_THE_HOUR: Document = {"lists": {"$regex": r"^due@[^:]+$"}}
# ... and those stored before Open311's public list (by the hour requested), closed ones too.
UNREQUESTED: Document = {"created_at": {"$ne": None}, "lists": {"$not": {"$regex": r"^requested:"}}}


def changed(update: Document) -> Document:
    """A case file's update, guarded, and marking it to be placed on the lists again."""
    return guarded(update | {"$set": update.get("$set", {}) | {UNPLACED: True}})


class MongoListBuckets:
    def __init__(self, cases: AsyncCollection[Document], directory: AsyncCollection[Document]) -> None:
        self._cases = cases
        self._directory = directory
        self._known: OrderedDict[str, None] = OrderedDict()
        self._pending: set[str] = set()

    async def ensure_indexes(self) -> None:
        await self._cases.create_index([("lists", ASCENDING)])
        await self._cases.create_index([(UNPLACED, ASCENDING)])
        await self._directory.create_index([("key", ASCENDING)])

    def later(self, work_order_ids: Iterable[str]) -> None:
        """To be placed by the next round (their documents are marked already)."""
        self._pending.update(work_order_ids)

    async def keep_placing(self, every: float = PLACE_EVERY, sweep_every: float = SWEEP_EVERY) -> None:
        """Place what this process changed, every `every` seconds; sweep for what is left marked at
        start and every `sweep_every` seconds."""
        swept = -sweep_every
        while True:
            if time.monotonic() - swept >= sweep_every:
                swept = time.monotonic()
                await self.sweep()
            await self.place_pending()
            await asyncio.sleep(every)

    async def place_pending(self, now: datetime | None = None) -> None:
        taken, self._pending = self._pending, set()
        try:
            await self.place(taken, now)
        except BaseException:
            self._pending |= taken  # tried again next round (the marks stay in the store meanwhile)
            raise

    def unlisted(self) -> StoredUpgrade:
        """Case files stored before there were lists (their work order known, no entries yet): marked
        and placed once, by the upgrade at start (plumbing/stored_upgrades.py)."""
        return StoredUpgrade("case files: lists", self._cases, UNLISTED, self._place_again)

    def due_by_the_hour(self) -> StoredUpgrade:
        """Case files an earlier release put on the whole province's due list by the hour, which its
        reader no longer looks at (it reads the five-minute parts the directory notes): placed again."""
        name = "case files: the province's due list by five minutes"
        return StoredUpgrade(name, self._cases, DUE_BY_THE_HOUR, self._place_again)

    def not_on_the_requested_list(self) -> StoredUpgrade:
        """Case files stored before Open311's public list: placed again, once, so it lists them too
        (those the public may not see get no entries all the same)."""
        name = "case files: Open311's list by the hour requested"
        return StoredUpgrade(name, self._cases, UNREQUESTED, self._place_again)

    async def _place_again(self, work_order_ids: list[str]) -> None:
        # Read first: one that cannot be read raises here, unmarked, and never jams the sweep.
        async for document in self._cases.find({"_id": {"$in": work_order_ids}}):
            case_file_of(document)
        await self._cases.update_many({"_id": {"$in": work_order_ids}}, changed({}))
        await self.place(work_order_ids)

    async def sweep(self, now: datetime | None = None) -> int:
        """Place the case files left marked (a crash between a change and its placement)."""
        found = [d["_id"] async for d in self._cases.find({UNPLACED: True}, {"_id": 1}, limit=SWEPT_AT_ONCE)]
        await self.place(found, now)
        return len(found)

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
            if document is None or not document.get(UNPLACED):
                return  # placed already (by another replica's sweep, say)
            kept = document.get("lists", [])
            if "type" in document:  # else only a reply seen yet: placed once its work order is known
                placed = entries(case_file_of(document), kept, now)
                await self._note(placed)
            else:
                placed = kept
            try:
                written = await refusing_stale(
                    self._cases.update_one(
                        {"_id": work_order_id, REVISION: document.get(REVISION)},
                        guarded({"$set": {"lists": placed}, "$unset": {UNPLACED: ""}}),
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
        hours = {f"{key}@{hour}": (key, hour) for key, hour in filter(None, map(noted, placed))}
        new = [entry for entry in hours if entry not in self._known]
        if not new:
            return
        documents = [{"_id": entry, "key": hours[entry][0], "hour": hours[entry][1]} for entry in new]
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
