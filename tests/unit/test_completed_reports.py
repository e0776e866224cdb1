"""A fault report that waited for fields is placed, once its owner supplies them, as a report arriving
complete is: linked to the customer's own open one, answered by a known outage or as out of scope,
gathered into its area's incident, or else opened on its own. None slips past the storm's rules."""

from datetime import timedelta

import pytest

from contracts.events import (
    ContactLinkedV1,
    LinkReason,
    WorkOrderAnsweredV1,
    WorkOrderCreatedV1,
)
from contracts.ids import work_order_id_for
from plumbing.repository import ConcurrentChange
from services.intake.domain.incidents import FaultCluster
from services.intake.domain.outages import Outage
from services.intake.domain.work_order import WorkOrder
from services.intake.domain.work_order_outcomes import WorkOrderStatus
from tests.fakes import FakeClock, InMemoryRepository, InMemoryStore, envelope_of
from tests.unit.test_intake import intake
from tests.unit.test_outages import registered
from tests.unit.test_storms import T0, a_fault
from tests.unit.test_work_orders_by_type import supplied


class Desk:
    """One province's intake on fakes, its clock running from T0."""

    def __init__(self) -> None:
        self.orders: InMemoryStore[WorkOrder] = InMemoryStore()
        self.clusters: InMemoryStore[FaultCluster] = InMemoryStore(self.orders.bus)
        self.outages: InMemoryStore[Outage] = InMemoryStore(self.orders.bus)
        self.clock = FakeClock(T0)
        self.intake = intake(self.orders, self.clock, clusters=self.clusters, outages=self.outages)

    async def report(self, *contacts: object) -> None:
        await self.intake.contacts_received([envelope_of(c) for c in contacts])  # type: ignore[arg-type]

    async def supply(self, work_order_id: str, category: str) -> None:
        action = supplied(work_order_id, f"A-{work_order_id}", category=category, at=self.clock())
        await self.intake.agents_acted([envelope_of(action)])

    def published(self, kind: type) -> list:
        return [e.data for _, e in self.orders.bus.published if isinstance(e.data, kind)]


async def waiting_report(desk: Desk, minute: float = 5, **changes: object) -> str:
    """A fault report without its category: it waits for it (the agent calls the customer back)."""
    contact = a_fault(minute, category=None, **changes)
    await desk.report(contact)
    work_order_id = work_order_id_for(contact.contact_id)
    assert desk.orders[work_order_id].status is WorkOrderStatus.NEEDS_INFO
    return work_order_id


async def test_a_completed_report_of_an_area_with_an_open_incident_joins_it_and_is_closed_as_a_link():
    desk = Desk()
    await desk.report(a_fault(0), a_fault(1))
    [incident] = [c for c in desk.published(WorkOrderCreatedV1) if c.incident_id]
    waiting = await waiting_report(desk)
    desk.clock.advance(minutes=10)
    await desk.supply(waiting, "no_power")
    [link] = [link for link in desk.published(ContactLinkedV1) if link.closes_work_order_id == waiting]
    assert (link.work_order_id, link.reason) == (incident.work_order_id, LinkReason.INCIDENT)
    assert desk.orders[waiting].status is WorkOrderStatus.LINKED
    assert desk.orders[waiting].history[-1].note == incident.work_order_id
    assert [c.work_order_id for c in desk.published(WorkOrderCreatedV1)] == [incident.work_order_id]


async def test_a_completed_report_of_an_area_in_a_known_outage_is_answered_with_the_outage():
    desk = Desk()
    await desk.intake.outages_changed([envelope_of(registered())])
    waiting = await waiting_report(desk)
    await desk.supply(waiting, "no_power")
    [answered] = desk.published(WorkOrderAnsweredV1)
    assert (answered.work_order_id, answered.reason, answered.outage_id) == (waiting, "outage", "OUT-1")
    assert desk.orders[waiting].status is WorkOrderStatus.ANSWERED
    assert desk.published(WorkOrderCreatedV1) == [], "not dispatched"


async def test_a_completed_report_of_the_customers_own_equipment_is_answered_as_out_of_scope():
    desk = Desk()
    waiting = await waiting_report(desk)
    await desk.supply(waiting, "own_equipment")
    [answered] = desk.published(WorkOrderAnsweredV1)
    assert (answered.work_order_id, answered.reason) == (waiting, "out_of_scope")
    assert desk.published(WorkOrderCreatedV1) == []


