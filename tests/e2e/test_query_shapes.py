"""Every query the services send to the store while a contact travels through them, and while their timers
tick, is one that an index they declared serves (issue: lookups that stay flat at a million records);
the stored upgrades' scans at start run once each."""

from datetime import UTC, datetime
from uuid import uuid4

from contracts.ids import work_order_id_for
from contracts.topics import Topics
from deploy.local.credentials import local_keys
from services.dispatch.adapters import OLDER_SCHEMAS
from services.gateway.list_store import DUE_BY_THE_HOUR, UNLISTED, UNREQUESTED
from tests.support.query_shapes import recording_queries
from tests.support.running import DATABASE_PREFIX, Tap, eventually, running_subsystem, until

PROVINCE = "gs"
TOPICS = Topics(PROVINCE)
# Timers tick often, so their queries are seen within the test.
FAST_TIMERS = {"SMS_RETRY_SECONDS": "1.5", "OUTBOX_SWEEP_SECONDS": "0.5"}


async def test_every_query_of_a_journey_and_of_the_timers_is_an_indexed_equality(stack):
    with recording_queries(f"{DATABASE_PREFIX}_{PROVINCE}_") as shapes:
        async with (
            running_subsystem(stack, PROVINCE, settings=FAST_TIMERS) as subsystem,
            Tap(stack, TOPICS.department("business")) as business_desk,
            Tap(stack, TOPICS.followups) as followups,
        ):
            billing = {"Authorization": f"Bearer {local_keys()[f'{PROVINCE}.billing']}"}
            profile = {
                "account_number": "6201000001",
                "phones": ["13909312345"],
                "customer_since": "2021-01-01",
                "credit_score": 600,
            }

            def customers(command: str) -> int:
                return sum(1 for q in shapes.queries if (q.collection, q.command) == ("customers", command))

            # A new account, then, once intake has looked for it, a change of it (apart, not one batch).
            for spend, stored in (
                (90, lambda: customers("find") >= 1),
                (95, lambda: customers("update") >= 1),
            ):
                changed = {"monthly_spend": spend, "updated_at": datetime.now(UTC).isoformat()}
                posted = await subsystem.gateway.post(
                    "/v1/customer-profiles", json=profile | changed, headers=billing
                )
                assert posted.status_code == 202
                await until(stored, timeout=30)
            accepted = await subsystem.gateway.post(
                "/v1/contacts/web",
                json={
                    "phone": "13909312345",
                    "type": "complaint",
                    "category": "billing",
                    "description": f"电费偏高 {uuid4().hex}",
                },
            )
            work_order_id = work_order_id_for(accepted.json()["id"])
            dispatched = await business_desk.find_event(work_order_id, "hotline.workorder.dispatched.v1")
            reply = await subsystem.gateway.post(
                "/v1/departments/business/replies",
                json={
                    "work_order_id": work_order_id,
                    "dispatch_id": dispatched.data.dispatch_id,
                    "kind": "final",
                    "message": "已核实退费",
                    "responder": "营业厅 刘工",
                },
            )
            assert reply.status_code == 202
            minute = datetime.now(UTC).strftime("%Y-%m-%dT%H:%MZ")
            audit = await subsystem.gateway.get("/v1/audit", params={"from": minute, "minutes": 1})
            by_principal = await subsystem.gateway.get(
                "/v1/audit", params={"from": minute, "principal": f"{PROVINCE}.channel.web"}
            )
            assert (audit.status_code, by_principal.status_code) == (200, 200)
            # The desk: a contact that lacks its category waits in the desk's queue (no roster here)
            # until an agent supplies it.
            agent = {"Authorization": f"Bearer {local_keys()[f'{PROVINCE}.agent']}"}
            lacking = await subsystem.gateway.post(
                "/v1/contacts/web", json={"phone": "13909312345", "type": "complaint", "description": "电费"}
            )
            waiting_id = work_order_id_for(lacking.json()["id"])

            async def on_the_desks_list() -> bool:
                listed = await subsystem.gateway.get(
                    "/v1/owners/desk/work-orders", params={"needs_info": "true"}, headers=agent
                )
                return waiting_id in {w["work_order_id"] for w in listed.json()["work_orders"]}

            await eventually(on_the_desks_list, timeout=30)
            everything = await subsystem.gateway.get("/v1/owners/desk/work-orders", headers=agent)
            assert everything.status_code == 200
            supplied = await subsystem.gateway.post(
                f"/v1/work-orders/{waiting_id}/info", json={"category": "tariff"}, headers=agent
            )
            assert supplied.status_code == 202
            await business_desk.find_event(waiting_id, "hotline.workorder.dispatched.v1")
            # The lists: the business department's, by status, overdue, due soon, and the handover view.
            supervisor = {"Authorization": f"Bearer {local_keys()[f'{PROVINCE}.supervisor']}"}

            async def on_the_business_list() -> bool:
                listed = await subsystem.gateway.get(
                    "/v1/work-orders", params={"department": "business"}, headers=supervisor
                )
                found = [w for w in listed.json()["work_orders"] if w["work_order_id"] == waiting_id]
                # With the clocks its dispatch started, as dispatch's event told them.
                return bool(found) and bool(found[0]["clocks"]) and found[0]["next_due_at"] is not None

            await eventually(on_the_business_list, timeout=30)
            # Open311's public reads: its list by the hour requested, and one request by its id.
            for path in ("/open311/v2/requests.json", f"/open311/v2/requests/{waiting_id}.json"):
                read = await subsystem.gateway.get(path)
                assert read.status_code == 200, read.text
            for params in (
                {"status": "dispatched", "type": "complaint"},
                {"overdue": "true"},
                {"due_within_minutes": "600", "department": "business"},
            ):
                listed = await subsystem.gateway.get("/v1/work-orders", params=params, headers=supervisor)
                assert listed.status_code == 200, listed.text
            handover = await subsystem.gateway.get(
                "/v1/handover", params={"department": "business"}, headers=supervisor
            )
            assert handover.status_code == 200, handover.text
            await followups.find_event(work_order_id, "hotline.followup.scheduled.v1")

            def timers_ticked() -> bool:
                filters = {key for query in shapes.queries for key in query.filter}
                return {"has_outbox", "next_attempt_minute", "status"} <= filters

            await until(timers_ticked, timeout=30)

    collections = {query.collection for query in shapes.queries}
    assert {"work_orders", "dispatches", "notifications", "follow_ups", "audit"} <= collections
    assert {"customers", "customer_phones", "case_files", "case_files_lists"} <= collections
    # The stored upgrades' one pass each (plumbing/stored_upgrades.py): allowed once per store.
    upgrades = [OLDER_SCHEMAS, UNLISTED, DUE_BY_THE_HOUR, UNREQUESTED]
    assert sorted(q.collection for q in shapes.queries if q.filter in upgrades) == [
        "case_files",
        "case_files",
        "case_files",
        "dispatches",
    ]
    # Intake's daily refresh of every standing reads the directory's numbers whole, once a day.
    refresh = [q for q in shapes.queries if q.collection == "customer_phones" and not q.filter]
    assert len(refresh) == 1
    assert shapes.problems(once=upgrades, daily_scans=["customer_phones"]) == []
