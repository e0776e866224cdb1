"""Dispatch's in-memory stand-ins and the work orders, replies and requests its unit tests send."""

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

from contracts.events import (
    Area,
    Customer,
    DepartmentActedV1,
    DepartmentRepliedV1,
    DispatchActionRequestedV1,
    WorkOrderCreatedV1,
    WorkOrderDispatchedV1,
)
from contracts.ids import dispatch_id_for
from plumbing.due_minutes import slot_of
from services.common.working_calendar import WorkingCalendar
from services.dispatch.bootstrap import DispatchService, bootstrap
from services.dispatch.domain.dispatch import ClockRules, Dispatch
from services.dispatch.domain.routing import RuleTable
from services.dispatch.domain.sla import SlaTable
from services.dispatch.ports import TIMER_SLOT, DispatchRepository, DispatchUnit
from services.dispatch.settings import DispatchSettings
from tests.fakes import UNIT_SETTINGS, FakeClock, InMemoryRepository, InMemoryStore, source_of

CALENDAR = WorkingCalendar.load(province="gd")
SLA = SlaTable.load()
RULES = ClockRules(CALENDAR, SLA.clocks)
ROUTING = RuleTable.load()
AREAS = {
    kind: Area(code=f"gz-{kind}", name=f"{kind} area", city="广州市", kind=kind)
    for kind in ("urban", "suburban", "remote")
}


class InMemoryDispatches(InMemoryRepository[Dispatch], DispatchRepository):
    async def timers_in(self, slot: str) -> list[tuple[str, datetime]]:
        found = []
        for stored in self._store.stored.values():
            at = stored.aggregate.next_timer_at(SLA.clocks.alarm_every.length())
            if at is not None and slot_of(at, TIMER_SLOT) == slot:
                found.append((stored.aggregate.id, at))
        return found


class InMemoryCheckpoint:
    def __init__(self) -> None:
        self.looked_up_to: datetime | None = None

    async def read(self) -> datetime | None:
        return self.looked_up_to

    async def advance(self, to: datetime) -> None:
        self.looked_up_to = max(self.looked_up_to or to, to)


def dispatch_service(
    store: InMemoryStore[Dispatch],
    clock: FakeClock | None = None,
    checkpoint: InMemoryCheckpoint | None = None,
    **settings: Any,
) -> DispatchService:
    """Dispatch on the in-memory store; several built on one store and checkpoint act as replicas."""

    def unit() -> DispatchUnit:
        return DispatchUnit(source_of("dispatch"), InMemoryDispatches(store))

    return bootstrap(
        DispatchSettings(**UNIT_SETTINGS | settings),
        unit=unit,
        checkpoint=checkpoint or InMemoryCheckpoint(),
        clock=clock or FakeClock(),
    ).handlers


def a_work_order(type_: str = "fault_repair", **changes: Any) -> WorkOrderCreatedV1:
    fields = {
        "work_order_id": f"WO-{uuid4().hex[:12]}",
        "contact_id": f"C-{uuid4().hex}",
        "province": "gd",
        "type": type_,
        "channel": "web",
        "created_at": datetime.now(UTC),
        "customer": Customer(
            name="李四", phone="+8613926012345", home_region="Guangzhou, Guangdong", home_province="gd"
        ),
        "address": "天河路1号",
        "description": "停电",
    } | changes
    return WorkOrderCreatedV1.model_validate(fields)


def opened(order: WorkOrderCreatedV1, now: datetime) -> tuple[Dispatch, WorkOrderDispatchedV1]:
    """The work order dispatched by the default tables at `now`."""
    return Dispatch.open(order, RuleTable.load().route(order).department, SLA.plan_for(order), now, RULES)


def a_reply(order: WorkOrderCreatedV1, **changes: Any) -> DepartmentRepliedV1:
    fields = {
        "reply_id": f"R-{uuid4().hex}",
        "work_order_id": order.work_order_id,
        "dispatch_id": dispatch_id_for(order.work_order_id),
        "department": "repair",
        "kind": "final",
        "message": "线路已修复",
        "replied_at": FakeClock().now + timedelta(minutes=30),
    } | changes
    return DepartmentRepliedV1.model_validate(fields)


def an_act(order: WorkOrderCreatedV1, action: str, **changes: Any) -> DepartmentActedV1:
    fields = {
        "action_id": f"A-{uuid4().hex}",
        "work_order_id": order.work_order_id,
        "dispatch_id": dispatch_id_for(order.work_order_id),
        "department": "repair",
        "action": action,
        "at": FakeClock().now,
    } | changes
    return DepartmentActedV1.model_validate(fields)


def a_request(order: WorkOrderCreatedV1, action: str, **changes: Any) -> DispatchActionRequestedV1:
    fields = {
        "action_id": f"S-{uuid4().hex}",
        "work_order_id": order.work_order_id,
        "province": "gd",
        "action": action,
        "by": "supervisor-1",
        "reason": "客户催办",
        "at": FakeClock().now,
    } | changes
    return DispatchActionRequestedV1.model_validate(fields)