async def test_a_completed_report_the_customer_already_made_is_linked_to_their_open_work_order():
    desk = Desk()
    first = a_fault(0, category="meter_fault")
    await desk.report(first)
    waiting = await waiting_report(desk, phone=first.phone)
    await desk.supply(waiting, "meter_fault")
    [link] = desk.published(ContactLinkedV1)
    assert (link.work_order_id, link.reason) == (work_order_id_for(first.contact_id), LinkReason.REPEAT)
    assert link.closes_work_order_id == waiting
    assert desk.orders[waiting].status is WorkOrderStatus.LINKED
    assert desk.orders[work_order_id_for(first.contact_id)].linked == [desk.orders[waiting].contact_id]
    assert len(desk.published(WorkOrderCreatedV1)) == 1, "the customer's first report alone"


@pytest.mark.parametrize(
    ("sentence", "category", "later"),
    [
        ("a fault of one customer's meter", "meter_fault", timedelta()),
        ("an outage fault once the area's incident stopped gathering", "no_power", timedelta(hours=1)),
    ],
)
async def test_other_completed_reports_open_their_own_work_order(sentence, category, later):
    desk = Desk()
    await desk.report(a_fault(0), a_fault(1))
    waiting = await waiting_report(desk)
    desk.clock.advance(seconds=later.total_seconds())
    await desk.supply(waiting, category)
    created = [c for c in desk.published(WorkOrderCreatedV1) if c.work_order_id == waiting]
    assert len(created) == 1, sentence
    assert desk.orders[waiting].status is WorkOrderStatus.OPEN
    if category == "no_power":
        assert created[0].incident_id is not None, "it opens the area's next incident"
    assert [link for link in desk.published(ContactLinkedV1) if link.closes_work_order_id] == []


async def test_a_completed_report_delivered_twice_is_placed_once():
    desk = Desk()
    await desk.report(a_fault(0), a_fault(1))
    waiting = await waiting_report(desk)
    action = envelope_of(supplied(waiting, "A-twice", category="no_power", at=desk.clock()))
    await desk.intake.agents_acted([action])
    await desk.intake.agents_acted([action])
    links = [link for link in desk.published(ContactLinkedV1) if link.closes_work_order_id == waiting]
    assert len(links) == 1


async def test_a_repeat_link_lost_to_a_race_on_its_target_is_made_when_the_supply_is_redelivered(
    monkeypatch,
):
    desk = Desk()
    first = a_fault(0, category="meter_fault")
    await desk.report(first)
    waiting = await waiting_report(desk, phone=first.phone)
    target = work_order_id_for(first.contact_id)
    real = InMemoryRepository._update_many
    raced: list[bool] = []

    async def another_writer_first(self, changed):  # type: ignore[no-untyped-def]
        if not raced:
            raced.append(True)
            desk.orders.stored[target].aggregate.version += 1  # a reply, say, changed it meanwhile
        return await real(self, changed)

    monkeypatch.setattr(InMemoryRepository, "_update_many", another_writer_first)
    action = envelope_of(supplied(waiting, "A-race", category="meter_fault", at=desk.clock()))
    with pytest.raises(ConcurrentChange):
        await desk.intake.agents_acted([action])
    assert desk.orders[waiting].status is WorkOrderStatus.LINKED, "written, though its target was not"
    assert desk.published(ContactLinkedV1) == []
    await desk.intake.agents_acted([action])  # the consumer's redelivery
    [link] = desk.published(ContactLinkedV1)
    assert (link.work_order_id, link.closes_work_order_id) == (target, waiting)
    assert desk.orders[target].linked == [desk.orders[waiting].contact_id]


async def test_an_incomplete_repeat_linked_as_it_arrives_closes_no_work_order_of_its_own():
    desk = Desk()
    first = a_fault(0, category="meter_fault")
    await desk.report(first)
    again = a_fault(5, category="meter_fault", address=None, phone=first.phone)
    await desk.report(again)
    [link] = desk.published(ContactLinkedV1)
    assert (link.contact_id, link.closes_work_order_id) == (again.contact_id, None)
    assert work_order_id_for(again.contact_id) not in desk.orders.stored


async def test_two_reports_of_one_customer_without_a_category_are_not_taken_for_the_same_matter():
    desk = Desk()
    phone = a_fault(0).phone
    first, second = await waiting_report(desk, 0, phone=phone), await waiting_report(desk, 5, phone=phone)
    assert first != second
    assert desk.published(ContactLinkedV1) == []
