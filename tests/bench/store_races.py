"""How the store answers writers racing on one document: what optimistic concurrency and counters
rely on. MongoDB lets exactly one of several writers conditioned on the same version win, and keeps every
increment; the local FerretDB 1.x (it reads the document, then writes it back, not atomically) lets
several win and loses increments. Measured here so the gap is a figure, not a rumour."""

import asyncio
from dataclasses import dataclass
from typing import Any
from uuid import uuid4

from pymongo import AsyncMongoClient

WRITERS = 10
TRIALS = 20
INCREMENTS = 30


@dataclass(frozen=True)
class StoreRaces:
    writers: int
    trials: int
    winners_mean: float  # of `writers` updates conditioned on the same version: 1.0 when atomic
    winners_max: int
    increments: int
    increments_kept: int  # of `increments` concurrent $inc by 1: all of them when atomic


async def store_races(uri: str, database: str) -> StoreRaces:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(uri, maxPoolSize=WRITERS * 2)
    collection = client[database][f"races_{uuid4().hex[:8]}"]
    try:
        winners = []
        for trial in range(TRIALS):
            await collection.insert_one({"_id": trial, "version": 0})
            results = await asyncio.gather(
                *(
                    collection.update_one({"_id": trial, "version": 0}, {"$set": {"version": 1, "by": w}})
                    for w in range(WRITERS)
                )
            )
            winners.append(sum(result.modified_count for result in results))
        await collection.insert_one({"_id": "counter", "n": 0})
        await asyncio.gather(
            *(collection.update_one({"_id": "counter"}, {"$inc": {"n": 1}}) for _ in range(INCREMENTS))
        )
        counter = await collection.find_one({"_id": "counter"})
        kept = int(counter["n"]) if counter else 0
    finally:
        await client.drop_database(database)
        await client.close()
    return StoreRaces(WRITERS, TRIALS, sum(winners) / TRIALS, max(winners), INCREMENTS, kept)
