"""Writers racing on one document stay correct on the local store: every update adds 1 to `_rev`, and the
stack's PostgreSQL refuses one computed from a revision another writer has replaced (FerretDB 1.x reads,
then writes back, not atomically; MongoDB is atomic and passes the same tests)."""

import asyncio
from typing import Any
from uuid import uuid4

from pymongo import AsyncMongoClient

from plumbing.write_guard import StaleWrite, guarded, refusing_stale, retrying_stale
from tests.support.running import database_name

WRITERS = 10


async def _collection(stack: Any) -> tuple[AsyncMongoClient[dict[str, Any]], Any]:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(stack.mongodb_uri, maxPoolSize=WRITERS * 4)
    # A collection of its own: made now, so the guard must reach collections made after the stack started.
    return client, client[database_name("hb", "guard")][f"guarded_{uuid4().hex[:8]}"]


async def test_of_ten_writers_conditioned_on_one_version_exactly_one_wins(stack):
    client, collection = await _collection(stack)
    try:
        for trial in range(5):
            await collection.insert_one({"_id": trial, "version": 0})

            async def write(writer: int, trial: int = trial) -> int | None:
                try:
                    result = await refusing_stale(
                        collection.update_one(
                            {"_id": trial, "version": 0}, guarded({"$set": {"version": 1, "by": writer}})
                        )
                    )
                except StaleWrite:
                    return None
                return writer if result.modified_count else None

            winners = [w for w in await asyncio.gather(*(write(w) for w in range(WRITERS))) if w is not None]
            assert len(winners) == 1
            stored = await collection.find_one({"_id": trial})
            assert stored == {"_id": trial, "version": 1, "by": winners[0], "_rev": 1}
    finally:
        await client.drop_database(collection.database.name)
        await client.close()


async def test_thirty_concurrent_increments_each_retried_when_refused_are_all_kept(stack):
    client, collection = await _collection(stack)
    try:
        await collection.insert_one({"_id": "counter", "n": 0})
        update = guarded({"$inc": {"n": 1}})
        await asyncio.gather(
            *(
                retrying_stale(lambda: collection.update_one({"_id": "counter"}, update), attempts=30)
                for _ in range(30)
            )
        )
        stored = await collection.find_one({"_id": "counter"})
        assert stored == {"_id": "counter", "n": 30, "_rev": 30}
    finally:
        await client.drop_database(collection.database.name)
        await client.close()


async def test_a_write_that_would_drop_a_documents_revision_is_refused(stack):
    client, collection = await _collection(stack)
    try:
        await collection.insert_one({"_id": "kept", "n": 0})
        await refusing_stale(collection.update_one({"_id": "kept"}, guarded({"$set": {"n": 1}})))
        for unguarded in (
            collection.replace_one({"_id": "kept"}, {"n": 2}),  # a whole replacement carries no _rev
            collection.update_one({"_id": "kept"}, {"$set": {"n": 3}}),  # keeps the old _rev: not one past
        ):
            try:
                await refusing_stale(unguarded)
            except StaleWrite:
                continue
            raise AssertionError("an unguarded write went through")
        assert await collection.find_one({"_id": "kept"}) == {"_id": "kept", "n": 1, "_rev": 1}
    finally:
        await client.drop_database(collection.database.name)
        await client.close()
