"""On the real stack: a complaint answered and closed is reopened by the agent after the customer says
it is not solved. The department gets a new form, qa cancels the visit planned for the first answer,
and intake holds the work order open again, so the customer's next call about it is a repeat of it."""

from uuid import uuid4

from contracts.ids import follow_up_id_for, work_order_id_for
from contracts.topics import Topics
from deploy.local.callers import signed_as
from tests.support.running import Tap, eventually, running_subsystem

PROVINCE = "jx"
TOPICS = Topics(PROVINCE)
SUPERVISOR = signed_as(f"{PROVINCE}.supervisor")


async def test_a_reopened_complaint_goes_back_to_its_department_and_its_first_visit_is_cancelled(stack):
    async with (
        running_subsystem(stack, PROVINCE, services=["gateway", "intake", "dispatch", "qa"]) as subsystem,
        Tap(stack, TOPICS.department("business")) as business_desk,
        Tap(stack, TOPICS.followups) as followups,
    ):
        gateway = subsystem.gateway
        complaint = {
            "phone": "13907912345",
            "customer_name": "刘女士",
            "type": "complaint",
            "category": "billing",
            "description": f"电费比上月高出一倍 {uuid4().hex}",
        }
        accepted = await gateway.post("/v1/contacts/web", json=complaint)
        assert accepted.status_code == 202, accepted.text
        work_order_id = work_order_id_for(accepted.json()["id"])
        dispatched = await business_desk.find_event(work_order_id, "hotline.workorder.dispatched.v1")
        reply = {
            "work_order_id": work_order_id,
            "dispatch_id": dispatched.data.dispatch_id,
            "kind": "final",
            "message": "已核实，系抄表错误",
        }
        assert (await gateway.post("/v1/departments/business/replies", json=reply)).status_code == 202
        scheduled = await followups.find_event(work_order_id, "hotline.followup.scheduled.v1")
        assert scheduled.data.follow_up_id == follow_up_id_for(work_order_id)

        async def the_gateway_knows(state: str) -> bool | None:
            read = await gateway.get(f"/v1/work-orders/{work_order_id}", headers=SUPERVISOR)
            return True if read.json().get("dispatch_state") == state else None

        await eventually(lambda: the_gateway_knows("resolved"))
        path = f"/v1/work-orders/{work_order_id}/dispatch-actions"
        closing = await gateway.post(
            path, json={"action": "close", "reason": "已电话告知客户"}, headers=SUPERVISOR
        )
        assert closing.status_code == 202, closing.text
        await eventually(lambda: the_gateway_knows("closed"))
        reasons = {"action": "reopen", "reason": "客户表示电费仍未退还"}
        reopening = await gateway.post(path, json=reasons, headers=SUPERVISOR)
        assert reopening.status_code == 202, reopening.text

        reopened = await business_desk.find_event(work_order_id, "hotline.workorder.reopened.v1")
        assert (reopened.data.form, reopened.data.previous_dispatch_id) == (2, dispatched.data.dispatch_id)
        cancelled = await followups.find_event(work_order_id, "hotline.followup.cancelled.v1")
        assert cancelled.data.reason == "reopened: 客户表示电费仍未退还"

        async def open_again_at_intake() -> dict[str, object] | None:
            return await subsystem.database("intake")["work_orders"].find_one(
                {"_id": work_order_id, "status": "open"}
            )

        assert await eventually(open_again_at_intake)
