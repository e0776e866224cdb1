"""SLA timers: each warning and alarm fires once, with its urge to the department, however many replicas
look and whenever dispatch was down; escalation after the configured number of alarms."""

import asyncio
from datetime import UTC, datetime, timedelta

from contracts.topics import Topics
from services.dispatch.domain.dispatch import Dispatch
from services.dispatch.domain.routing import RuleTable
from services.dispatch.handlers import Tables
from services.dispatch.ports import DispatchUnit
from services.dispatch.timers import GIVE_UP_AFTER, Timers
from tests.fake_dispatch import (
    AREAS,
    CALENDAR,
    SLA,
    InMemoryCheckpoint,
    InMemoryDispatches,
    a_reply,
    a_work_order,
    dispatch_service,
)
from tests.fakes import FakeClock, InMemoryStore, envelope_of, source_of

PROGRESS = "gd.dispatch.progress"
TOPICS = Topics("gd")


def of_type(store: InMemoryStore[Dispatch], ce_type: str, topic: str = PROGRESS) -> list:
    return [envelope.data for envelope in store.bus.on(topic) if envelope.type == ce_type]


async def an_urban_repair(store: InMemoryStore[Dispatch], clock: FakeClock, checkpoint: InMemoryCheckpoint):
    order = a_work_order(area=AREAS["urban"])
    service = dispatch_service(store, clock, checkpoint)
    await service.handlers.work_orders_created([envelope_of(order)])
    return order, service


async def test_the_arrival_warning_fires_at_75_percent_with_an_urge_to_the_crew_and_once_only():
    store: InMemoryStore[Dispatch] = InMemoryStore()
    clock, checkpoint = FakeClock(), InMemoryCheckpoint()
    order, service = await an_urban_repair(store, clock, checkpoint)
    clock.advance(minutes=33)
    await service.timers.fire_due()
    assert of_type(store, "hotline.deadline.warning.v1") == []
    clock.advance(minutes=1)  # 34 min: past 33 min 45 s, 75% of 45 min
    await service.timers.fire_due()
    await service.timers.fire_due()
    (warning,) = of_type(store, "hotline.deadline.warning.v1")
    assert (warning.work_order_id, warning.stage) == (order.work_order_id, "arrival")
    (urge,) = of_type(store, "hotline.workorder.urged.v1", "gd.dispatch.repair")
    assert urge.stage == "arrival"
    assert urge.message.startswith("arrival due ")


async def test_a_round_knows_the_first_timer_of_the_next_slot_and_the_next_round_fires_it_then():
    warns_at = datetime(2026, 11, 23, 10, 40, 0, 200_000, tzinfo=UTC)  # just into a slot of its own
    clock, checkpoint = FakeClock(warns_at - timedelta(minutes=45 * 0.75)), InMemoryCheckpoint()
    store: InMemoryStore[Dispatch] = InMemoryStore()
    _, service = await an_urban_repair(store, clock, checkpoint)
    clock.now = warns_at - timedelta(seconds=0.5)  # the slot before
    await service.timers.fire_due()
    assert service.timers.next_at == warns_at, "the next round waits for it, not a whole interval"
    clock.now = warns_at
    await service.timers.fire_due()
    assert len(of_type(store, "hotline.deadline.warning.v1")) == 1


async def test_a_timer_written_after_it_was_due_fires_within_the_next_sweep_once():
    store: InMemoryStore[Dispatch] = InMemoryStore()
    clock, checkpoint = FakeClock(), InMemoryCheckpoint()
    _, service = await an_urban_repair(store, clock, checkpoint)
    await service.timers.fire_due()
    now = clock.now
    clock.now = now - timedelta(minutes=34)  # a replica that wrote late: its warning was due 15 s ago
    await service.handlers.work_orders_created([envelope_of(a_work_order(area=AREAS["urban"]))])
    for after in (0.2, 0.6, 1.2, 1.8):
        clock.now = now + timedelta(seconds=after)
        await service.timers.fire_due()
    assert len(of_type(store, "hotline.deadline.warning.v1")) == 1


async def test_two_replicas_looking_at_the_same_minute_raise_each_alarm_once():
    store: InMemoryStore[Dispatch] = InMemoryStore()
    clock, checkpoint = FakeClock(), InMemoryCheckpoint()
    await an_urban_repair(store, clock, checkpoint)
    replicas = [dispatch_service(store, clock, checkpoint).timers for _ in range(2)]
    await asyncio.gather(*(replica.fire_due() for replica in replicas))
    clock.advance(minutes=46)
    for _ in range(3):
        await asyncio.gather(*(replica.fire_due() for replica in replicas))
    assert len(of_type(store, "hotline.deadline.warning.v1")) == 1
    assert [alarm.alarm for alarm in of_type(store, "hotline.deadline.alarm.v1")] == [1]


