"""Storms: fault reports of one area and category gather into one incident, dispatched once; a fault in
the customer's own equipment is answered, not dispatched."""

import asyncio
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import uuid4

import pytest

from contracts.events import (
    ContactLinkedV1,
    ContactReceivedV1,
    Customer,
    IncidentOpenedV1,
    IncidentUpdatedV1,
    WorkOrderAnsweredV1,
    WorkOrderCreatedV1,
    WorkOrderRepliedV1,
)
from contracts.ids import fault_cluster_id_for, work_order_id_for
from services.intake.domain.incidents import FaultCluster
from services.intake.domain.storms import DEFAULT_STORM_RULES, StormRules
from services.intake.domain.type_fields import FieldRules
from services.intake.domain.work_order import WorkOrder
from services.intake.domain.work_order_outcomes import WorkOrderStatus
from services.intake.handlers import IntakeHandlers
from tests.fakes import FakeClock, InMemoryStore, envelope_of
from tests.unit.test_intake import a_contact, intake

T0 = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
ADDRESSES = {"gz-tianhe": "广州市天河区体育西路1号", "gz-panyu": "广州市番禺区市桥街8号"}


def a_fault(minute: float = 0, area: str = "gz-tianhe", category: str = "no_power", **changes: object):
    at = T0 + timedelta(minutes=minute)
    # Each from a neighbour of their own: the same customer again would be a repeat of their own report.
    phone = f"+86139{uuid4().int % 10**8:08d}"
    fields: dict[str, object] = {
        "address": ADDRESSES[area],
        "category": category,
        "received_at": at,
        "phone": phone,
    }
    return a_contact(**fields | changes)


class Storm:
    """One province's intake replicas on one shared store."""

    def __init__(self, replicas: int = 1) -> None:
        self.orders: InMemoryStore[WorkOrder] = InMemoryStore()
        self.clusters: InMemoryStore[FaultCluster] = InMemoryStore(self.orders.bus)
        self.clock = FakeClock(T0)
        self.replicas: list[IntakeHandlers] = [
            intake(self.orders, self.clock, clusters=self.clusters) for _ in range(replicas)
        ]

    async def report(self, *contacts: ContactReceivedV1, replica: int = 0) -> None:
        await self.replicas[replica].contacts_received([envelope_of(c) for c in contacts])

    def published(self, kind: type) -> list:
        return [envelope.data for _, envelope in self.orders.bus.published if isinstance(envelope.data, kind)]

    def incidents(self) -> list[WorkOrderCreatedV1]:
        return [created for created in self.published(WorkOrderCreatedV1) if created.incident_id]


async def test_fault_reports_of_one_area_and_category_form_one_incident_dispatched_once():
    storm = Storm()
    first, second, third = a_fault(0), a_fault(5), a_fault(9)
    await storm.report(first)
    await storm.report(second, third)
    [incident] = storm.incidents()
    assert incident.work_order_id == work_order_id_for(first.contact_id)
    [opened] = storm.published(IncidentOpenedV1)
    assert (opened.incident_id, opened.area.code, opened.category) == (
        incident.incident_id,
        "gz-tianhe",
        "no_power",
    )
    linked = storm.published(ContactLinkedV1)
    assert [link.contact_id for link in linked] == [second.contact_id, third.contact_id]
    assert {link.work_order_id for link in linked} == {incident.work_order_id}
    assert [update.reporters for update in storm.published(IncidentUpdatedV1)] == [2, 3]
    assert len(storm.orders) == 1, "the linked reports open no work order of their own"


async def test_the_window_slides_with_each_report_and_a_report_after_it_opens_a_new_incident():
    storm = Storm()
    await storm.report(a_fault(0), a_fault(25), a_fault(50))  # each within 30 minutes of the one before
    await storm.report(a_fault(81))  # 31 minutes after the latest
    first, second = storm.published(IncidentOpenedV1)
    assert first.reporters == 1
    assert storm.published(IncidentUpdatedV1)[-1].reporters == 3
    assert second.opened_at == T0 + timedelta(minutes=81)
    assert first.gathering_until == T0 + timedelta(minutes=30)


