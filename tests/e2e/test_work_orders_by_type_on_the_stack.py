"""On the real stack: a complaint posted without the business it is about waits in needs_info for the
desk's agent on duty, a supervisor hands it to another agent, that agent finds it on their list and
supplies the category through the gateway, and only then is it dispatched (issue: intake in depth, work
orders by type, first-contact ownership)."""

import json
from pathlib import Path
from typing import Any
from uuid import uuid4

from contracts.ids import work_order_id_for
from contracts.topics import Topics
from deploy.local.credentials import local_keys
from tests.support.running import Tap, eventually, running_subsystem

PROVINCE = "nx"
AGENT = f"{PROVINCE}.agent"
ON_DUTY = f"{PROVINCE}.agent.on-duty"  # the roster's agent, away from the desk


def as_(principal: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {local_keys()[principal]}"}


async def test_a_complaint_without_its_business_waits_for_its_owner_and_is_dispatched_once_supplied(
    stack, tmp_path: Path
):
    roster = tmp_path / "roster.json"
    always = [{"start": "00:00", "end": "00:00"}]  # overnight into itself: all day, every day
    roster.write_text(json.dumps({"province": PROVINCE, "agents": [{"id": ON_DUTY, "shifts": always}]}))
    settings = {"DUTY_ROSTER_PATH": str(roster)}
    async with (
        running_subsystem(stack, PROVINCE, settings=settings) as subsystem,
        Tap(stack, Topics(PROVINCE).department("business")) as business_desk,
    ):
        gateway = subsystem.gateway
        accepted = await gateway.post(
            "/v1/contacts/web",
            json={"phone": "13909512345", "type": "complaint", "description": f"电费偏高 {uuid4().hex}"},
        )
        work_order_id = work_order_id_for(accepted.json()["id"])
        supervisor = as_(f"{PROVINCE}.supervisor")

        async def read(status: str) -> dict[str, Any] | None:
            answer = await gateway.get(f"/v1/work-orders/{work_order_id}", headers=supervisor)
            body = answer.json()
            return body if answer.status_code == 200 and body["status"] == status else None

        opened = await eventually(lambda: read("needs_info"), timeout=30)
        assert opened["owner"] == ON_DUTY
        handed = await gateway.post(
            f"/v1/work-orders/{work_order_id}/owner",
            json={"to": AGENT, "reason": "坐席离席，转交值班长"},
            headers=supervisor,
        )
        assert handed.status_code == 202
        waiting_list = f"/v1/owners/{AGENT}/work-orders"

        async def listed() -> dict[str, Any] | None:
            answer = await gateway.get(waiting_list, params={"needs_info": "true"}, headers=as_(AGENT))
            mine = [w for w in answer.json()["work_orders"] if w["work_order_id"] == work_order_id]
            return mine[0] if mine else None

        waiting = await eventually(listed, timeout=30)
        assert (waiting["status"], waiting["owner"]) == ("needs_info", AGENT)
        assert [m["name"] for m in waiting["missing"]] == ["category"]

        supplied = await gateway.post(
            f"/v1/work-orders/{work_order_id}/info", json={"category": "billing"}, headers=as_(AGENT)
        )
        assert supplied.status_code == 202
        await business_desk.find_event(work_order_id, "hotline.workorder.dispatched.v1")

        async def complete_and_dispatched() -> dict[str, Any] | None:
            # The dispatch and intake's completed work order reach the gateway on two topics, read apart:
            # either may show first.
            body = await read("dispatched")
            return body if body is not None and body["category"] == "billing" else None

        dispatched = await eventually(complete_and_dispatched, timeout=30)
        assert (dispatched["category"], dispatched["owner"], dispatched["missing"]) == ("billing", AGENT, [])
        assert await listed() is None, "off the list of those waiting for fields"
        again = await gateway.post(
            f"/v1/work-orders/{work_order_id}/info", json={"category": "tariff"}, headers=as_(AGENT)
        )
        assert again.status_code == 409
