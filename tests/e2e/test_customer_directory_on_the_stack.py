"""On the real stack: billing loads customers through the gateway (one profile, then a CSV export), and a
contact from a loaded number becomes a work order at the customer's tier, in the supply area its address
lies in, whose priority travels with it to the department (issue: intake in depth, customers and tiers,
areas)."""

import json
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

import httpx

from contracts.ids import work_order_id_for
from contracts.topics import Topics
from deploy.local.credentials import local_keys
from services.gateway.customer_import import COLUMNS
from services.intake.domain.areas import DEFAULT_AREAS
from tests.support.running import Tap, eventually, running_subsystem

PROVINCE = "cq"


def as_(principal: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {local_keys()[principal]}"}


def a_mobile() -> str:
    return f"139{uuid4().int % 10**8:08d}"


async def case_file(
    gateway: httpx.AsyncClient, contact: dict[str, Any], province: str = PROVINCE
) -> dict[str, Any]:
    """The case file of the work order `contact` opens, once the gateway has it, read by the province's
    agent."""
    accepted = await gateway.post("/v1/contacts/web", json=contact)
    path, agent = f"/v1/work-orders/{work_order_id_for(accepted.json()['id'])}", as_(f"{province}.agent")

    async def read() -> dict[str, Any] | None:
        answer = await gateway.get(path, headers=agent)
        return answer.json() if answer.status_code == 200 and answer.json()["created_at"] else None

    return await eventually(read, timeout=30)


async def first_work_order_at(gateway: httpx.AsyncClient, phone: str, priority: int) -> dict[str, Any]:
    """Ask questions from `phone` until intake serves it at `priority` (the profile reaches intake on its
    own topic, so the first contacts may come before it), then report one fault. Questions, because a
    second fault report of the same kind would be a repeat, linked to the first instead of opening its
    own work order."""

    async def known() -> dict[str, Any] | None:
        question = {"phone": phone, "type": "query", "category": "bill", "description": "电费怎么算"}
        body = await case_file(gateway, question)
        return body if body["customer"]["priority"] == priority else None

    await eventually(known, timeout=60, every=0.5)
    # One customer's fault: it opens its own work order (an outage would gather reports into one incident).
    fault = {
        "phone": phone,
        "type": "fault_repair",
        "category": "meter_fault",
        "address": "广州市番禺区市桥街 8 号",
        "description": f"电表不走字 {uuid4().hex}",
    }
    return await case_file(gateway, fault)


async def test_customers_loaded_by_billing_are_served_at_their_tier_in_their_area(stack, tmp_path):
    areas = json.loads((DEFAULT_AREAS / "gd.json").read_text()) | {"province": PROVINCE}
    (tmp_path / "areas.json").write_text(json.dumps(areas))
    vip_phone, high_phone, unknown_phone = a_mobile(), a_mobile(), a_mobile()
    account = f"50{uuid4().int % 10**10:010d}"
    changed = datetime.now(UTC).isoformat()
    export = "\n".join(
        [
            ",".join(COLUMNS),
            f"{account}9,某某医院,{vip_phone},business,,80,2022-01-01,600,yes,no,{changed}",
            f"{account}8,,not-a-number,resident,,80,2022-01-01,600,no,no,{changed}",
        ]
    )
    high = {
        "account_number": account,
        "updated_at": changed,
        "name": "王五",
        "phones": [high_phone],
        "monthly_spend": 680.0,
        "customer_since": "2016-09-01",
        "credit_score": 850,
    }
    async with (
        running_subsystem(
            stack,
            PROVINCE,
            services=["gateway", "intake", "dispatch"],
            settings={"AREAS_PATH": str(tmp_path / "areas.json")},
        ) as subsystem,
        Tap(stack, Topics(PROVINCE).department("repair")) as repair_desk,
        Tap(stack, Topics(PROVINCE).workorders) as workorders,
    ):
        gateway, billing = subsystem.gateway, as_(f"{PROVINCE}.billing")
        put = await gateway.post("/v1/customer-profiles", json=high, headers=billing)
        imported = await gateway.post(
            "/v1/customer-imports", content=export.encode(), headers=billing | {"Content-Type": "text/csv"}
        )
        high_order = await first_work_order_at(gateway, high_phone, priority=1)
        vip_order = await first_work_order_at(gateway, vip_phone, priority=1)
        unknown_order = await first_work_order_at(gateway, unknown_phone, priority=3)
        dispatched = await repair_desk.find_event(
            vip_order["work_order_id"], "hotline.workorder.dispatched.v1"
        )
        created = await workorders.find_event(high_order["work_order_id"], "hotline.workorder.created.v1")
    assert put.status_code == 202
    assert (imported.json()["loaded"], [r["line"] for r in imported.json()["rejected"]]) == (1, [3])
    assert (high_order["customer"]["tier"], high_order["account_number"]) == ("high", account)
    assert (vip_order["customer"]["tier"], vip_order["account_number"]) == ("normal", f"{account}9")
    assert (unknown_order["customer"]["tier"], unknown_order["account_number"]) == ("normal", None)
    assert (created.data.area.code, created.data.area.kind) == ("gz-panyu", "suburban")
    customer = dispatched.data.customer
    assert (customer.red_list, customer.kind, customer.priority) == (True, "business", 1)
