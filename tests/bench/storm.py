"""A storm on the real stack, for `make bench`: fault reports over many areas from concurrent clients,
each joining one of a hundred open incidents, against the same number of reports that each open a work
order of their own (a meter fault: no incident), in the same run. Intake runs as its own process (its
memory is measured); the gateway and dispatch in the bench's."""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from contracts.envelope import decode
from contracts.ids import work_order_id_for
from contracts.topics import Topics
from tests.bench.housekeeping import drop_databases, peak_rss_mib, skip_backlog, store_databases
from tests.bench.progress import log
from tests.support import stack as local_stack
from tests.support.processes import ServiceProcess
from tests.support.running import Tap, eventually, running_subsystem, service_env
from tests.support.storm_replay import Replay, area_table, post_storm

PROVINCE = "hb"  # its topics and stores are the storm's alone
AREAS, CATEGORIES = 50, ("no_power", "line_down")  # 100 incidents
REPORTS = 2000


@dataclass(frozen=True)
class Storm:
    reports: int
    incidents: int
    storm_per_s: float  # accepted to every report placed (linked, or opening its incident)
    own_work_orders_per_s: float  # the same count of reports each opening its own work order
    link_p50_ms: float  # a report's 202 to intake's announcement of where it went
    link_p99_ms: float
    intake_peak_rss_mib: float | None

    @property
    def ratio(self) -> float:
        return self.storm_per_s / self.own_work_orders_per_s


async def storm_bench(stack: local_stack.Stack, out: Path) -> Storm:
    areas = out / "storm_areas.json"
    area_table(PROVINCE, areas, AREAS)
    settings = {"AREAS_PATH": str(areas), "GATEWAY_RATE_LIMIT": "10000000/minute"}
    env = service_env(stack, PROVINCE, "intake") | settings
    # From empty stores and no backlog: the incidents are this run's alone.
    await drop_databases(stack.mongodb_uri, store_databases(service_env(stack, PROVINCE), PROVINCE))
    await skip_backlog(stack.kafka, PROVINCE)
    intake = ServiceProcess("intake", env, out / "storm_intake.log")
    topics = Topics(PROVINCE)
    await intake.start()
    try:
        async with (
            running_subsystem(stack, PROVINCE, ["gateway", "dispatch"], settings=settings) as subsystem,
            Tap(stack, topics.workorders) as announced,
        ):
            own = Replay(REPORTS, AREAS, ("meter_fault",))
            own_s = await _timed(subsystem.gateway, own, announced, "hotline.workorder.created.v1")
            log(f"storm baseline: {REPORTS} reports opening their own work orders in {own_s:.1f}s")
            storm = Replay(REPORTS, AREAS, CATEGORIES)
            storm_s = await _timed(subsystem.gateway, storm, announced, None)
            latencies = sorted(_link_latencies(storm, announced.records))
            log(f"storm: {REPORTS} reports into {AREAS * len(CATEGORIES)} incidents in {storm_s:.1f}s")
        return Storm(
            REPORTS,
            AREAS * len(CATEGORIES),
            REPORTS / storm_s,
            REPORTS / own_s,
            statistics.median(latencies),
            latencies[max(0, int(len(latencies) * 0.99) - 1)],
            peak_rss_mib(intake.pid) if intake.pid is not None else None,
        )
    finally:
        intake.stop()


async def _timed(gateway: Any, replay: Replay, announced: Any, created: str | None) -> float:
    """Seconds from the first post until intake has announced where every report went."""
    began = time.monotonic()
    await post_storm(gateway, replay)

    async def all_announced() -> bool:
        await announced.poll()
        return len(_placed(replay, announced.records, created)) >= replay.reports

    await eventually(all_announced, timeout=600, every=0.5)
    return time.monotonic() - began


def _placed(replay: Replay, records: list[Any], created: str | None) -> dict[str, float]:
    """Each of the replay's contacts -> when intake announced it (the record's time, epoch s): linked, or
    the work order it opened (created, or the incident's)."""
    by_order = {work_order_id_for(contact): contact for contact in replay.accepted}
    wanted = {created.encode()} if created else {b"hotline.contact.linked.v1", b"hotline.incident.opened.v1"}
    placed: dict[str, float] = {}
    for record in records:
        headers = dict(record.headers)
        if headers.get("ce_type") not in wanted:
            continue
        if headers["ce_type"] == b"hotline.contact.linked.v1":
            contact = decode(headers, record.key, record.value).data.contact_id  # type: ignore[attr-defined]
        else:
            contact = by_order.get(record.key.decode())
        if contact in replay.accepted:
            placed.setdefault(contact, record.timestamp / 1000)
    return placed


def _link_latencies(replay: Replay, records: list[Any]) -> list[float]:
    placed = _placed(replay, records, None)
    return [(placed[c] - accepted) * 1000 for c, accepted in replay.accepted.items() if c in placed]
