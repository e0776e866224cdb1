"""The agents' desk at the gateway: each owner's list of work orders, kept from intake's events, and the
fields supplied for a work order waiting in needs_info, put on the bus for intake."""

from dataclasses import replace
from datetime import UTC, datetime

import httpx

from contracts.events import (
    SEALED_PHONE,
    ContactReceivedV1,
    WorkOrderCreatedV1,
    WorkOrderHandoverRequestedV1,
    WorkOrderInfoRequestedV1,
    WorkOrderInfoSuppliedV1,
    WorkOrderOwnerChangedV1,
)
from deploy.local.callers import signed_as
from deploy.local.credentials import SEAL_KEYS
from services.gateway.handlers import GatewayHandlers
from services.gateway.seal import Seal, ensure_local
from tests.fake_case_files import NEEDS_INFO_CASE, REPAIR_CASE, InMemoryCaseFiles
from tests.fakes import InMemoryAuditTrail, InMemoryStore, RecordingPublisher, envelope_of
from tests.unit.test_gateway import app_with
from tests.unit.test_intake import a_contact, intake


async def call(
    method: str, path: str, principal: str, cases: InMemoryCaseFiles | None = None, routing=None, **body
):
    publisher = RecordingPublisher()
    transport = httpx.ASGITransport(app=app_with(publisher, cases=cases, routing=routing))
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
        answer = await client.request(method, path, headers=signed_as(principal), **body)
    return answer, publisher


async def test_an_agent_lists_the_work_orders_waiting_on_it_with_what_each_lacks():
    answer, publisher = await call("GET", "/v1/owners/gd.agent/work-orders?needs_info=true", "gd.agent")
    assert answer.status_code == 200
    [listed] = answer.json()["work_orders"]
    assert (listed["work_order_id"], listed["status"], listed["owner"]) == ("WO-2", "needs_info", "gd.agent")
    assert listed["missing"] == [{"name": "category", "reason": "a fault_repair needs it"}]
    assert answer.json()["more"] is False
    [audited] = publisher.audited
    assert (audited.resource, audited.status) == ("owners/gd.agent", 200)


async def test_an_agent_may_not_list_another_agents_work_orders_but_a_supervisor_may():
    refused, _ = await call("GET", "/v1/owners/gd.agent/work-orders", "gd.agent.day-1")
    assert refused.status_code == 403
    allowed, _ = await call("GET", "/v1/owners/gd.agent/work-orders", "gd.supervisor")
    assert [w["work_order_id"] for w in allowed.json()["work_orders"]] == ["WO-2"]


async def test_the_desks_queue_lists_what_nobody_owns_and_any_agent_may_read_it():
    unowned = replace(NEEDS_INFO_CASE, facts=replace(NEEDS_INFO_CASE.facts, work_order_id="WO-3", owner=None))
    cases = InMemoryCaseFiles(REPAIR_CASE, NEEDS_INFO_CASE, unowned)
    answer, _ = await call("GET", "/v1/owners/desk/work-orders", "gd.agent.day-1", cases)
    assert [w["work_order_id"] for w in answer.json()["work_orders"]] == ["WO-3"]


async def test_the_owner_supplies_a_missing_field_and_intake_is_told_on_the_actions_topic():
    answer, publisher = await call(
        "POST",
        "/v1/work-orders/WO-2/info",
        "gd.agent",
        json={"category": "no_power", "details": {"meter_number": "M-0042"}},
    )
    assert answer.status_code == 202
    [supplied] = publisher.published
    assert isinstance(supplied, WorkOrderInfoSuppliedV1)
    assert (supplied.work_order_id, supplied.by, supplied.category) == ("WO-2", "gd.agent", "no_power")
    assert supplied.details == {"meter_number": "M-0042"}
    assert publisher.topics == ["gd.workorder-actions"]


async def test_supplying_fields_is_refused_for_another_agents_work_order_and_one_that_lacks_none():
    others, publisher = await call(
        "POST", "/v1/work-orders/WO-2/info", "gd.agent.day-1", json={"category": "x"}
    )
    assert others.status_code == 403
    complete, _ = await call("POST", "/v1/work-orders/WO-1/info", "gd.agent", json={"category": "no_power"})
    assert complete.status_code == 409
    assert complete.headers["content-type"] == "application/problem+json"
    assert publisher.published == []


async def test_supplying_nothing_or_a_badly_named_detail_is_422_naming_it():
    empty, _ = await call("POST", "/v1/work-orders/WO-2/info", "gd.agent", json={})
    assert empty.status_code == 422
    bad, _ = await call("POST", "/v1/work-orders/WO-2/info", "gd.agent", json={"details": {"Bad Key": "x"}})
    assert bad.status_code == 422
    assert "details" in bad.json()["errors"][0]["field"]


async def test_the_case_file_waits_in_needs_info_until_intake_announces_the_work_order_complete():
    store: InMemoryStore = InMemoryStore()
    contact = a_contact(category=None)
    handlers = intake(store)
    await handlers.contacts_received([envelope_of(contact)])
    [(_, requested)] = store.bus.published
    assert isinstance(requested.data, WorkOrderInfoRequestedV1)
    cases = InMemoryCaseFiles()
    gateway = GatewayHandlers(InMemoryAuditTrail(), cases)
    await gateway.work_orders_announced([requested])
    case = await cases.find(requested.subject)
    assert case is not None
    assert case.status == "needs_info"
    completed = requested.data.model_dump(exclude={"missing"}) | {"category": "no_power"}
    created = envelope_of(WorkOrderCreatedV1.model_validate(completed))
    await gateway.work_orders_announced([created])
    case = await cases.find(requested.subject)
    assert case is not None
    assert (case.status, case.facts.category) == ("open", "no_power")
    assert await cases.on_list(case.facts.queue, True, 10) == []


