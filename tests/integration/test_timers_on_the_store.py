"""SLA timers on the real store and bus: two replicas looking at the same minutes raise each warning and
alarm once, and a replica started after an outage fires what fell due meanwhile, once."""

import asyncio
from collections import Counter
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import structlog

from contracts.envelope import decode
from contracts.events import EVENTS_BY_TYPE
from contracts.topics import Topics
from plumbing.mongo_repository import ensure_indexes
from plumbing.outbox import OutboxRelay
from services.dispatch.adapters import DispatchDocuments, MongoDispatches, MongoTimerCheckpoint
from services.dispatch.domain.routing import RuleTable
from services.dispatch.handlers import DispatchHandlers, Tables
from services.dispatch.ports import DispatchUnit
from services.dispatch.timers import Timers
from tests.fake_dispatch import AREAS, CALENDAR, SLA, a_work_order
from tests.fakes import FakeClock, envelope_of
from tests.integration.conftest import PROVINCE
from tests.support.running import Tap

TOPICS = Topics(PROVINCE)
SOURCE = f"/hotline/province/{PROVINCE}/dispatch"
NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
TABLES = Tables(RuleTable.load, lambda: SLA, lambda: CALENDAR)
LOG = structlog.get_logger()
CLOCKS = ("hotline.deadline.warning.v1", "hotline.deadline.alarm.v1", "hotline.workorder.escalated.v1")


class Replicas:
    """Dispatch's units of work, timers and checkpoint over one test's own collections."""

    def __init__(self, store, clock: FakeClock) -> None:
        database, self.broker = store
        suffix = uuid4().hex[:8]
        self.collection = database[f"dispatches_{suffix}"]
        self.checkpoints = database[f"dispatch_timers_{suffix}"]
        self.mapper = DispatchDocuments(lambda: SLA.clocks.alarm_every.length(), clock)
        self.clock = clock

    def unit(self) -> DispatchUnit:
        relay = OutboxRelay(self.collection, self.broker)
        return DispatchUnit(SOURCE, MongoDispatches(self.collection, relay, self.mapper))

    def timers(self) -> Timers:
        return Timers(self.unit, MongoTimerCheckpoint(self.checkpoints), TABLES, TOPICS, self.clock, LOG)

    async def dispatch(self, count: int) -> set[str]:
        await ensure_indexes(self.collection, self.mapper)
        orders = [a_work_order(area=AREAS["urban"]) for _ in range(count)]
        handlers = DispatchHandlers(self.unit, TABLES, TOPICS, self.clock, LOG)
        await handlers.work_orders_created([envelope_of(order) for order in orders])
        return {order.work_order_id for order in orders}


async def clock_events(tap, ours: set[str], expected: int) -> Counter[tuple[str, str, str, int]]:
    """(work order, type, stage, alarm) of every clock event about `ours`, counted once per event id (the
    outbox delivers at least once; consumers drop a repeated id), once `expected` have come and a while
    longer (a second firing would come with them)."""
    seen: Counter[tuple[str, str, str, int]] = Counter()
    ids: set[str] = set()
    deadline = asyncio.get_running_loop().time() + 60
    quiet_until = None
    while asyncio.get_running_loop().time() < deadline:
        for record in await tap.poll(500):
            headers = dict(record.headers or ())
            envelope = decode(headers, record.key, record.value, EVENTS_BY_TYPE)
            data = envelope.data
            if envelope.type in CLOCKS and data.work_order_id in ours and envelope.id not in ids:
                ids.add(envelope.id)
                stage, alarm = getattr(data, "stage", ""), getattr(data, "alarm", 0)
                seen[(data.work_order_id, envelope.type, stage, alarm)] += 1
        if sum(seen.values()) >= expected:
            quiet_until = quiet_until or asyncio.get_running_loop().time() + 3
            if asyncio.get_running_loop().time() >= quiet_until:
                break
    return seen


async def test_two_replicas_on_the_store_raise_each_warning_and_alarm_once(store, stack):
    clock = FakeClock(NOW)
    replicas = Replicas(store, clock)
    async with Tap(stack, TOPICS.dispatch_progress) as tap:
        ours = await replicas.dispatch(20)
        timers = [replicas.timers() for _ in range(2)]
        for minutes in (34, 40, 46, 50):  # the arrival's warning at 33 min 45 s, its alarm at 45 min
            clock.now = NOW + timedelta(minutes=minutes)
            for _ in range(2):
                await asyncio.gather(*(replica.fire_due() for replica in timers))
        seen = await clock_events(tap, ours, expected=40)
    assert set(seen.values()) == {1}, "an event fired twice"
    assert Counter(kind for _, kind, _, _ in seen) == {
        "hotline.deadline.warning.v1": 20,
        "hotline.deadline.alarm.v1": 20,
    }


async def test_a_replica_started_after_an_outage_fires_what_fell_due_meanwhile_once(store, stack):
    clock = FakeClock(NOW)
    replicas = Replicas(store, clock)
    async with Tap(stack, TOPICS.dispatch_progress) as tap:
        ours = await replicas.dispatch(5)
        await replicas.timers().fire_due()  # looked at up to now, then dispatch goes down
        clock.now = NOW + timedelta(hours=3)
        restarted = [replicas.timers() for _ in range(2)]
        for _ in range(3):
            await asyncio.gather(*(replica.fire_due() for replica in restarted))
        seen = await clock_events(tap, ours, expected=10)
    assert set(seen.values()) == {1}
    assert {(kind, stage, alarm) for _, kind, stage, alarm in seen} == {
        ("hotline.deadline.warning.v1", "arrival", 0),
        ("hotline.deadline.alarm.v1", "arrival", 2),  # 2 h 15 overdue: the second alarm interval
    }
