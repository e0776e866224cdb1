"""Turning accepted contacts into stored work orders."""

from collections.abc import Sequence

from contracts.envelope import Envelope
from contracts.events import ContactReceivedV1
from contracts.topics import Topics
from services.common.clock import Clock
from services.intake.domain.work_order import WorkOrder
from services.intake.ports import UnitFactory


class IntakeHandlers:
    def __init__(self, unit: UnitFactory, topics: Topics, clock: Clock) -> None:
        self._unit = unit
        self._topics = topics
        self._clock = clock

    async def contacts_received(self, envelopes: Sequence[Envelope]) -> None:
        async with self._unit() as uow:
            for envelope in envelopes:
                assert isinstance(envelope.data, ContactReceivedV1)
                order, created = WorkOrder.open(envelope.data, self._clock())
                uow.work_orders.add(order)
                uow.publish(created, self._topics.workorders, order, cause=envelope)
