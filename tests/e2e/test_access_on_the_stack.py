"""On the real stack: a department may answer only the dispatches sent to it, and every call, accepted or
refused, is in the province's audit trail for its auditor (issue: access control, privacy and audit)."""

from datetime import UTC, datetime, timedelta
from uuid import uuid4

from contracts.ids import work_order_id_for
from contracts.topics import Topics
from deploy.local.callers import signed_as
from deploy.local.credentials import local_keys
from tests.support.running import FAULT, Tap, eventually, running_subsystem

PROVINCE = "ln"


async def test_another_departments_reply_is_refused_and_the_auditor_sees_every_call(stack):
    began = datetime.now(UTC)
    async with (
        running_subsystem(stack, PROVINCE, services=["gateway", "intake", "dispatch"]) as subsystem,
        Tap(stack, Topics(PROVINCE).department("repair")) as repair_desk,
    ):
        gateway = subsystem.gateway
        accepted = await gateway.post(
            "/v1/contacts/web",
            json={
                "phone": "13904112345",
                "type": "fault_repair",
                **FAULT,
                "description": f"停电 {uuid4().hex}",
            },
        )
        work_order_id = work_order_id_for(accepted.json()["id"])
        dispatched = await repair_desk.find_event(work_order_id, "hotline.workorder.dispatched.v1")
        reply = {
            "work_order_id": work_order_id,
            "dispatch_id": dispatched.data.dispatch_id,
            "kind": "final",
            "message": "已修复",
        }
        billing = {"Authorization": f"Bearer {local_keys()[f'{PROVINCE}.department.billing']}"}
        forged = await gateway.post("/v1/departments/billing/replies", json=reply, headers=billing)
        guessed = await gateway.post(
            "/v1/departments/billing/replies", json=reply | {"dispatch_id": "WO-NONE-D1"}, headers=billing
        )
        answered = await gateway.post("/v1/departments/repair/replies", json=reply)
        assert (forged.status_code, guessed.status_code, answered.status_code) == (403, 404, 202)

        async def trail() -> list[dict[str, object]] | None:
            minute = began.strftime("%Y-%m-%dT%H:%MZ")
            # Every minute from the one it began in, the one it is now included.
            first = began.replace(second=0, microsecond=0)
            span = int((datetime.now(UTC) - first) / timedelta(minutes=1)) + 1
            page = await gateway.get("/v1/audit", params={"from": minute, "minutes": span})
            records = [r for r in page.json()["records"] if r["action"] != "audit.read"]
            return records if len(records) >= 5 else None

        records = await eventually(trail, timeout=30)
    calls = [(r["principal_id"], r["action"], r["status"]) for r in records]
    assert calls == [
        (f"{PROVINCE}.channel.web", "contact.post", 202),
        (f"{PROVINCE}.department.billing", "reply.post", 403),
        (f"{PROVINCE}.department.billing", "reply.post", 404),
        (f"{PROVINCE}.department.repair", "token.issue", 200),  # it calls with an OAuth2 token
        (f"{PROVINCE}.department.repair", "reply.post", 202),
    ]
    assert records[1]["detail"] == "this dispatch was sent to another department"
    assert records[4]["token_id"] == records[3]["resource"], "the reply carried the token issued"


async def test_readers_see_a_work_order_as_their_role_may_and_a_customer_learns_its_status(stack):
    province, phone = "jl", "13904312345"
    async with running_subsystem(stack, province, services=["gateway", "intake", "dispatch"]) as subsystem:
        gateway = subsystem.gateway
        accepted = await gateway.post(
            "/v1/contacts/web",
            json={
                "phone": phone,
                "customer_name": "李四",
                "address": "长春市朝阳区人民大街 1 号",
                "type": "fault_repair",
                "category": "no_power",
                "description": f"停电 {uuid4().hex}",
            },
        )
        work_order_id = work_order_id_for(accepted.json()["id"])
        path = f"/v1/work-orders/{work_order_id}"

        async def dispatched() -> dict[str, object] | None:
            """Once the gateway has both events: until intake's is in, the customer counts as sealed."""
            answer = await gateway.get(path, headers=signed_as(f"{province}.agent"))
            if answer.status_code != 200:
                return None
            body = answer.json()
            return body if body["dispatches"] and body["created_at"] else None

        agent = await eventually(dispatched, timeout=30)
        supervisor = (await gateway.get(path, headers=signed_as(f"{province}.supervisor"))).json()
        repair = await gateway.get(path, headers=signed_as(f"{province}.department.repair"))
        billing = await gateway.get(path, headers=signed_as(f"{province}.department.billing"))
        elsewhere = await gateway.get(path, headers=signed_as("ln.agent"))
        status = await gateway.post(
            "/v1/public/work-order-status", json={"work_order_id": work_order_id, "phone": phone}
        )
    assert (agent["customer"]["phone"], agent["status"]) == ("+8613904312345", "dispatched")
    assert (supervisor["customer"]["name"], supervisor["customer"]["phone"]) == ("李*", "139****2345")
    assert [d["department"] for d in repair.json()["dispatches"]] == ["repair"]
    assert (billing.status_code, elsewhere.status_code) == (404, 404), "never the record"
    assert (status.status_code, status.json()["status"]) == (200, "dispatched")
