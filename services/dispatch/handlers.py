"""Dispatching new work orders to departments and recording the departments' replies."""

from contracts.envelope import Envelope
from contracts.events import DepartmentRepliedV1, WorkOrderCreatedV1
from contracts.topics import Topics
from services.common.clock import Clock
from services.dispatch.domain.dispatch import Dispatch, UnknownDispatch
from services.dispatch.domain.routing import RuleTable
from services.dispatch.ports import UnitFactory


class DispatchHandlers:
    def __init__(self, unit: UnitFactory, rules: RuleTable, topics: Topics, clock: Clock) -> None:
        self._unit = unit
        self._rules = rules
        self._topics = topics
        self._clock = clock

    async def work_order_created(self, envelope: Envelope) -> None:
        order = envelope.data
        assert isinstance(order, WorkOrderCreatedV1)
        async with self._unit() as uow:
            dispatch, dispatched = Dispatch.open(order, self._rules.route(order.type), self._clock())
            uow.dispatches.add(dispatch)
            event_id = uow.publish(dispatched, self._topics.department(dispatch.department), dispatch)
            # The same event, same id, for notify and qa: they follow progress, not department topics.
            uow.publish(dispatched, self._topics.dispatch_progress, dispatch, event_id=event_id)

    async def department_replied(self, envelope: Envelope) -> None:
        reply = envelope.data
        assert isinstance(reply, DepartmentRepliedV1)
        async with self._unit() as uow:
            dispatch = await uow.dispatches.get(reply.work_order_id)
            if dispatch is None:
                raise UnknownDispatch(f"no dispatch {reply.dispatch_id} for work order {reply.work_order_id}")
            replied = dispatch.record_reply(reply, self._clock())
            if replied is not None:
                uow.publish(replied, self._topics.dispatch_progress, dispatch)