@pytest.mark.parametrize(
    ("sentence", "other"),
    [
        ("another area's outage is another incident", {"area": "gz-panyu"}),
        ("another fault category in the area is another incident", {"category": "line_down"}),
    ],
)
async def test_reports_apart_in_area_or_category_are_apart_in_incidents(sentence, other):
    storm = Storm()
    await storm.report(a_fault(0), a_fault(1, **other))
    assert len(storm.incidents()) == 2, sentence
    assert storm.published(ContactLinkedV1) == []


@pytest.mark.parametrize(
    ("sentence", "changes"),
    [
        ("a meter fault is one customer's", {"category": "meter_fault"}),
        ("an address no area claims cannot be gathered", {"address": "北京市海淀区中关村大街1号"}),
        ("a sealed report is linked to no one", {"anonymous": True, "customer_name": None}),
    ],
)
async def test_some_fault_reports_open_work_orders_of_their_own(sentence, changes):
    storm = Storm()
    await storm.report(a_fault(0, **changes), a_fault(1, **changes))
    assert len(storm.published(WorkOrderCreatedV1)) == 2, sentence
    assert storm.incidents() == []


async def test_a_redelivered_report_is_linked_once():
    storm = Storm()
    first, second = a_fault(0), a_fault(3)
    await storm.report(first, second)
    await storm.report(second)
    await storm.report(first)
    assert len(storm.published(ContactLinkedV1)) == 1
    assert len(storm.incidents()) == 1
    cluster = storm.clusters[fault_cluster_id_for("gd", "gz-tianhe", "no_power")]
    assert cluster.current is not None
    assert cluster.current.reporters == [first.contact_id, second.contact_id]


async def test_an_opening_report_whose_work_order_was_never_written_writes_it_when_redelivered():
    storm = Storm()
    first = a_fault(0)
    await storm.report(first)
    incident = work_order_id_for(first.contact_id)
    del storm.orders.stored[incident]  # as if intake died between the cluster's write and the order's
    await storm.report(first)
    assert storm.orders[incident].incident_id is not None
    assert len(storm.published(IncidentOpenedV1)) == 1


async def test_an_opener_whose_work_order_was_lost_stays_the_incidents_though_the_customer_reported_again():
    storm = Storm(replicas=2)
    first = a_fault(0, phone="+8613900000001")
    await storm.report(first)
    incident = work_order_id_for(first.contact_id)
    del storm.orders.stored[incident]  # the first try's cluster write stood; its work order's lost a race
    # Meanwhile, on another partition, the customer again from an address no area claims: its own.
    again = a_fault(2, phone="+8613900000001", address="北京市海淀区中关村大街1号")
    await storm.report(again, replica=1)
    await storm.report(first)  # the redelivery: the customer's own open work order is there to repeat
    assert storm.orders[incident].incident_id is not None
    linked = [link.contact_id for link in storm.published(ContactLinkedV1)]
    assert first.contact_id not in linked, "in its incident only, not linked as a repeat too"


async def test_replicas_reporting_one_area_at_once_still_open_one_incident():
    storm = Storm(replicas=4)
    reports = [a_fault(minute / 10) for minute in range(12)]

    async def replica(number: int) -> None:  # each takes its partitions' reports in turn, all at once
        for report in reports[number::4]:
            await storm.report(report, replica=number)

    await asyncio.gather(*(replica(number) for number in range(4)))
    assert len(storm.incidents()) == 1
    assert len(storm.published(ContactLinkedV1)) == 11
    cluster = storm.clusters[fault_cluster_id_for("gd", "gz-tianhe", "no_power")]
    assert cluster.current is not None
    assert sorted(cluster.current.reporters) == sorted(r.contact_id for r in reports)


async def test_a_fault_in_the_customers_own_equipment_is_answered_and_closed_not_dispatched():
    storm = Storm()
    report = a_fault(0, category="own_equipment")
    await storm.report(report)
    [answered] = storm.published(WorkOrderAnsweredV1)
    assert answered.reason == "out_of_scope"
    assert "有偿" in answered.answer, "the paid-service option is offered"
    assert storm.published(WorkOrderCreatedV1) == []
    order = storm.orders[work_order_id_for(report.contact_id)]
    assert order.status is WorkOrderStatus.ANSWERED
    assert order.history[-1].action == "answered and closed"


