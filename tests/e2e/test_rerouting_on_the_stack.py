"""On the real stack: a department returns a work order as not its own and the routing table's next
department has it on its topic at once; when that one returns it too, no department is left, and the
work order waits on the province supervisor's queue, returned, until the supervisor names where it goes;
a department the routing table does not name is refused at the gateway."""

import json
from uuid import uuid4

from contracts.ids import work_order_id_for
from contracts.topics import Topics
from deploy.local.callers import signed_as
from tests.support.running import Tap, eventually, running_subsystem

PROVINCE = "jl"
TOPICS = Topics(PROVINCE)
# Billing complaints to the billing office first; any complaint the business hall takes.
ROUTING = {
    "rules": [
        {"type": "complaint", "categories": ["billing"], "department": "billing"},
        {"type": "complaint", "department": "business"},
    ],
    "default": {"department": "experts"},
}


def as_(principal: str) -> dict[str, str]:
    return signed_as(f"{PROVINCE}.{principal}")


async def test_a_return_as_not_its_own_is_re_routed_and_one_no_department_takes_waits_for_the_supervisor(
    stack, tmp_path
):
    table = tmp_path / "routing.json"
    table.write_text(json.dumps(ROUTING))
    async with (
        running_subsystem(
            stack,
            PROVINCE,
            services=["gateway", "intake", "dispatch"],
            settings={"DISPATCH_RULES_PATH": str(table)},
        ) as subsystem,
        Tap(stack, TOPICS.department("billing")) as billing_desk,
        Tap(stack, TOPICS.department("business")) as business_desk,
    ):
        gateway = subsystem.gateway
        accepted = await gateway.post(
            "/v1/contacts/web",
            json={
                "phone": "13904312345",
                "type": "complaint",
                "category": "billing",
                "description": f"营业厅办理业务态度差 {uuid4().hex}",
            },
        )
        assert accepted.status_code == 202, accepted.text
        work_order_id = work_order_id_for(accepted.json()["id"])
        first = await billing_desk.find_event(work_order_id, "hotline.workorder.dispatched.v1")

        async def returned_by(department: str, dispatch_id: str) -> None:
            answer = await gateway.post(
                f"/v1/departments/{department}/actions",
                json={
                    "work_order_id": work_order_id,
                    "dispatch_id": dispatch_id,
                    "action": "return",
                    "reason": "wrong_department",
                    "message": "非本部门业务",
                },
                headers=as_(f"department.{department}"),
            )
            assert answer.status_code == 202, answer.text

        await returned_by("billing", first.data.dispatch_id)
        sent_on = await business_desk.find_event(work_order_id, "hotline.workorder.redispatched.v1")
        assert (sent_on.data.previous_department, sent_on.data.form, sent_on.data.by) == (
            "billing",
            2,
            "dispatch",
        )

        async def shown() -> dict[str, object] | None:
            read = await gateway.get(f"/v1/work-orders/{work_order_id}", headers=as_("supervisor"))
            body = read.json()
            return (
                body
                if read.status_code == 200 and body["dispatches"][-1]["department"] == "business"
                else None
            )

        await eventually(shown)  # the gateway knows the second form before business acts on it
        await returned_by("business", sent_on.data.dispatch_id)

        async def on_the_queue() -> list[str] | None:
            queue = await gateway.get(
                "/v1/work-orders", params={"escalated": "true"}, headers=as_("supervisor")
            )
            assert queue.status_code == 200, queue.text
            listed = [item["work_order_id"] for item in queue.json()["work_orders"]]
            return listed if work_order_id in listed else None

        await eventually(on_the_queue, timeout=30)
        read = await gateway.get(f"/v1/work-orders/{work_order_id}", headers=as_("supervisor"))
        body = read.json()
        assert (body["dispatch_state"], body["escalated"]) == ("returned", True)
        steps = [step["step"] for step in body["steps"]]
        assert steps[-4:] == ["returned", "redispatched", "returned", "escalated"], steps

        # Dispatch announced its table when it started: a department it does not name is refused at once.
        asked = {"action": "redispatch", "reason": "转营销部处理"}
        path = f"/v1/work-orders/{work_order_id}/dispatch-actions"
        unknown = await gateway.post(
            path, json=asked | {"department": "marketing"}, headers=as_("supervisor")
        )
        assert unknown.status_code == 422, unknown.text
        assert "it names billing, business, experts" in unknown.json()["detail"]
        named = await gateway.post(path, json=asked | {"department": "experts"}, headers=as_("supervisor"))
        assert named.status_code == 202, named.text
