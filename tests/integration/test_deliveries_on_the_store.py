"""Delivery reports kept on the real store: each report of a text once, however often Kannel sends it or
however many of its reports arrive at once, and the text's delivery read from them."""

import asyncio
from uuid import uuid4

from contracts.events import DeliveryState
from services.notify.adapters import MongoDeliveries
from services.notify.domain.deliveries import report_reference_for
from tests.unit.test_delivery_reports import report


async def test_reports_arriving_together_and_again_are_each_kept_once(store):
    database, _ = store
    deliveries = MongoDeliveries(database[f"deliveries_{uuid4().hex[:8]}"])
    reference = report_reference_for(f"N-{uuid4().hex}")
    submitted = report(reference, DeliveryState.SUBMITTED, 8)
    delivered = report(reference, DeliveryState.DELIVERED, 1, later=3)
    await asyncio.gather(
        deliveries.record(submitted), deliveries.record(delivered), deliveries.record(submitted)
    )
    delivery = await deliveries.record(delivered)
    assert sorted(r.gateway_status for r in delivery.reports) == [1, 8]
    assert delivery.state is DeliveryState.DELIVERED
