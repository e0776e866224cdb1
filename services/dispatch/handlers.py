"""Dispatching new work orders to departments and recording the departments' replies."""

import asyncio
from collections.abc import Callable, Sequence

from contracts.envelope import Envelope
from contracts.events import DepartmentRepliedV1, WorkOrderCreatedV1
from contracts.topics import Topics
from services.common.clock import Clock
from services.dispatch.domain.dispatch import Dispatch, UnknownDispatch
from services.dispatch.domain.routing import RuleTable
from services.dispatch.ports import UnitFactory


class DispatchHandlers:
    def __init__(
        self, unit: UnitFactory, rules: Callable[[], RuleTable], topics: Topics, clock: Clock
    ) -> None:
        """`rules`: the routing table in force (the file's, read again when it changes)."""
        self._unit = unit
        self._rules = rules
        self._topics = topics
        self._clock = clock

    async def work_orders_created(self, envelopes: Sequence[Envelope]) -> None:
        rules = self._rules()  # one table for the whole batch
        async with self._unit() as uow:
            for envelope in envelopes:
                order = envelope.data
                assert isinstance(order, WorkOrderCreatedV1)
                dispatch, dispatched = Dispatch.open(order, rules.route(order), self._clock())
                uow.dispatches.add(dispatch)
                department = self._topics.department(dispatch.department)
                event_id = uow.publish(dispatched, department, dispatch, cause=envelope)
                # The same event, same id, for notify and qa: they follow progress, not department topics.
                uow.publish(
                    dispatched, self._topics.dispatch_progress, dispatch, cause=envelope, event_id=event_id
                )

    async def departments_replied(self, envelopes: Sequence[Envelope]) -> None:
        replies = [envelope.data for envelope in envelopes]
        async with self._unit() as uow:
            # Loaded at once; a work order's replies in one batch then meet the same Dispatch, in order.
            ids = {reply.work_order_id for reply in replies if isinstance(reply, DepartmentRepliedV1)}
            await asyncio.gather(*(uow.dispatches.get(work_order_id) for work_order_id in ids))
            for envelope, reply in zip(envelopes, replies, strict=True):
                assert isinstance(reply, DepartmentRepliedV1)
                dispatch = await uow.dispatches.get(reply.work_order_id)
                if dispatch is None:
                    raise UnknownDispatch(
                        f"no dispatch {reply.dispatch_id} for work order {reply.work_order_id}"
                    )
                replied = dispatch.record_reply(reply, self._clock())
                if replied is not None:
                    uow.publish(replied, self._topics.dispatch_progress, dispatch, cause=envelope)
