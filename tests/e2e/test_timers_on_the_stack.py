"""SLA timers on the real stack: two dispatch processes raise each warning and alarm once; after both
are killed with kill -9 while the next alarm falls due, the one started again fires it, once, with the
escalation it brings. A department cannot act on another department's dispatch. The SLA table here gives
a repair's arrival one minute, so the clocks run in minutes, not hours."""

import asyncio
import json
from collections import Counter

from contracts.envelope import decode
from contracts.events import EVENTS_BY_TYPE, Event
from contracts.topics import Topics
from tests.support.processes import ServiceProcess
from tests.support.running import FAULT, Tap, running_subsystem, service_env

PROVINCE = "nm"
TOPICS = Topics(PROVINCE)
RESULT = {"within": {"hours": 24}, "starts": "dispatched", "ends": ["final_reply"], "result": True}
SLA = {
    "clocks": {"warning_at": 0.5, "alarm_every": {"minutes": 1}, "escalate_after_alarms": 2},
    "plans": [
        {
            "name": "fast-repair",
            "type": "fault_repair",
            "stages": [
                {"stage": "arrival", "within": {"minutes": 1}, "starts": "dispatched", "ends": ["arrived"]},
                {"stage": "completion", **RESULT},
            ],
        }
    ],
    "default": {"stages": [{"stage": "result", **RESULT}]},
}
CLOCK_TYPES = ("hotline.deadline.warning.v1", "hotline.deadline.alarm.v1", "hotline.workorder.escalated.v1")
Seen = Counter[tuple[str, int]]


def event_of(record) -> tuple[str, Event]:  # type: ignore[no-untyped-def]
    envelope = decode(dict(record.headers or ()), record.key, record.value, EVENTS_BY_TYPE)
    return envelope.id, envelope.data


async def collect(tap, work_order_id: str, seen: Seen, ids: set[str], wanted: int, patience: float) -> None:
    """Count each clock event of the work order once per event id (the outbox delivers at least once,
    with one id) until `wanted` are in, then some seconds more for a second firing to show."""
    loop = asyncio.get_running_loop()
    deadline, quiet = loop.time() + patience, None
    while loop.time() < deadline:
        for record in await tap.poll(500):
            event_id, data = event_of(record)
            if data.ce_type in CLOCK_TYPES and data.work_order_id == work_order_id and event_id not in ids:
                ids.add(event_id)
                seen[(data.ce_type, getattr(data, "alarm", 0))] += 1
        if sum(seen.values()) >= wanted:
            quiet = quiet or loop.time() + 5
            if loop.time() >= quiet:
                return


async def test_two_dispatch_replicas_fire_each_timer_once_and_a_restart_fires_what_fell_due(stack, tmp_path):
    sla = tmp_path / "sla.json"
    sla.write_text(json.dumps(SLA))
    env = service_env(stack, PROVINCE, "dispatch") | {"DISPATCH_SLA_PATH": str(sla)}
    replicas = [ServiceProcess("dispatch", env, tmp_path / f"dispatch-{n}.log") for n in range(2)]
    seen: Seen = Counter()
    ids: set[str] = set()
    async with (
        running_subsystem(stack, PROVINCE, ["gateway", "intake"]) as subsystem,
        Tap(stack, TOPICS.dispatch_progress) as progress,
    ):
        try:
            await asyncio.gather(*(replica.start() for replica in replicas))
            body = {"phone": "13912345678", "type": "fault_repair", "description": "整栋楼停电", **FAULT}
            posted = await subsystem.gateway.post("/v1/contacts/web", json=body)
            assert posted.status_code == 202, posted.text
            record = await progress.find(
                lambda r: dict(r.headers)["ce_type"] == b"hotline.workorder.dispatched.v1", timeout=60
            )
            _, dispatched = event_of(record)
            work_order_id = dispatched.work_order_id  # type: ignore[attr-defined]
            step = {"work_order_id": work_order_id, "dispatch_id": dispatched.dispatch_id, "action": "accept"}  # type: ignore[attr-defined]
            another = await subsystem.gateway.post("/v1/departments/billing/actions", json=step)
            assert another.status_code == 403, another.text
            await collect(progress, work_order_id, seen, ids, wanted=2, patience=120)  # at 30 s and 60 s
            assert seen == {("hotline.deadline.warning.v1", 0): 1, ("hotline.deadline.alarm.v1", 1): 1}
            for replica in replicas:
                replica.kill()
            await asyncio.sleep(75)  # the second alarm, and with it the escalation, fall due meanwhile
            await replicas[0].start()
            await collect(progress, work_order_id, seen, ids, wanted=4, patience=90)
        finally:
            for replica in replicas:
                replica.stop()
    assert seen == {
        ("hotline.deadline.warning.v1", 0): 1,
        ("hotline.deadline.alarm.v1", 1): 1,
        ("hotline.deadline.alarm.v1", 2): 1,
        ("hotline.workorder.escalated.v1", 0): 1,
    }
