"""Documents an older release stored, rewritten once by the current one. A reader upgrades a document as
it loads it, but what a query finds it by (dispatch's timer slot, the gateway's list entries) exists only
once it is written back, and a document no step touches again would never be found: its timers would
never fire, it would be on no list.

A service runs each upgrade in the background at start: one pass of the upgrade's query (it looks for
what is missing, which no index serves: a scan) hands the ids it finds over a batch at a time to the
service's own code to rewrite, and the upgrade is then marked done in the service's `upgrades`
collection, so the scan runs once per store, not at every start. A document that cannot be rewritten is
logged and left, and holds no other back; one another replica upgraded meanwhile is no failure. A pass
cut short (a store outage) starts again with what is still outdated.
"""

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pymongo.asynchronous.collection import AsyncCollection

Document = dict[str, Any]
BATCH = 50  # documents rewritten in one go (FerretDB holds a connection per update of a bulk write)


@dataclass(frozen=True)
class StoredUpgrade:
    name: str  # as marked done, e.g. "dispatches: schema 2"
    documents: AsyncCollection[Document]
    outdated: Document  # the query that finds what is still to rewrite
    rewrite: Callable[[list[str]], Awaitable[None]]  # the ids given are found by `outdated` no more


async def upgrade_once(upgrade: StoredUpgrade, marks: AsyncCollection[Document], log: Any) -> int:
    """Rewrite what `upgrade` finds, unless marked done; how many documents it rewrote."""
    if await marks.find_one({"_id": upgrade.name}) is not None:
        return 0
    rewritten, skipped = 0, list[str]()
    found = upgrade.documents.find(upgrade.outdated, {"_id": 1}, batch_size=BATCH)
    batch: list[str] = []
    async for document in found:
        batch.append(document["_id"])
        if len(batch) == BATCH:
            rewritten += await _rewrite(upgrade, batch, skipped, log)
            batch = []
    if batch:
        rewritten += await _rewrite(upgrade, batch, skipped, log)
    done = {"at": datetime.now(UTC), "rewritten": rewritten, "skipped": skipped}
    await marks.update_one({"_id": upgrade.name}, {"$set": done}, upsert=True)
    log.info("stored documents upgraded", upgrade=upgrade.name, rewritten=rewritten, skipped=len(skipped))
    return rewritten


async def _rewrite(upgrade: StoredUpgrade, ids: list[str], skipped: list[str], log: Any) -> int:
    try:
        await upgrade.rewrite(ids)
        return len(ids)
    except Exception:  # one at a time, to find the one that fails (or a race lost meanwhile)
        pass
    rewritten = 0
    for one in ids:
        try:
            await upgrade.rewrite([one])
            rewritten += 1
        except Exception as error:
            if await upgrade.documents.find_one({"_id": one} | upgrade.outdated, {"_id": 1}) is None:
                continue  # upgraded by another replica meanwhile (or gone): nothing left to do
            skipped.append(one)
            log.error("stored document not upgraded", upgrade=upgrade.name, id=one, error=repr(error))
    return rewritten


def upgrading(
    upgrades: Sequence[StoredUpgrade], marks: AsyncCollection[Document], log: Any
) -> Callable[[], Awaitable[None]]:
    """The upgrades, one after the other, as one of the runtime's background loops (which restarts a
    loop that returns or fails, so this one waits on once done, and a store outage only delays it;
    those marked done are not run again)."""

    async def run() -> None:
        for upgrade in upgrades:
            await upgrade_once(upgrade, marks, log)
        await asyncio.Event().wait()

    return run
