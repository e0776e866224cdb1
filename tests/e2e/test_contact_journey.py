"""A contact travels gateway -> intake -> dispatch -> department -> dispatch -> notify (SMS) -> qa."""

from uuid import uuid4

from contracts.ids import work_order_id_for
from contracts.topics import Topics
from deploy.local.watch import SmsInbox
from tests.support.running import Tap, eventually, running_subsystem

PROVINCE = "hn"
TOPICS = Topics(PROVINCE)


async def test_a_web_complaint_is_dispatched_answered_texted_and_followed_up(stack):
    inbox = SmsInbox(stack.fakesmsc_log)
    async with (
        running_subsystem(stack, PROVINCE) as subsystem,
        Tap(stack, TOPICS.department("business")) as business_desk,
        Tap(stack, TOPICS.followups) as followups,
    ):
        accepted = await subsystem.gateway.post(
            "/v1/contacts/web",
            json={
                "phone": "13926012345",
                "customer_name": "陈女士",
                "type": "complaint",
                "category": "billing",
                "description": f"本月电费明显偏高，请核实 {uuid4().hex}",
            },
        )
        assert accepted.status_code == 202
        work_order_id = work_order_id_for(accepted.json()["id"])

        dispatched = await business_desk.find_event(work_order_id, "hotline.workorder.dispatched.v1")
        assert dispatched.data.customer.home_region == "Guangzhou, Guangdong"
        accepted_sms = await inbox.find(work_order_id, "已受理", timeout=60)
        assert accepted_sms.to.endswith("13926012345")

        reply = await subsystem.gateway.post(
            "/v1/departments/business/replies",
            json={
                "work_order_id": work_order_id,
                "dispatch_id": dispatched.data.dispatch_id,
                "kind": "final",
                "message": "经核实系抄表错误，已退还多收电费",
                "responder": "营业厅 刘工",
            },
        )
        assert reply.status_code == 202

        await inbox.find(work_order_id, "已办结", timeout=60)
        follow_up = await followups.find_event(work_order_id, "hotline.followup.scheduled.v1")
        assert follow_up.data.rule == "complaint: 100%"

        async def dispatch_resolved():
            return await subsystem.database("dispatch")["dispatches"].find_one(
                {"_id": work_order_id, "state": "resolved"}
            )

        resolved = await eventually(dispatch_resolved)
        assert [entry["action"] for entry in resolved["history"]] == ["dispatched", "final_reply"]
        # The department's clocks stopped with its result; the call centre's answer to the customer runs.
        assert [c["stage"] for c in resolved["clocks"] if c["stopped_at"] is None] == ["customer_reply"]
        stored = await subsystem.database("intake")["work_orders"].find_one({"_id": work_order_id})
        assert stored["type"] == "complaint"
