"""Agents correct a work order's type and category, with the reason: intake records it in the history
and announces it; one waiting for fields is announced again (complete and placed, or waiting for what
the new type needs); one announced complete takes only a classification its fields fill."""

from datetime import UTC, datetime

import pytest

from contracts.events import (
    WorkOrderCreatedV1,
    WorkOrderInfoRequestedV1,
    WorkOrderReclassificationRequestedV1,
    WorkOrderReclassifiedV1,
    WorkOrderType,
)
from contracts.ids import work_order_id_for
from services.intake.domain.work_order import NotReclassifiable, WorkOrder
from services.intake.domain.work_order_outcomes import WorkOrderStatus
from tests.fakes import InMemoryStore, envelope_of
from tests.unit.test_intake import a_contact, intake
from tests.unit.test_storms import a_fault

AT = datetime(2026, 11, 23, 10, 30, tzinfo=UTC)


def asked(work_order_id: str, type_: str, category: str | None, seen: tuple[str, str | None], **changes):
    fields = {
        "action_id": f"A-{type_}-{category}",
        "work_order_id": work_order_id,
        "province": "gd",
        "by": "gd.agent.day-1",
        "at": AT,
        "type": type_,
        "category": category,
        "reason": "客户描述的是停电，不是电费",
        "seen_type": seen[0],
        "seen_category": seen[1],
    }
    return WorkOrderReclassificationRequestedV1.model_validate(fields | changes)


class Desk:
    def __init__(self) -> None:
        self.orders: InMemoryStore[WorkOrder] = InMemoryStore()
        self.intake = intake(self.orders)

    async def contact(self, **changes: object) -> str:
        contact = a_contact(**changes)
        await self.intake.contacts_received([envelope_of(contact)])
        return work_order_id_for(contact.contact_id)

    async def act(self, *actions: WorkOrderReclassificationRequestedV1) -> None:
        await self.intake.agents_acted([envelope_of(action) for action in actions])

    def published(self, kind: type) -> list:
        return [e.data for _, e in self.orders.bus.published if isinstance(e.data, kind)]


async def test_a_waiting_complaint_that_is_a_fault_repair_is_reclassified_and_opened_for_dispatch():
    desk = Desk()
    waiting = await desk.contact(requested_type="complaint", category=None, address="广州市天河区体育西路1号")
    assert desk.orders[waiting].status is WorkOrderStatus.NEEDS_INFO
    await desk.act(asked(waiting, "fault_repair", "meter_fault", ("complaint", None)))
    [reclassified] = desk.published(WorkOrderReclassifiedV1)
    assert (reclassified.previous_type, reclassified.type, reclassified.category) == (
        WorkOrderType.COMPLAINT,
        WorkOrderType.FAULT_REPAIR,
        "meter_fault",
    )
    [created] = desk.published(WorkOrderCreatedV1)
    assert (created.work_order_id, created.type, created.category) == (waiting, "fault_repair", "meter_fault")
    order = desk.orders[waiting]
    assert order.status is WorkOrderStatus.OPEN
    [step] = [step for step in order.history if step.action == "reclassified"]
    assert step.by == "gd.agent.day-1"
    assert step.note == "complaint/None to fault_repair/meter_fault: 客户描述的是停电，不是电费"


async def test_a_waiting_one_reclassified_to_a_type_that_needs_more_waits_for_what_that_type_needs():
    desk = Desk()
    waiting = await desk.contact(requested_type="complaint", category=None, address=None)
    await desk.act(asked(waiting, "fault_repair", "meter_fault", ("complaint", None)))
    *_, requested = desk.published(WorkOrderInfoRequestedV1)
    assert [m.name for m in requested.missing] == ["address"]
    assert desk.orders[waiting].type is WorkOrderType.FAULT_REPAIR
    assert desk.published(WorkOrderCreatedV1) == []


async def test_an_open_one_takes_a_classification_its_fields_fill_and_is_not_announced_again():
    desk = Desk()
    opened = await desk.contact(category="meter_fault")
    await desk.act(asked(opened, "fault_repair", "low_voltage", ("fault_repair", "meter_fault")))
    assert [r.category for r in desk.published(WorkOrderReclassifiedV1)] == ["low_voltage"]
    assert len(desk.published(WorkOrderCreatedV1)) == 1, "created once, when it came"
    assert desk.orders[opened].category == "low_voltage"


@pytest.mark.parametrize(
    ("sentence", "action", "problem"),
    [
        (
            "an open fault repair to a complaint without a business category",
            lambda wo: asked(wo, "complaint", None, ("fault_repair", "meter_fault")),
            "would lack category",
        ),
        (
            "one reclassified by someone else since the agent saw it",
            lambda wo: asked(wo, "complaint", "billing", ("consultation", None)),
            "not as seen",
        ),
    ],
)
async def test_a_reclassification_intake_cannot_take_is_refused_and_changes_nothing(
    sentence, action, problem
):
    desk = Desk()
    opened = await desk.contact(category="meter_fault")
    with pytest.raises(NotReclassifiable, match=problem):
        await desk.act(action(opened))
    assert (desk.orders[opened].type, desk.orders[opened].category) == ("fault_repair", "meter_fault")
    assert desk.published(WorkOrderReclassifiedV1) == [], sentence


async def test_a_closed_work_order_is_not_reclassified():
    desk = Desk()
    answered = await desk.contact(category="own_equipment")
    assert desk.orders[answered].status is WorkOrderStatus.ANSWERED
    with pytest.raises(NotReclassifiable, match="closed"):
        await desk.act(asked(answered, "fault_repair", "meter_fault", ("fault_repair", "own_equipment")))


async def test_a_reclassification_delivered_twice_is_taken_once():
    desk = Desk()
    opened = await desk.contact(category="meter_fault")
    action = asked(opened, "fault_repair", "low_voltage", ("fault_repair", "meter_fault"))
    await desk.act(action, action)
    assert len(desk.published(WorkOrderReclassifiedV1)) == 1
    assert [s.action for s in desk.orders[opened].history].count("reclassified") == 1


async def test_an_incidents_work_order_is_not_reclassified_its_areas_reports_are_gathered_into_it():
    desk = Desk()
    await desk.intake.contacts_received([envelope_of(a_fault(0)), envelope_of(a_fault(1))])
    [incident] = [c for c in desk.published(WorkOrderCreatedV1) if c.incident_id]
    with pytest.raises(NotReclassifiable, match="incident"):
        await desk.act(
            asked(incident.work_order_id, "fault_repair", "meter_fault", ("fault_repair", "no_power"))
        )