async def test_the_owner_hands_a_work_order_to_another_agent_of_the_province():
    answer, publisher = await call(
        "POST", "/v1/work-orders/WO-2/owner", "gd.agent", json={"to": "gd.agent.night", "reason": "换班"}
    )
    assert answer.status_code == 202
    [handover] = publisher.published
    assert isinstance(handover, WorkOrderHandoverRequestedV1)
    assert (handover.work_order_id, handover.by, handover.to) == ("WO-2", "gd.agent", "gd.agent.night")
    assert publisher.topics == ["gd.workorder-actions"]


async def test_a_work_order_is_handed_only_to_an_agent_of_its_province_and_only_by_whom_may():
    for to in ("gd.supervisor", "bj.agent", "nobody"):
        answer, publisher = await call(
            "POST", "/v1/work-orders/WO-2/owner", "gd.agent", json={"to": to, "reason": "换班"}
        )
        assert answer.status_code == 422, to
        assert publisher.published == []
    others, _ = await call(
        "POST",
        "/v1/work-orders/WO-2/owner",
        "gd.agent.day-1",
        json={"to": "gd.agent.day-1", "reason": "我来"},
    )
    assert others.status_code == 403


async def test_a_handover_moves_the_work_order_to_its_new_owners_list():
    cases = InMemoryCaseFiles(NEEDS_INFO_CASE)
    gateway = GatewayHandlers(InMemoryAuditTrail(), cases)
    moved = WorkOrderOwnerChangedV1(
        work_order_id="WO-2",
        province="gd",
        owner="gd.agent.night",
        previous_owner="gd.agent",
        by="gd.agent",
        reason="换班",
        at=datetime(2026, 12, 2, 12, 0, tzinfo=UTC),
        needs_info=True,
    )
    await gateway.work_orders_announced([envelope_of(moved)])
    assert await cases.on_list("gd.agent", True, 10) == []
    [listed] = await cases.on_list("gd.agent.night", True, 10)
    assert listed.facts.work_order_id == "WO-2"


async def test_a_name_is_never_supplied_for_a_sealed_report_not_even_onto_the_bus():
    sealed = replace(NEEDS_INFO_CASE, facts=replace(NEEDS_INFO_CASE.facts, anonymous=True))
    answer, publisher = await call(
        "POST",
        "/v1/work-orders/WO-2/info",
        "gd.agent",
        InMemoryCaseFiles(sealed),
        json={"customer_name": "张三"},
    )
    assert answer.status_code == 422
    assert "sealed" in answer.json()["detail"]
    assert publisher.published == []


async def test_a_list_is_audited_with_the_ids_of_the_work_orders_it_showed():
    _, publisher = await call("GET", "/v1/owners/gd.agent/work-orders", "gd.agent")
    [audited] = publisher.audited
    assert audited.listed == ["WO-2"]


async def test_a_supply_is_audited_against_its_work_order():
    _, publisher = await call("POST", "/v1/work-orders/WO-2/info", "gd.agent", json={"category": "no_power"})
    [audited] = publisher.audited
    assert audited.resource == "WO-2"


async def test_an_anonymous_contact_with_a_name_or_an_account_is_refused_before_it_reaches_the_bus():
    for identity in ({"customer_name": "张三"}, {"account_number": "0200123456"}):
        contact = {"phone": "13926012345", "type": "report", "description": "举报", "anonymous": True}
        answer, publisher = await call("POST", "/v1/contacts/web", "gd.channel.web", json=contact | identity)
        assert answer.status_code == 422, identity
        assert publisher.published == []


async def test_an_anonymous_reporters_number_goes_on_the_bus_only_sealed_with_the_gateways_key():
    contact = {"phone": "13926012345", "type": "report", "description": "举报", "anonymous": True}
    answer, publisher = await call("POST", "/v1/contacts/web", "gd.channel.web", json=contact)
    assert answer.status_code == 202
    [published] = publisher.published
    assert isinstance(published, ContactReceivedV1)
    assert published.phone == SEALED_PHONE
    assert "13926012345" not in published.model_dump_json()
    assert published.sealed_reporter is not None
    ensure_local(SEAL_KEYS)
    assert Seal.load(SEAL_KEYS).unseal(published.sealed_reporter) == "+8613926012345"


async def test_a_contacts_own_field_is_refused_as_a_detail():
    answer, _ = await call(
        "POST", "/v1/work-orders/WO-2/info", "gd.agent", json={"details": {"address": "体育西路 1 号"}}
    )
    assert answer.status_code == 422
    assert "the contact's own fields" in answer.text


async def test_a_work_order_the_gateway_knows_only_from_its_dispatch_is_not_handed_over_yet():
    unknown_owner = replace(REPAIR_CASE, facts=replace(REPAIR_CASE.facts, missing=None))
    answer, publisher = await call(
        "POST",
        "/v1/work-orders/WO-1/owner",
        "gd.agent",
        InMemoryCaseFiles(unknown_owner),
        json={"to": "gd.agent.night", "reason": "换班"},
    )
    assert answer.status_code == 409
    assert publisher.published == []
