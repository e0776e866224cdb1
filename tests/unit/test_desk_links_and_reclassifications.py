"""At the agents' desk: a work order closed as a link once complete shows whose it became and leaves the
waiting list; agents correct a work order's type and category, with the classification they saw and a
reason, and the case file takes intake's reclassification."""

from dataclasses import replace
from datetime import UTC, datetime

from contracts.events import (
    ContactLinkedV1,
    Customer,
    LinkReason,
    WorkOrderReclassificationRequestedV1,
    WorkOrderReclassifiedV1,
)
from services.gateway.handlers import GatewayHandlers
from tests.fake_case_files import NEEDS_INFO_CASE, InMemoryCaseFiles
from tests.fakes import InMemoryAuditTrail, envelope_of
from tests.unit.test_agent_desk import call


async def test_a_work_order_closed_as_a_link_once_complete_shows_whose_and_leaves_the_waiting_list():
    cases = InMemoryCaseFiles(NEEDS_INFO_CASE)
    gateway = GatewayHandlers(InMemoryAuditTrail(), cases)
    link = ContactLinkedV1(
        contact_id="C-2",
        work_order_id="WO-9",
        province="gd",
        reason=LinkReason.INCIDENT,
        incident_id="I-9",
        type="fault_repair",
        category="no_power",
        channel="web",
        customer=Customer(phone="+8613926012345"),
        description="停电",
        received_at=datetime(2026, 12, 2, 9, 0, tzinfo=UTC),
        linked_at=datetime(2026, 12, 2, 12, 0, tzinfo=UTC),
        closes_work_order_id="WO-2",
    )
    arrived_linked = link.model_copy(update={"contact_id": "C-7", "closes_work_order_id": None})
    await gateway.work_orders_announced([envelope_of(link), envelope_of(arrived_linked)])
    assert await cases.on_list("gd.agent", True, 10) == []
    answer, _ = await call("GET", "/v1/work-orders/WO-2", "gd.agent", cases)
    assert (answer.json()["status"], answer.json()["linked_to"]) == ("linked", "WO-9")
    assert list(cases.files) == ["WO-2"], "a contact linked as it arrived has no case file of its own"


async def test_an_agent_reclassifies_its_work_order_with_the_classification_it_saw_and_a_reason():
    answer, publisher = await call(
        "POST",
        "/v1/work-orders/WO-2/classification",
        "gd.agent",
        json={"type": "complaint", "category": "billing", "reason": "客户反映的是电费问题"},
    )
    assert answer.status_code == 202
    [asked] = publisher.published
    assert isinstance(asked, WorkOrderReclassificationRequestedV1)
    assert (asked.type, asked.category, asked.by) == ("complaint", "billing", "gd.agent")
    assert (asked.seen_type, asked.seen_category) == ("fault_repair", None)
    [audited] = publisher.audited
    assert (audited.action, audited.resource) == ("desk.reclassify", "WO-2")


async def test_a_reclassification_that_changes_nothing_or_of_a_closed_work_order_is_409():
    answered = replace(
        NEEDS_INFO_CASE, facts=replace(NEEDS_INFO_CASE.facts, missing=(), answer="不属于维修范围")
    )
    same = {"type": "fault_repair", "reason": "核对"}
    for cases, body in (
        (InMemoryCaseFiles(NEEDS_INFO_CASE), same),
        (InMemoryCaseFiles(answered), same | {"category": "meter_fault"}),
    ):
        answer, publisher = await call(
            "POST", "/v1/work-orders/WO-2/classification", "gd.agent", cases, json=body
        )
        assert answer.status_code == 409, answer.text
        assert publisher.published == []


async def test_a_reclassification_without_a_reason_or_of_an_unknown_type_is_refused_naming_it():
    answer, _ = await call(
        "POST", "/v1/work-orders/WO-2/classification", "gd.agent", json={"type": "gossip", "reason": ""}
    )
    assert answer.status_code == 422
    problems = str(answer.json())
    assert "type" in problems
    assert "reason" in problems


async def test_the_case_file_takes_intakes_reclassification_and_shows_it():
    cases = InMemoryCaseFiles(NEEDS_INFO_CASE)
    reclassified = WorkOrderReclassifiedV1(
        work_order_id="WO-2",
        province="gd",
        type="complaint",
        category="billing",
        previous_type="fault_repair",
        previous_category=None,
        reason="客户反映的是电费问题",
        by="gd.agent",
        at=datetime(2026, 12, 2, 12, 0, tzinfo=UTC),
        action_id="A-1",
    )
    gateway = GatewayHandlers(InMemoryAuditTrail(), cases)
    await gateway.work_orders_announced([envelope_of(reclassified), envelope_of(reclassified)])
    body = (await call("GET", "/v1/work-orders/WO-2", "gd.agent", cases))[0].json()
    assert (body["type"], body["category"]) == ("complaint", "billing")
    [step] = body["reclassifications"]
    assert (step["type_from"], step["type_to"], step["reason"]) == (
        "fault_repair",
        "complaint",
        "客户反映的是电费问题",
    )