async def test_timers_due_while_dispatch_was_down_fire_at_restart_once():
    store: InMemoryStore[Dispatch] = InMemoryStore()
    clock, checkpoint = FakeClock(), InMemoryCheckpoint()
    _, service = await an_urban_repair(store, clock, checkpoint)
    await service.timers.fire_due()  # the checkpoint: looked at up to now
    clock.advance(hours=3)  # down meanwhile: warning, alarm at 45 min, another at 2 h 45
    restarted = dispatch_service(store, clock, checkpoint).timers
    await restarted.fire_due()
    await restarted.fire_due()
    assert len(of_type(store, "hotline.deadline.warning.v1")) == 1
    (alarm,) = [a for a in of_type(store, "hotline.deadline.alarm.v1") if a.stage == "arrival"]
    assert alarm.alarm == 2  # intervals overdue, caught up in one alarm


async def test_a_clock_still_overdue_after_three_alarms_escalates_to_the_supervisor_once():
    store: InMemoryStore[Dispatch] = InMemoryStore()
    clock, checkpoint = FakeClock(), InMemoryCheckpoint()
    order, service = await an_urban_repair(store, clock, checkpoint)
    for _ in range(4 * 3):  # every 30 minutes for six hours: alarms at 45 min, 2 h 45, 4 h 45
        clock.advance(minutes=30)
        await service.timers.fire_due()
    arrival = [a.alarm for a in of_type(store, "hotline.deadline.alarm.v1") if a.stage == "arrival"]
    assert arrival == [1, 2, 3]
    (escalated,) = of_type(store, "hotline.workorder.escalated.v1")
    assert escalated.reason == "arrival: 3 alarms"
    assert store[order.work_order_id].escalated


async def test_a_final_reply_in_time_stops_the_crews_clocks_and_the_call_centres_starts():
    store: InMemoryStore[Dispatch] = InMemoryStore()
    clock, checkpoint = FakeClock(), InMemoryCheckpoint()
    order, service = await an_urban_repair(store, clock, checkpoint)
    clock.advance(minutes=20)
    await service.handlers.departments_replied([envelope_of(a_reply(order))])
    clock.advance(hours=23)
    await service.timers.fire_due()
    assert of_type(store, "hotline.deadline.alarm.v1") == []
    # Only the call centre's answer to the customer, due a working day after the reply, has warned.
    assert [w.stage for w in of_type(store, "hotline.deadline.warning.v1")] == ["customer_reply"]
    clock.advance(days=3)
    await service.timers.fire_due()
    (late,) = of_type(store, "hotline.deadline.alarm.v1")
    assert late.stage == "customer_reply"
    assert of_type(store, "hotline.workorder.urged.v1", "gd.dispatch.repair") == []  # the call centre's
    assert store[order.work_order_id].history[-1].at - clock.now < timedelta(seconds=1)


class Broken(InMemoryDispatches):
    """A store on which one work order can never be read: its timer fails every round."""

    broken: str = ""

    async def get(self, aggregate_id: str):  # type: ignore[no-untyped-def]
        if aggregate_id == self.broken:
            raise RuntimeError("unreadable document")
        return await super().get(aggregate_id)


async def test_a_timer_that_always_fails_holds_no_other_back_and_is_set_aside():
    store: InMemoryStore[Dispatch] = InMemoryStore()
    clock, checkpoint = FakeClock(), InMemoryCheckpoint()
    broken, _ = await an_urban_repair(store, clock, checkpoint)
    clock.advance(minutes=10)
    healthy, _ = await an_urban_repair(store, clock, checkpoint)
    Broken.broken = broken.work_order_id
    log = RecordingLog()
    tables = Tables(RuleTable.load, lambda: SLA, lambda: CALENDAR)
    timers = Timers(
        lambda: DispatchUnit(source_of("dispatch"), Broken(store)), checkpoint, tables, TOPICS, clock, log
    )
    clock.advance(minutes=34)
    for _ in range(GIVE_UP_AFTER + 1):
        await timers.fire_due()
        clock.advance(seconds=30)
    warned = [w.work_order_id for w in of_type(store, "hotline.deadline.warning.v1")]
    assert warned == [healthy.work_order_id]
    assert [entry["event"] for entry in log.errors][-1].startswith("timer set aside")
    assert checkpoint.looked_up_to is not None
    assert checkpoint.looked_up_to > clock.now - timedelta(minutes=3)


class RecordingLog:
    def __init__(self) -> None:
        self.errors: list[dict[str, object]] = []

    def error(self, event: str, **fields: object) -> None:
        self.errors.append({"event": event, **fields})
