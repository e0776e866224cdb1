"""Reading work orders through the gateway: each role sees the personal fields it needs, a sealed
reporter stays sealed but for the inspector's explicit unseal, every read is audited with what it
showed, and customers ask after their own work order only with proof."""

import asyncio
import json
from dataclasses import replace
from datetime import timedelta

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from contracts.events import (
    SEALED_PHONE,
    Area,
    AreaKind,
    ReplyKind,
    WorkOrderCreatedV1,
    WorkOrderDispatchedV1,
    WorkOrderType,
)
from deploy.local.callers import signed_as
from deploy.local.credentials import SEAL_KEYS
from services.gateway.case_files import DispatchNote, ReplyNote
from services.gateway.handlers import GatewayHandlers
from services.gateway.privacy import FieldAccess, mask_phone
from services.gateway.seal import Seal, ensure_local
from tests.fake_case_files import OPENED, REPAIR_CASE, InMemoryCaseFiles
from tests.fakes import InMemoryAuditTrail, RecordingPublisher, envelope_of
from tests.unit.test_gateway import app_with

PHONE, NAME = "+8613926012345", "张三丰"
ensure_local(SEAL_KEYS)  # the local gateway's seal, which the tests' gateways unseal with
REPORT_CASE = replace(
    REPAIR_CASE,
    facts=replace(
        REPAIR_CASE.facts,
        work_order_id="WO-2",
        type=WorkOrderType.REPORT,
        anonymous=True,
        # As the gateway sealed it: the number only sealed, the name never kept.
        phone=SEALED_PHONE,
        customer_name=None,
        sealed_reporter=Seal.load(SEAL_KEYS).seal(PHONE),
    ),
    dispatches=(DispatchNote("WO-2-D1", "discipline", OPENED, OPENED + timedelta(days=9)),),
)


async def read(
    principal: str, work_order_id: str = "WO-1", cases=None, publisher=None, unseal: bool = False
) -> httpx.Response:
    app = app_with(publisher or RecordingPublisher(), cases=cases)
    query = "?unseal=true" if unseal else ""
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw") as gateway:
        return await gateway.get(f"/v1/work-orders/{work_order_id}{query}", headers=signed_as(principal))


async def test_an_agent_reads_its_provinces_work_order_in_clear_and_the_read_is_audited_by_field_name():
    publisher = RecordingPublisher()
    answer = await read("gd.agent", publisher=publisher)
    assert answer.status_code == 200
    body = answer.json()
    assert (body["customer"]["phone"], body["customer"]["name"]) == (PHONE, NAME)
    assert (body["status"], body["type"], body["sealed"]) == ("dispatched", "fault_repair", False)
    [record] = publisher.audited
    assert (record.action, record.resource, record.status) == ("workorder.read", "WO-1", 200)
    assert record.shown == [
        "customer.name",
        "customer.phone",
        "customer.home_region",
        "address",
        "account_number",
    ]
    assert PHONE[3:] not in record.model_dump_json(), "the trail names fields, never their values"


async def test_a_supervisor_sees_the_customer_masked():
    body = (await read("gd.supervisor")).json()
    shown = {"name": "张**", "phone": "139****2345", "home_region": "Guangzhou, Guangdong"}
    assert body["customer"] == shown | {"tier": None, "priority": None}
    assert body["account_number"] == "****3456"
    assert body["address"].endswith("****")
    assert "100" not in body["address"]


async def test_a_department_sees_only_its_own_dispatches_and_replies():
    billing = DispatchNote("WO-1-D2", "billing", OPENED, OPENED + timedelta(days=2))
    replies = (
        ReplyNote("WO-1-D1", "repair", ReplyKind.FINAL, "已修复", OPENED, True),
        ReplyNote("WO-1-D2", "billing", ReplyKind.INTERIM, "核查中", OPENED, True),
    )
    case = replace(REPAIR_CASE, dispatches=(*REPAIR_CASE.dispatches, billing), replies=replies)
    body = (await read("gd.department.billing", cases=InMemoryCaseFiles(case))).json()
    assert [d["department"] for d in body["dispatches"]] == ["billing"]
    assert [r["message"] for r in body["replies"]] == ["核查中"]


