"""How the store answers writers racing on one document: what optimistic concurrency and counters
rely on. MongoDB lets exactly one of several writers conditioned on the same version win, and keeps every
increment. The local FerretDB 1.x reads the document, then writes it back, not atomically: unguarded, several
win and increments are lost; with every write adding 1 to `_rev` (plumbing/write_guard.py, refused by the
stack's PostgreSQL when stale) one wins and, each refused increment retried, all are kept. Both are
measured, so the gap and its fix are figures, not rumours; and what the guard costs."""

import asyncio
import time
from dataclasses import dataclass
from typing import Any
from uuid import uuid4

from pymongo import AsyncMongoClient
from pymongo.asynchronous.collection import AsyncCollection

from plumbing.write_guard import StaleWrite, guarded, refusing_stale, retrying_stale

WRITERS = 10
TRIALS = 20
INCREMENTS = 30
Collection = AsyncCollection[dict[str, Any]]


@dataclass(frozen=True)
class StoreRaces:
    writers: int
    trials: int
    winners_mean: float  # of `writers` updates conditioned on the same version: 1.0 when atomic
    winners_max: int
    increments: int
    increments_kept: int  # of `increments` concurrent $inc by 1: all of them when atomic
    guarded_winners_mean: float  # the same with the write guard
    guarded_winners_max: int
    guarded_increments_kept: int  # each refused increment retried
    guarded_increments_s: float  # the time they took, next to the unguarded ones'
    increments_s: float


async def _winners(collection: Collection, trial: str, guard: bool) -> int:
    await collection.insert_one({"_id": trial, "version": 0})

    async def write(writer: int) -> int:
        update = {"$set": {"version": 1, "by": writer}}
        try:
            result = await refusing_stale(
                collection.update_one({"_id": trial, "version": 0}, guarded(update) if guard else update)
            )
        except StaleWrite:
            return 0
        return result.modified_count

    return sum(await asyncio.gather(*(write(w) for w in range(WRITERS))))


async def _increments(collection: Collection, counter: str, guard: bool) -> tuple[int, float]:
    await collection.insert_one({"_id": counter, "n": 0})
    started = time.perf_counter()
    if guard:
        update = guarded({"$inc": {"n": 1}})
        await asyncio.gather(
            *(
                retrying_stale(lambda: collection.update_one({"_id": counter}, update), attempts=INCREMENTS)
                for _ in range(INCREMENTS)
            )
        )
    else:
        await asyncio.gather(
            *(collection.update_one({"_id": counter}, {"$inc": {"n": 1}}) for _ in range(INCREMENTS))
        )
    took = time.perf_counter() - started
    stored = await collection.find_one({"_id": counter})
    return (int(stored["n"]) if stored else 0), took


async def store_races(uri: str, database: str) -> StoreRaces:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(uri, maxPoolSize=WRITERS * 2)
    collection = client[database][f"races_{uuid4().hex[:8]}"]
    try:
        plain = [await _winners(collection, f"plain-{trial}", guard=False) for trial in range(TRIALS)]
        guarded_ = [await _winners(collection, f"guarded-{trial}", guard=True) for trial in range(TRIALS)]
        kept, took = await _increments(collection, "plain-counter", guard=False)
        guarded_kept, guarded_took = await _increments(collection, "guarded-counter", guard=True)
    finally:
        await client.drop_database(database)
        await client.close()
    return StoreRaces(
        WRITERS,
        TRIALS,
        sum(plain) / TRIALS,
        max(plain),
        INCREMENTS,
        kept,
        sum(guarded_) / TRIALS,
        max(guarded_),
        guarded_kept,
        guarded_took,
        took,
    )
