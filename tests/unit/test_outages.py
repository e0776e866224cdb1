"""Known outages: a fault report from an area the operator already knows is without supply is answered
with the cause and the expected restoration, not dispatched."""

import json
from datetime import timedelta
from pathlib import Path

import pytest

from contracts.events import (
    OutageEndedV1,
    OutageKind,
    OutageRegisteredV1,
    OutageUpdatedV1,
    WorkOrderAnsweredV1,
    WorkOrderCreatedV1,
)
from contracts.ids import work_order_id_for
from services.common.errors import DomainError
from services.intake.domain.outages import Outage
from services.intake.domain.storms import StormRules
from services.intake.domain.type_fields import FieldRules
from services.intake.domain.work_order import WorkOrder, WorkOrderStatus
from tests.fakes import FakeClock, InMemoryStore, envelope_of
from tests.unit.test_intake import intake
from tests.unit.test_storms import T0, a_fault

RESTORED_BY = T0 + timedelta(hours=3)  # 13:00 UTC: 21:00 in China


def registered(outage_id: str = "OUT-1", areas: tuple[str, ...] = ("gz-tianhe",), **changes: object):
    fields: dict[str, object] = {
        "outage_id": outage_id,
        "province": "gd",
        "kind": OutageKind.UNPLANNED,
        "areas": list(areas),
        "cause": "10千伏线路故障抢修",
        "starts_at": T0,
        "expected_restoration_at": RESTORED_BY,
        "by": "gd.supervisor",
        "at": T0,
    }
    return OutageRegisteredV1.model_validate(fields | changes)


class Desk:
    def __init__(self) -> None:
        self.orders: InMemoryStore[WorkOrder] = InMemoryStore()
        self.outages: InMemoryStore[Outage] = InMemoryStore(self.orders.bus)
        self.intake = intake(self.orders, FakeClock(T0), outages=self.outages)

    async def outage(self, *events: object) -> None:
        await self.intake.outages_changed([envelope_of(event) for event in events])  # type: ignore[arg-type]

    async def report(self, *contacts: object) -> None:
        await self.intake.contacts_received([envelope_of(c) for c in contacts])  # type: ignore[arg-type]

    def published(self, kind: type) -> list:
        return [e.data for _, e in self.orders.bus.published if isinstance(e.data, kind)]


async def test_a_fault_report_during_a_known_outage_is_answered_with_its_cause_and_restoration():
    desk = Desk()
    await desk.outage(registered())
    report = a_fault(10)
    await desk.report(report)
    [answered] = desk.published(WorkOrderAnsweredV1)
    assert (answered.reason, answered.outage_id) == ("outage", "OUT-1")
    assert answered.expected_restoration_at == RESTORED_BY
    assert "10千伏线路故障抢修" in answered.answer
    assert "11月23日21:00" in answered.answer, "the restoration time in China time"
    assert "天河供电区" in answered.answer
    assert desk.published(WorkOrderCreatedV1) == [], "not dispatched"
    order = desk.orders[work_order_id_for(report.contact_id)]
    assert order.status is WorkOrderStatus.ANSWERED
    assert order.history[-1].note == "outage OUT-1"


@pytest.mark.parametrize(
    ("sentence", "report", "events"),
    [
        ("a report from another area", {"area": "gz-panyu"}, [registered()]),
        ("a report before the outage starts", {"minute": -5}, [registered()]),
        ("a category the outage does not explain", {"category": "line_down"}, [registered()]),
        (
            "a report after the outage ended",
            {"minute": 90},
            [
                registered(),
                OutageEndedV1(outage_id="OUT-1", province="gd", ended_at=T0 + timedelta(hours=1), by="gd.s"),
            ],
        ),
    ],
)
async def test_fault_reports_the_outage_does_not_cover_go_on_as_faults(sentence, report, events):
    desk = Desk()
    await desk.outage(*events)
    await desk.report(a_fault(**report))
    assert desk.published(WorkOrderAnsweredV1) == [], sentence
    assert len(desk.published(WorkOrderCreatedV1)) == 1


async def test_the_answer_tells_the_latest_restoration_time_and_old_or_repeated_events_change_nothing():
    desk = Desk()
    first = envelope_of(registered())
    later = OutageUpdatedV1.model_validate(
        registered().model_dump()
        | {"expected_restoration_at": RESTORED_BY + timedelta(hours=2), "at": T0 + timedelta(minutes=30)}
    )
    await desk.intake.outages_changed([first, envelope_of(later)])
    await desk.intake.outages_changed([first])  # redelivered
    await desk.outage(registered(at=T0 - timedelta(minutes=1)))  # an older state, late
    await desk.report(a_fault(40))
    [answered] = desk.published(WorkOrderAnsweredV1)
    assert "11月23日23:00" in answered.answer


async def test_ending_an_outage_intake_never_heard_of_is_refused():
    desk = Desk()
    ended = OutageEndedV1(outage_id="OUT-X", province="gd", ended_at=T0, by="gd.supervisor")
    with pytest.raises(DomainError, match="OUT-X"):
        await desk.outage(ended)


def test_an_outage_answer_naming_an_unknown_field_is_refused(tmp_path: Path):
    path = tmp_path / "storms.json"
    path.write_text(json.dumps({"outages": {"answer": "预计{restored}恢复"}}), encoding="utf-8")
    with pytest.raises(ValueError, match="restored"):
        StormRules.load(path, FieldRules.load())


def test_an_outage_covers_its_areas_from_its_start_until_it_ends():
    outage = Outage.registered(registered(), "E-1")
    assert outage.covers("gz-tianhe", T0)
    assert not outage.covers("gz-tianhe", T0 - timedelta(seconds=1))
    assert not outage.covers("gz-panyu", T0)
    outage.end(
        OutageEndedV1(outage_id="OUT-1", province="gd", ended_at=T0 + timedelta(hours=1), by="s"), "E-2"
    )
    assert outage.covers("gz-tianhe", T0 + timedelta(minutes=59))
    assert not outage.covers("gz-tianhe", T0 + timedelta(hours=1))


async def test_a_report_made_during_an_outage_but_taken_after_its_end_is_still_answered_by_it():
    desk = Desk()
    ended = OutageEndedV1(outage_id="OUT-1", province="gd", ended_at=T0 + timedelta(hours=1), by="gd.s")
    await desk.outage(registered(), ended)
    await desk.report(a_fault(30))  # accepted during the outage, taken from a backlog after it
    [answered] = desk.published(WorkOrderAnsweredV1)
    assert answered.outage_id == "OUT-1"


async def test_an_outage_that_ended_a_day_ago_is_forgotten_by_the_next_reports():
    desk = Desk()
    ended = OutageEndedV1(outage_id="OUT-1", province="gd", ended_at=T0 - timedelta(days=2), by="gd.s")
    await desk.outage(registered(starts_at=T0 - timedelta(days=3)), ended)
    await desk.report(a_fault(0))
    assert desk.outages["OUT-1"].forgotten
    assert desk.published(WorkOrderAnsweredV1) == []