async def test_an_anonymous_reporter_is_sealed_from_everyone_and_unsealed_only_when_the_inspector_asks():
    cases = InMemoryCaseFiles(REPORT_CASE)
    for reader in ("gd.agent", "gd.supervisor", "gd.department.discipline", "gd.inspector"):
        body = (await read(reader, "WO-2", cases)).json()
        assert body["sealed"] is True
        hidden = {"name": None, "phone": None, "home_region": None, "tier": None, "priority": None}
        assert body["customer"] == hidden, reader
        assert (body["address"], body["account_number"]) == (None, None), reader
    publisher = RecordingPublisher()
    body = (await read("gd.inspector", "WO-2", cases, publisher, unseal=True)).json()
    assert (body["customer"]["phone"], body["customer"]["name"]) == (PHONE, None)
    [record] = publisher.audited
    assert (record.unsealed, record.resource) == (True, "WO-2")
    assert "customer.phone" in record.shown


async def test_a_reporter_sealed_with_a_key_the_gateway_no_longer_holds_is_refused_and_shown_nowhere():
    foreign = Seal.in_memory().seal(PHONE)
    case = replace(REPORT_CASE, facts=replace(REPORT_CASE.facts, sealed_reporter=foreign))
    publisher = RecordingPublisher()
    answer = await read("gd.inspector", "WO-2", InMemoryCaseFiles(case), publisher, unseal=True)
    assert answer.status_code == 500
    assert "no longer holds" in answer.json()["detail"]
    assert PHONE not in answer.text
    [record] = publisher.audited
    assert (record.outcome, record.status, record.unsealed) == ("refused", 500, False)


@pytest.mark.parametrize("reader", ["gd.agent", "gd.supervisor", "gd.department.discipline"])
async def test_a_reader_without_the_sealed_read_scope_asking_to_unseal_is_refused(reader):
    answer = await read(reader, "WO-2", InMemoryCaseFiles(REPORT_CASE), unseal=True)
    assert answer.status_code == 403
    assert "sealed:read" in answer.json()["detail"]


TIANHE = Area(code="gz-tianhe", name="天河供电区", city="广州市", district="天河区", kind=AreaKind.URBAN)


async def test_readers_see_the_supply_area_but_not_where_a_sealed_reporter_lives_unless_they_may_unseal():
    repair = replace(REPAIR_CASE, facts=replace(REPAIR_CASE.facts, area=TIANHE))
    report = replace(REPORT_CASE, facts=replace(REPORT_CASE.facts, area=TIANHE))
    cases = InMemoryCaseFiles(repair, report)
    agent_repair = (await read("gd.agent", "WO-1", cases)).json()
    agent_report = (await read("gd.agent", "WO-2", cases)).json()
    inspector_report = (await read("gd.inspector", "WO-2", cases, unseal=True)).json()
    assert (agent_repair["area"]["code"], agent_repair["area"]["kind"]) == ("gz-tianhe", "urban")
    assert agent_report["area"] is None, "the area is placed by the reporter's own address"
    assert inspector_report["area"]["name"] == "天河供电区"


async def test_a_work_order_seen_only_through_its_dispatch_is_sealed_until_intake_says_otherwise():
    handlers = GatewayHandlers(InMemoryAuditTrail(), cases := InMemoryCaseFiles())
    dispatched = WorkOrderDispatchedV1(
        work_order_id="WO-9",
        dispatch_id="WO-9-D1",
        province="gd",
        department="repair",
        type="fault_repair",
        dispatched_at=OPENED,
        reply_due_at=OPENED,
        customer={"phone": PHONE, "name": NAME},
        description="停电",
    )
    await handlers.progress([envelope_of(dispatched)])
    assert (await read("gd.agent", "WO-9", cases)).json()["customer"]["phone"] is None
    created = WorkOrderCreatedV1(
        work_order_id="WO-9",
        contact_id="C-9",
        province="gd",
        type="fault_repair",
        channel="web",
        created_at=OPENED,
        customer={"phone": PHONE, "name": NAME},
        description="停电",
    )
    await handlers.work_orders_announced([envelope_of(created)])
    body = (await read("gd.agent", "WO-9", cases)).json()
    assert (body["customer"]["phone"], body["status"]) == (PHONE, "dispatched")


