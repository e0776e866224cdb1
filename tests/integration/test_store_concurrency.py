"""The local store takes as many writes at once as the services may send: FerretDB 1.24 holds two pooled
PostgreSQL connections per update, and with its default pool about 25 updates at once wedged it for good
(every command hanging, ping too) after a few hundred of them (deploy/local/stack/postgres.py)."""

import asyncio
import contextlib
from uuid import uuid4

from pymongo import AsyncMongoClient

from tests.support.running import database_name

DOCUMENTS = 2000
AT_ONCE = 100
# Not a speed bound: long enough for the slowest machine, short enough that a wedged store fails the test.
HANG = 120.0


async def test_two_thousand_updates_a_hundred_at_a_time_all_complete_and_the_store_still_answers(stack):
    client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(stack.mongodb_uri, maxPoolSize=AT_ONCE)
    collection = client[database_name("hb", "concurrency")][f"docs_{uuid4().hex[:8]}"]
    ids = [uuid4().hex for _ in range(DOCUMENTS)]
    # Shaped like a work order with one pending event.
    body = {
        "type": "fault_repair",
        "description": "停电" * 300,
        "customer": {"name": "陈女士", "phone": "+8613926012345", "home_region": "Guangzhou, Guangdong"},
        "status": "open",
        "version": 1,
        "schema": 1,
        "has_outbox": True,
        "outbox": {
            "e1": {"seq": 1, "topic": "gd.workorders", "headers": {"ce_id": uuid4().hex}, "value": "x" * 500}
        },
    }
    try:
        for start in range(0, DOCUMENTS, AT_ONCE):
            batch = ids[start : start + AT_ONCE]
            await collection.insert_many(
                [{"_id": document_id, **body} for document_id in batch], ordered=False
            )

        async def clear_outboxes() -> int:
            modified = 0
            for start in range(0, DOCUMENTS, AT_ONCE):
                results = await asyncio.gather(
                    *(
                        collection.update_one(
                            {"_id": document_id}, {"$unset": {"outbox.e1": ""}, "$set": {"has_outbox": False}}
                        )
                        for document_id in ids[start : start + AT_ONCE]
                    )
                )
                modified += sum(result.modified_count for result in results)
            return modified

        assert await asyncio.wait_for(clear_outboxes(), HANG) == DOCUMENTS
        assert await asyncio.wait_for(client.admin.command("ping"), HANG) == {"ok": 1.0}
        assert await collection.count_documents({"has_outbox": True}) == 0
    finally:
        # A wedged store would hang the clean-up too.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(client.drop_database(collection.database.name), HANG)
        await client.close()
