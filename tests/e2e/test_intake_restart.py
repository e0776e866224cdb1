"""Killing intake with kill -9 in the middle of a stream of contacts loses none and stores none twice."""

import asyncio
from uuid import uuid4

from pymongo import AsyncMongoClient

from contracts.ids import work_order_id_for
from contracts.topics import Topics
from tests.support.processes import ServiceProcess
from tests.support.running import Tap, database_name, eventually, running_subsystem, service_env, until

PROVINCE = "js"
CONTACTS = 200


async def post_contacts(gateway, count: int, batch: str, accepted: list[str]) -> None:
    """A steady stream: ten contacts at a time, a few dozen a second, recording each accepted id."""

    async def post(n: int) -> None:
        response = await gateway.post(
            "/v1/contacts/web",
            json={"phone": "13512345678", "type": "query", "description": f"账单查询 {batch} #{n}"},
        )
        assert response.status_code == 202, response.text
        accepted.append(response.json()["id"])

    for start in range(0, count, 10):
        await asyncio.gather(*(post(n) for n in range(start, min(start + 10, count))))
        await asyncio.sleep(0.05)


async def test_killing_intake_mid_stream_stores_every_accepted_contact_exactly_once(stack, tmp_path):
    batch = uuid4().hex
    intake = ServiceProcess("intake", service_env(stack, PROVINCE, "intake"), tmp_path / "intake.log")
    store = AsyncMongoClient(stack.mongodb_uri, tz_aware=True)
    work_orders = store[database_name(PROVINCE, "intake")]["work_orders"]
    try:
        await intake.start()
        async with (
            running_subsystem(stack, PROVINCE, services=["gateway"]) as subsystem,
            Tap(stack, Topics(PROVINCE).workorders) as announced,
        ):
            accepted: list[str] = []
            stream = asyncio.create_task(post_contacts(subsystem.gateway, CONTACTS, batch, accepted))
            await until(lambda: len(accepted) >= CONTACTS // 3)
            intake.kill()
            await until(lambda: len(accepted) >= 2 * CONTACTS // 3)
            await intake.start()
            await stream
            assert len(accepted) == CONTACTS

            waiting = [work_order_id_for(contact_id) for contact_id in accepted]

            async def all_stored():
                # Lookups by id: a filter on another field makes FerretDB scan the whole collection.
                while waiting and await work_orders.find_one({"_id": waiting[0]}, {"_id": 1}):
                    waiting.pop(0)
                return not waiting

            await eventually(all_stored, timeout=120, every=0.5)
            per_contact = {}
            async for order in work_orders.find({"contact_id": {"$in": accepted}}, {"contact_id": 1}):
                per_contact[order["contact_id"]] = per_contact.get(order["contact_id"], 0) + 1
            assert per_contact == dict.fromkeys(accepted, 1)

            expected = {work_order_id_for(contact_id).encode() for contact_id in accepted}

            def every_work_order_announced(_record) -> bool:
                subjects = {dict(record.headers).get("ce_subject") for record in announced.records}
                return expected <= subjects

            await announced.find(every_work_order_announced, timeout=60)
    finally:
        intake.stop()
        await store.close()
