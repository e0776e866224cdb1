"""Dispatching new work orders, and taking the steps departments and supervisors ask for."""

import asyncio
from collections.abc import Callable, Sequence
from typing import Any

from contracts.envelope import Envelope
from contracts.events import (
    FOR_THE_DEPARTMENT,
    DepartmentActedV1,
    DepartmentRepliedV1,
    DispatchActionRequestedV1,
    Event,
    WorkOrderCreatedV1,
)
from contracts.topics import Topics
from services.common.clock import Clock
from services.common.working_calendar import WorkingCalendar
from services.dispatch.domain.dispatch import ClockRules, Dispatch, UnknownDispatch
from services.dispatch.domain.routing import RuleTable
from services.dispatch.domain.sla import SlaTable
from services.dispatch.domain.steps import department_acted, record_reply, supervise
from services.dispatch.ports import DispatchUnit, UnitFactory

Inbound = DepartmentRepliedV1 | DepartmentActedV1 | DispatchActionRequestedV1


class Tables:
    """The operators' tables in force: routing, SLA and the working calendar (each read again when its
    file changes)."""

    def __init__(
        self,
        routing: Callable[[], RuleTable],
        sla: Callable[[], SlaTable],
        calendar: Callable[[], WorkingCalendar],
    ) -> None:
        self.routing, self.sla, self.calendar = routing, sla, calendar

    def clock_rules(self) -> ClockRules:
        return ClockRules(self.calendar(), self.sla().clocks)


def publish_steps(
    uow: DispatchUnit, topics: Topics, dispatch: Dispatch, events: Sequence[Event], cause: Envelope | None
) -> None:
    """Every step on the progress topic; what the department acts on on its topic too, the same event."""
    for event in events:
        event_id = uow.publish(event, topics.dispatch_progress, dispatch, cause=cause)
        if isinstance(event, FOR_THE_DEPARTMENT):
            department = topics.department(event.department)
            uow.publish(event, department, dispatch, cause=cause, event_id=event_id)


class DispatchHandlers:
    def __init__(self, unit: UnitFactory, tables: Tables, topics: Topics, clock: Clock, log: Any) -> None:
        self._unit = unit
        self._tables = tables
        self._topics = topics
        self._clock = clock
        self._log = log

    async def work_orders_created(self, envelopes: Sequence[Envelope]) -> None:
        routing, sla, rules = self._tables.routing(), self._tables.sla(), self._tables.clock_rules()
        now = self._clock()
        async with self._unit() as uow:
            for envelope in envelopes:
                order = envelope.data
                assert isinstance(order, WorkOrderCreatedV1)
                route = routing.route(order)
                dispatch, dispatched = Dispatch.open(order, route.department, sla.plan_for(order), now, rules)
                self._say_if_provisional(dispatch)
                uow.dispatches.add(dispatch)
                department = self._topics.department(dispatch.department)
                event_id = uow.publish(dispatched, department, dispatch, cause=envelope)
                # The same event, same id, for notify and qa: they follow progress, not department topics.
                uow.publish(
                    dispatched, self._topics.dispatch_progress, dispatch, cause=envelope, event_id=event_id
                )

    async def departments_replied(self, envelopes: Sequence[Envelope]) -> None:
        await self._take(envelopes)

    async def departments_acted(self, envelopes: Sequence[Envelope]) -> None:
        await self._take(envelopes)

    async def actions_requested(self, envelopes: Sequence[Envelope]) -> None:
        await self._take(envelopes)

    async def _take(self, envelopes: Sequence[Envelope]) -> None:
        rules, now, routing = self._tables.clock_rules(), self._clock(), self._tables.routing()
        async with self._unit() as uow:
            # Loaded at once; a work order's steps in one batch then meet the same Dispatch, in order.
            ids = {envelope.data.work_order_id for envelope in envelopes}  # type: ignore[attr-defined]
            await asyncio.gather(*(uow.dispatches.get(work_order_id) for work_order_id in ids))
            for envelope in envelopes:
                asked = envelope.data
                assert isinstance(asked, Inbound)
                dispatch = await uow.dispatches.get(asked.work_order_id)
                if dispatch is None:
                    raise UnknownDispatch(f"no work order {asked.work_order_id} at dispatch")
                events: list[Event] = []
                if isinstance(asked, DepartmentRepliedV1):
                    replied = record_reply(dispatch, asked, now, rules)
                    events = [replied] if replied else []
                elif isinstance(asked, DepartmentActedV1):
                    events = department_acted(dispatch, asked, routing, now, rules)
                else:
                    events = supervise(dispatch, asked, routing, now, rules)
                if events:
                    self._say_if_provisional(dispatch)
                    publish_steps(uow, self._topics, dispatch, events, envelope)

    def _say_if_provisional(self, dispatch: Dispatch) -> None:
        for clock in dispatch.live_clocks():
            if clock.provisional:
                # Loud, not silent: the deadline stands on a guess until an operator extends the calendar.
                self._log.error(
                    "deadline set past the working calendar",
                    work_order_id=dispatch.work_order_id,
                    stage=clock.stage,
                    due_at=clock.due_at.isoformat() if clock.due_at else None,
                    reason=clock.provisional,
                )