def status_lookup(phone: str) -> dict[str, str]:
    return {"work_order_id": "WO-1", "phone": phone}


async def test_a_customer_learns_the_status_with_the_right_phone_and_every_attempt_counts_against_guessing():
    app = app_with(RecordingPublisher())
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw") as public:
        right = await public.post("/v1/public/work-order-status", json=status_lookup(PHONE))
        wrong = [
            await public.post("/v1/public/work-order-status", json=status_lookup(f"1380013800{n}"))
            for n in range(9)
        ]
        after = await public.post("/v1/public/work-order-status", json=status_lookup(PHONE))
    assert right.status_code == 200
    assert right.json()["status"] == "dispatched"
    assert "张" not in right.text, "a status answer holds nothing private"
    assert "天河" not in right.text
    assert [answer.status_code for answer in wrong] == [404] * 9
    assert after.status_code == 429, "the right phone too, once ten attempts are spent"
    assert "retry-after" in after.headers


async def test_a_burst_of_guesses_sent_at_once_is_counted_whole():
    app = app_with(RecordingPublisher())
    guesses = [f"1392601{n:04d}" for n in range(2340, 2360)]  # the right one, 13926012345, among them
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw") as public:
        answers = await asyncio.gather(
            *(public.post("/v1/public/work-order-status", json=status_lookup(g)) for g in guesses)
        )
    looked_at = [answer for answer in answers if answer.status_code != 429]
    assert len(looked_at) == 10, "only the first ten of twenty reach the work order"


async def test_a_strangers_guessing_at_the_public_form_does_not_lock_the_caller_out_of_the_phone_line():
    app = app_with(RecordingPublisher())
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw") as gateway:
        for n in range(11):
            await gateway.post("/v1/public/work-order-status", json=status_lookup(f"1380013800{n % 10}"))
        locked = await gateway.post("/v1/public/work-order-status", json=status_lookup(PHONE))
        on_the_line = await gateway.post(
            "/v1/customer-lookups",
            json={"work_order_id": "WO-1", "caller_number": PHONE},
            headers=signed_as("gd.channel.voice"),
        )
    assert (locked.status_code, on_the_line.status_code) == (429, 200)


async def test_a_voice_adapter_hears_the_content_only_for_a_call_from_the_number_it_was_filed_with():
    case = replace(
        REPAIR_CASE, replies=(ReplyNote("WO-1-D1", "repair", ReplyKind.FINAL, "已修复", OPENED, True),)
    )
    app = app_with(RecordingPublisher(), cases=InMemoryCaseFiles(case))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw") as ivr:
        ok = await ivr.post(
            "/v1/customer-lookups",
            json={"work_order_id": "WO-1", "caller_number": "13926012345"},
            headers=signed_as("gd.channel.voice"),
        )
        other = await ivr.post(
            "/v1/customer-lookups",
            json={"work_order_id": "WO-1", "caller_number": "13800138000"},
            headers=signed_as("gd.channel.voice"),
        )
    assert ok.status_code == 200
    assert (ok.json()["description"], ok.json()["replies"]) == ("家里停电了", ["已修复"])
    assert other.status_code == 404


def test_a_field_access_table_that_leaves_a_role_or_field_out_is_refused_with_each_problem(tmp_path):
    path = tmp_path / "field_access.json"
    path.write_text(json.dumps({"roles": {"agent": {"customer.name": "clear"}}, "sealed": []}))
    with pytest.raises(ValueError, match=r"field_access\.json") as refused:
        FieldAccess.load(path)
    for problem in ("department is not listed", "agent does not say how it sees customer.phone"):
        assert problem in str(refused.value)


@given(st.from_regex(r"^1[3-9][0-9]{9}$", fullmatch=True))
def test_a_masked_mobile_number_keeps_only_its_first_three_and_last_four_digits(national: str):
    masked = mask_phone(f"+86{national}")
    assert masked == f"{national[:3]}****{national[-4:]}"
