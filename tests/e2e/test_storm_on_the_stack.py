"""On the real stack: neighbours reporting one outage become one incident, dispatched once; each
reporter is texted the incident's number and its result; a fault in a customer's own wiring is answered
and never dispatched (issue: intake in depth, storms)."""

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import uuid4

from contracts.ids import work_order_id_for
from contracts.topics import Topics
from deploy.local.credentials import local_keys
from deploy.local.watch import SmsInbox
from tests.support.running import Tap, eventually, running_subsystem

PROVINCE = "sn"
TOPICS = Topics(PROVINCE)
NEIGHBOURS = ["13991012341", "13991012342", "13991012343"]
OWN_WIRING = "13991012349"
AREAS = {
    "province": PROVINCE,
    "areas": [
        {
            "code": "xa-beilin",
            "name": "碑林供电区",
            "city": "西安市",
            "kind": "urban",
            "address_prefixes": ["西安市碑林区"],
        }
    ],
}


def texts_to(inbox: SmsInbox, phone: str) -> list[str]:
    return [sms.text for sms in inbox.received() if sms.to.endswith(phone)]


async def texted(inbox: SmsInbox, phone: str, fragment: str) -> str:
    async def probe() -> str | None:
        return next((text for text in texts_to(inbox, phone) if fragment in text), None)

    return await eventually(probe, timeout=60)


async def test_neighbours_reporting_one_outage_are_one_incident_dispatched_once_and_each_hears_the_result(
    stack, tmp_path: Path
):
    inbox = SmsInbox(stack.fakesmsc_log)
    areas = tmp_path / "areas.json"
    areas.write_text(json.dumps(AREAS), encoding="utf-8")
    street = f"西安市碑林区南大街 {uuid4().hex[:6]} 号"
    async with (
        running_subsystem(stack, PROVINCE, settings={"AREAS_PATH": str(areas)}) as subsystem,
        Tap(stack, TOPICS.department("repair")) as repair_desk,
    ):
        gateway = subsystem.gateway
        contact_ids = []
        for phone in NEIGHBOURS:
            accepted = await gateway.post(
                "/v1/contacts/web",
                json={
                    "phone": phone,
                    "type": "fault_repair",
                    "category": "no_power",
                    "description": "整栋楼停电",
                    "address": street,
                },
            )
            assert accepted.status_code == 202
            contact_ids.append(accepted.json()["id"])
            # One after another, as neighbours call: the first opens the incident, the rest join it.
            if len(contact_ids) == 1:
                incident = work_order_id_for(contact_ids[0])
                dispatched = await repair_desk.find_event(incident, "hotline.workorder.dispatched.v1")

        own = await gateway.post(
            "/v1/contacts/web",
            json={
                "phone": OWN_WIRING,
                "type": "fault_repair",
                "category": "own_equipment",
                "description": "家里插座跳闸",
                "address": street,
            },
        )
        supervisor = {"Authorization": f"Bearer {local_keys()[f'{PROVINCE}.supervisor']}"}

        async def counted() -> dict[str, Any] | None:
            answer = await gateway.get(f"/v1/work-orders/{incident}", headers=supervisor)
            body = answer.json()
            shown = answer.status_code == 200 and (body.get("incident") or {}).get("reporters") == 3
            return body if shown else None

        case = await eventually(counted, timeout=60)
        assert case["status"] == "dispatched"
        for phone in NEIGHBOURS[1:]:
            assert "无需重复报修" in await texted(inbox, phone, incident)

        reply = await gateway.post(
            "/v1/departments/repair/replies",
            json={
                "work_order_id": incident,
                "dispatch_id": dispatched.data.dispatch_id,
                "kind": "final",
                "message": "线路故障已排除，已恢复供电",
            },
        )
        assert reply.status_code == 202
        for phone in NEIGHBOURS:
            await texted(inbox, phone, "已恢复供电")
        answered = work_order_id_for(own.json()["id"])
        assert answered in await texted(inbox, OWN_WIRING, "有偿")

        await repair_desk.poll()
        dispatches = [
            r
            for r in repair_desk.records
            if dict(r.headers).get("ce_type") == b"hotline.workorder.dispatched.v1"
        ]
        sent_for = {r.key.decode() for r in dispatches}
        assert incident in sent_for
        assert not sent_for & ({work_order_id_for(c) for c in contact_ids[1:]} | {answered}), (
            "dispatched once"
        )
        for phone in NEIGHBOURS:
            assert len([t for t in texts_to(inbox, phone) if "已恢复供电" in t]) == 1, "one result text each"


async def test_a_fault_report_during_a_registered_outage_is_texted_its_cause_and_never_dispatched(
    stack, tmp_path: Path
):
    inbox = SmsInbox(stack.fakesmsc_log)
    areas = tmp_path / "areas.json"
    areas.write_text(json.dumps(AREAS), encoding="utf-8")
    outage_id = f"OMS-{uuid4().hex[:10]}"
    now = datetime.now(UTC)
    notice = {
        "outage_id": outage_id,
        "kind": "unplanned",
        "areas": ["xa-beilin"],
        "cause": "10千伏线路故障抢修",
        "starts_at": (now - timedelta(minutes=5)).isoformat(),
        "expected_restoration_at": (now + timedelta(hours=2)).isoformat(),
    }
    supervisor = {"Authorization": f"Bearer {local_keys()[f'{PROVINCE}.supervisor']}"}
    async with (
        running_subsystem(stack, PROVINCE, settings={"AREAS_PATH": str(areas)}) as subsystem,
        Tap(stack, TOPICS.department("repair")) as repair_desk,
        Tap(stack, TOPICS.outages) as outages,
    ):
        gateway = subsystem.gateway
        assert (await gateway.post("/v1/outages", json=notice, headers=supervisor)).status_code == 202
        await outages.find_event(outage_id, "hotline.outage.registered.v1")

        known = subsystem.database("intake")["outages"]

        async def taken_by_intake() -> object:
            return await known.find_one({"_id": outage_id})

        await eventually(taken_by_intake, timeout=60)
        phone = f"139{uuid4().int % 10**8:08d}"
        accepted = await gateway.post(
            "/v1/contacts/web",
            json={
                "phone": phone,
                "type": "fault_repair",
                "category": "no_power",
                "description": "突然停电",
                "address": f"西安市碑林区东大街 {uuid4().hex[:6]} 号",
            },
        )
        answered = work_order_id_for(accepted.json()["id"])
        text = await texted(inbox, phone, "10千伏线路故障抢修")
        assert answered in text
        assert "预计" in text
        await repair_desk.poll()
        dispatched = {r.key.decode() for r in repair_desk.records}
        assert answered not in dispatched, "answered, not dispatched"
        listed = await gateway.get("/v1/outages", headers=supervisor)
        assert outage_id in [o["outage_id"] for o in listed.json()["outages"]]
