"""The store at the sizes operators run: a million work orders and dispatches, and lookups as it grows.

Documents are the services' own: each is rendered by the service's document mapper from one real
aggregate, then given its own ids, so the store holds what production writes (about 1 KB apiece).
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from pymongo import AsyncMongoClient

from contracts.events import ContactReceivedV1, WorkOrderCreatedV1
from plumbing.due_minutes import slot_of
from services.dispatch.adapters import DispatchDocuments
from services.dispatch.ports import TIMER_SLOT
from services.intake.adapters import WorkOrderDocuments
from services.intake.domain.rules import IntakeRules
from services.intake.domain.tiers import TierRules
from services.intake.domain.type_fields import FieldRules
from services.intake.domain.work_order import WorkOrder
from tests.bench.directory import fill_directory
from tests.bench.progress import log
from tests.fake_dispatch import SLA, opened

RULES = IntakeRules(TierRules.load(), FieldRules.load())

Document = dict[str, Any]
BATCH = 2000
WRITERS = 4
# Filler dispatches' timers fall from a day after the bench starts on.
LATER = datetime.now(UTC) + timedelta(days=1)


def templates(province: str) -> tuple[Document, Document]:
    """One stored work order and its dispatch, as the services' mappers render them."""
    now = datetime.now(UTC)
    contact = ContactReceivedV1(
        contact_id="C-template",
        channel="web",
        received_at=now,
        province=province,
        phone="+8613926012345",
        customer_name="陈女士",
        address="广州市天河区体育西路 1 号 3 栋 1201 房",
        description="家里整栋楼停电，冰箱里有药品，请尽快安排抢修。" * 4,
        requested_type="fault_repair",
        category="no_power",
    )
    order, created = WorkOrder.open(contact, now, None, RULES)
    assert isinstance(created, WorkOrderCreatedV1), "the template lacks a field its type requires"
    dispatch, _ = opened(created, now)
    stored = {"version": 1, "outbox": {}, "has_outbox": False, "outbox_at": now}
    work_order = WorkOrderDocuments().to_document(order) | stored | {"schema": WorkOrderDocuments.schema}
    mapper = DispatchDocuments(lambda: SLA.clocks.alarm_every.length())
    dispatched = mapper.to_document(dispatch) | stored | {"schema": DispatchDocuments.schema}
    return work_order, dispatched


def own_work_order(n: int) -> Document:
    """The n-th stored work order's own fields: its ids, and the customer and contact it is found by."""
    contact = f"C-BENCH-{n:09d}"
    return {"contact_id": contact, "contacts": [contact], "open_for": [f"phone:+86138{n:08d}"]}


def own_dispatch(n: int) -> Document:
    """Its ids, and its next timer a day or more away (spread over a month's minutes): none falls due
    while the bench measures."""
    work_order_id = f"WO-BENCH-{n:09d}"
    timer_at = LATER + timedelta(minutes=n % (30 * 24 * 60))
    return {
        "work_order_id": work_order_id,
        "dispatch_id": f"{work_order_id}-D1",
        "timer_at": timer_at,
        "timer_slot": slot_of(timer_at, TIMER_SLOT),
    }


async def fill(
    collection: Any, template: Document, start: int, stop: int, own: Callable[[int], Document]
) -> None:
    """Documents `start`..`stop` of `template`, each with its own _id and the fields `own` gives it."""

    async def writer(offset: int) -> None:
        for first in range(start + offset * BATCH, stop, BATCH * WRITERS):
            batch = [
                template | {"_id": f"WO-BENCH-{n:09d}"} | own(n)
                for n in range(first, min(first + BATCH, stop))
            ]
            await collection.insert_many(batch, ordered=False)

    await asyncio.gather(*(writer(offset) for offset in range(WRITERS)))


async def fill_stores(uris: dict[str, str], databases: dict[str, str], province: str, count: int) -> float:
    """`count` work orders in intake's store and as many dispatches in dispatch's, each written as that
    service's own store user (`uris`), so the service owns what it finds; seconds it took."""
    work_order, dispatch = templates(province)
    intake: AsyncMongoClient[Document] = AsyncMongoClient(uris["intake"], tz_aware=True)
    dispatcher: AsyncMongoClient[Document] = AsyncMongoClient(uris["dispatch"], tz_aware=True)
    began = time.monotonic()
    try:
        await asyncio.gather(
            fill(intake[databases["intake"]]["work_orders"], work_order, 0, count, own_work_order),
            fill_directory(intake[databases["intake"]], count),
            fill(dispatcher[databases["dispatch"]]["dispatches"], dispatch, 0, count, own_dispatch),
        )
    finally:
        await intake.close()
        await dispatcher.close()
    took = time.monotonic() - began
    log(f"stored {count:,} work orders and {count:,} dispatches in {took:.0f}s")
    return took


async def timed_lookups(collection: Any, size: int, samples: int) -> tuple[tuple[float, float], ...]:
    """p50 and p99 of lookups by _id and by contact_id, a different document each time, over all `size`."""

    async def by_id(n: int) -> object:
        return await collection.find_one({"_id": f"WO-BENCH-{n * 7919 % size:09d}"})

    async def by_field(n: int) -> object:
        return await collection.find_one({"contact_id": f"C-BENCH-{n * 104729 % size:09d}"})

    return await timed(by_id, samples), await timed(by_field, samples)


@dataclass(frozen=True)
class Lookups:
    documents: int
    by_id_p50_ms: float
    by_id_p99_ms: float
    by_field_p50_ms: float
    by_field_p99_ms: float


async def timed(query: Callable[[int], Awaitable[object]], samples: int) -> tuple[float, float]:
    times = []
    for sample in range(samples):
        began = time.perf_counter()
        await query(sample)
        times.append((time.perf_counter() - began) * 1000)
    times.sort()
    return statistics.median(times), times[max(0, int(len(times) * 0.99) - 1)]


async def lookups(
    mongodb_uri: str, database: str, sizes: tuple[int, ...], samples: int = 300
) -> list[Lookups]:
    """Lookups by _id and by an indexed field (contact_id) as one collection grows through `sizes`."""
    work_order, _ = templates("yn")
    client: AsyncMongoClient[Document] = AsyncMongoClient(mongodb_uri, tz_aware=True)
    collection = client[database]["work_orders"]
    figures = []
    try:
        await client.drop_database(database)
        await collection.create_index("contact_id")
        held = 0
        for size in sizes:
            await fill(collection, work_order, held, size, own_work_order)
            held = size
            by_id, by_field = await timed_lookups(collection, size, samples)
            figures.append(Lookups(size, *by_id, *by_field))
            log(f"lookups at {size:,}: _id p50 {by_id[0]:.2f} ms, contact_id p50 {by_field[0]:.2f} ms")
    finally:
        await client.drop_database(database)
        await client.close()
    return figures