@pytest.mark.parametrize(
    ("sentence", "rules", "problem"),
    [
        ("an unknown category", {"incidents": {"categories": {"fault_repair": ["blackout"]}}}, "'blackout'"),
        ("a window of no length", {"incidents": {"window_minutes": 0}}, "window_minutes"),
        ("a blank answer", {"out_of_scope": {"fault_repair": {"own_equipment": " "}}}, "blank"),
        (
            "a category both gathered and out of scope",
            {
                "incidents": {"categories": {"fault_repair": ["no_power"]}},
                "out_of_scope": {"fault_repair": {"no_power": "不在范围内"}},
            },
            "both",
        ),
        ("a misspelt key", {"incident": {}}, "incident"),
    ],
)
def test_a_storm_rule_file_with_a_mistake_is_refused_naming_it(tmp_path: Path, sentence, rules, problem):
    path = tmp_path / "storms.json"
    path.write_text(json.dumps(rules), encoding="utf-8")
    with pytest.raises(ValueError, match=problem):
        StormRules.load(path, FieldRules.load())


def test_the_shipped_storm_rules_load():
    rules = StormRules.load(DEFAULT_STORM_RULES, FieldRules.load())
    assert rules.incidents.window == timedelta(minutes=30)


async def test_a_backlog_spanning_several_incidents_redelivered_after_a_failed_write_places_each_once():
    storm = Storm()
    a, b, c, d = a_fault(0), a_fault(5), a_fault(40), a_fault(80)  # three incidents: a+b, c, d
    await storm.report(a, b, c, d)
    openers = [work_order_id_for(report.contact_id) for report in (a, c, d)]
    for opener in openers:  # the clusters were written, the work orders were not
        del storm.orders.stored[opener]
    await storm.report(a, b, c, d)
    assert sorted(storm.orders.stored) == sorted(openers)
    assert [link.contact_id for link in storm.published(ContactLinkedV1)] == [b.contact_id]
    assert len(storm.published(IncidentOpenedV1)) == 3


async def test_a_late_report_joins_the_incident_that_was_gathering_when_it_was_made():
    storm = Storm()
    first, later, late = a_fault(0), a_fault(40), a_fault(20)
    await storm.report(first)
    await storm.report(later)  # a second incident: the first stopped gathering at minute 30
    await storm.report(late)  # accepted at minute 20, taken after: the first incident's
    [link] = storm.published(ContactLinkedV1)
    assert link.work_order_id == work_order_id_for(first.contact_id)


async def test_an_incident_gathers_for_twelve_hours_at_most_however_often_reports_come():
    storm = Storm()
    await storm.report(*(a_fault(minute) for minute in range(0, 12 * 60 + 21, 20)))
    first, second = storm.published(IncidentOpenedV1)
    assert second.opened_at == T0 + timedelta(hours=12, minutes=20)
    last = [u for u in storm.published(IncidentUpdatedV1) if u.incident_id == first.incident_id][-1]
    assert last.gathering_until == T0 + timedelta(hours=12), "capped, not 30 minutes after the latest"


async def test_a_final_reply_to_the_incidents_work_order_closes_it_and_the_next_fault_opens_another():
    storm = Storm()
    first = a_fault(0)
    await storm.report(first)
    incident = work_order_id_for(first.contact_id)
    reply = WorkOrderRepliedV1(
        work_order_id=incident,
        dispatch_id=f"{incident}-D1",
        province="gd",
        department="repair",
        type="fault_repair",
        kind="final",
        message="已恢复供电",
        replied_at=T0 + timedelta(minutes=10),
        on_time=True,
        customer=Customer(phone="+8613926012345"),
        reply_id="R-1",
    )
    await storm.replicas[0].dispatch_progressed([envelope_of(reply), envelope_of(reply)])
    assert storm.orders[incident].status is WorkOrderStatus.RESOLVED
    await storm.report(a_fault(15))
    assert len(storm.incidents()) == 2, "the repaired fault takes no new reporter"
    assert storm.published(ContactLinkedV1) == []


async def test_a_report_made_shortly_before_the_one_that_opened_the_incident_joins_it():
    storm = Storm()
    opener, earlier = a_fault(10), a_fault(2)  # taken out of order, as partitions allow
    await storm.report(opener)
    await storm.report(earlier)
    assert len(storm.incidents()) == 1
    [link] = storm.published(ContactLinkedV1)
    assert link.contact_id == earlier.contact_id
