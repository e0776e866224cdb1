"""SLA timers at scale: dispatch as its own process on a store holding 1,000,000 open work orders with
live clocks (urban repairs, opened by the domain so every clock and timer is what dispatch would have
written; their next timers spread over the two days ahead), then a few thousand whose arrival warnings
fall due, at a steady pace, over two minutes. Measured: each warning's lateness (from its due moment to
the record on the progress topic), how many fired and whether any twice, dispatch's peak memory, and
the store's size for the collection and its indexes; then, dispatch started again on the store as a
release's first start finds it, how long the one-time scan for dispatches of older schemas takes at
this size (plumbing/stored_upgrades.py).

A benchmark, not a test: it asserts nothing about timings.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from pymongo import AsyncMongoClient

from contracts.envelope import decode
from contracts.events import EVENTS_BY_TYPE, DeadlineWarningV1
from contracts.topics import Topics
from deploy.local.stack.postgres import DATABASE, PORT, ROLE, Postgres
from deploy.local.stack.probes import HOST
from deploy.local.stack.processes import RUN
from plumbing.mongo_repository import ensure_indexes
from services.dispatch.adapters import DispatchDocuments
from tests.bench.figures import fmt
from tests.bench.housekeeping import drop_databases, peak_rss_mib, skip_backlog
from tests.bench.progress import log
from tests.fake_dispatch import AREAS, SLA, a_work_order, opened
from tests.support import stack as local_stack
from tests.support.processes import ServiceProcess
from tests.support.running import DATABASE_PREFIX, Tap, service_env

PROVINCE = "qh"  # its topics and store are this bench's alone
OPEN, DUE, WINDOW = 1_000_000, 3_000, timedelta(minutes=2)
TEMPLATES = 2_880  # one per minute of the two days ahead
BATCH, WRITERS = 2_000, 8
WARNING_AFTER = timedelta(minutes=45 * 0.75)  # an urban repair's arrival warning
UPGRADE_PATIENCE = 1_800.0  # seconds
Document = dict[str, Any]


@dataclass(frozen=True)
class TimerFigures:
    open_work_orders: int
    due: int
    fired: int
    fired_twice: int
    lateness_p50_ms: float | None
    lateness_p99_ms: float | None
    lateness_max_ms: float | None
    dispatch_peak_rss_mib: float | None
    store_mib: float | None
    index_mib: float | None
    fill_s: float
    upgrade_scan_s: float | None = None  # a first start to its one-time upgrade pass marked done


def _mapper() -> DispatchDocuments:
    return DispatchDocuments(lambda: SLA.clocks.alarm_every.length())


def template(warns_at: datetime) -> Document:
    """An urban repair dispatched so that its arrival warning falls at `warns_at`."""
    dispatch, _ = opened(a_work_order(area=AREAS["urban"], province=PROVINCE), warns_at - WARNING_AFTER)
    return _mapper().to_document(dispatch) | {
        "version": 1,
        "schema": DispatchDocuments.schema,
        "outbox": {},
        "has_outbox": False,
        "outbox_at": warns_at,
    }


def numbered(document: Document, n: int) -> Document:
    """The template as the n-th work order: its own ids wherever the document names them."""
    work_order_id = f"WO-SLA-{n:09d}"
    dispatch_id = f"{work_order_id}-D1"
    return document | {
        "_id": work_order_id,
        "work_order_id": work_order_id,
        "dispatch_id": dispatch_id,
        "forms": [form | {"dispatch_id": dispatch_id} for form in document["forms"]],
        "clocks": [clock | {"dispatch_id": dispatch_id} for clock in document["clocks"]],
        "history": [entry | {"dispatch_id": dispatch_id} for entry in document["history"]],
    }


async def fill(collection: Any, start: datetime, count: int) -> None:
    templates = [template(start + timedelta(hours=1, minutes=k)) for k in range(TEMPLATES)]

    async def writer(offset: int) -> None:
        for first in range(offset * BATCH, count, BATCH * WRITERS):
            batch = [numbered(templates[n % TEMPLATES], n) for n in range(first, min(first + BATCH, count))]
            await collection.insert_many(batch, ordered=False)
            if first % 100_000 < BATCH:
                log(f"  {first + len(batch):,} open work orders stored")

    await asyncio.gather(*(writer(offset) for offset in range(WRITERS)))


async def sizes(database: str, tables: str = "dispatches%") -> tuple[float | None, float | None]:
    """The collections' size on disk and their indexes' (MiB), as PostgreSQL under FerretDB holds them
    (FerretDB's own collStats leaves the documents' TOAST storage out); None if not told."""
    postgres = Postgres(RUN / "ferretdb" / "postgres")
    query = (
        "SELECT sum(pg_total_relation_size(c.oid)), sum(pg_indexes_size(c.oid)) FROM pg_class c "
        "JOIN pg_namespace n ON n.oid = c.relnamespace "
        f"WHERE n.nspname = '{database}' AND c.relkind = 'r' AND c.relname LIKE '{tables}'"
    )
    command = ["psql", "-h", HOST, "-p", str(PORT), "-U", ROLE, "-d", DATABASE, "-At", "-c", query]
    try:
        found = await asyncio.create_subprocess_exec(
            *command,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,
            env=os.environ | {"PGPASSWORD": postgres.password()},
        )
        out, _ = await found.communicate()
        total, indexes = (int(value) / (1024 * 1024) for value in out.decode().strip().split("|"))
    except (OSError, ValueError):
        return None, None
    return total, indexes


async def warnings_seen(tap: Any, ours: set[str], until: float) -> tuple[list[float], int]:
    """Lateness (ms) of each warning about `ours` as it reached the topic, and how many came twice."""
    lateness: dict[str, float] = {}
    twice = 0
    while time.monotonic() < until and len(lateness) < len(ours):
        for record in await tap.poll(500):
            envelope = decode(dict(record.headers or ()), record.key, record.value, EVENTS_BY_TYPE)
            data = envelope.data
            if not isinstance(data, DeadlineWarningV1) or data.work_order_id not in ours:
                continue
            warn_at = data.started_at + (data.due_at - data.started_at) * SLA.clocks.warning_at
            if data.work_order_id in lateness:
                twice += 1
                continue
            lateness[data.work_order_id] = record.timestamp - warn_at.timestamp() * 1000
    return list(lateness.values()), twice


async def sla_timers_bench(stack: local_stack.Stack, out: Path, open_orders: int = OPEN) -> TimerFigures:
    env = service_env(stack, PROVINCE, "dispatch") | {"DISPATCH_TIMER_SECONDS": "1"}
    name = f"{DATABASE_PREFIX}_{PROVINCE}_dispatch"
    await drop_databases(stack.mongodb_uri, [name])
    await skip_backlog(stack.kafka, PROVINCE)
    client: AsyncMongoClient[Document] = AsyncMongoClient(env["MONGODB_URI"], tz_aware=True)
    database = client[name]
    collection = database["dispatches"]
    process = ServiceProcess("dispatch", env, out / "sla_dispatch.log")
    try:
        await ensure_indexes(collection, _mapper())
        await collection.create_index("has_outbox")
        began = time.monotonic()
        log(f"storing {open_orders:,} open work orders with live clocks")
        await fill(collection, datetime.now(UTC), open_orders)
        fill_s = time.monotonic() - began
        # The warnings are timed in steady state: a store this release has upgraded already. The one-time
        # scan a first start makes is timed after, on its own.
        upgrade = f"dispatches: schema {DispatchDocuments.schema}"
        await database["upgrades"].insert_one({"_id": upgrade, "at": datetime.now(UTC)})
        log(f"stored them in {fill_s:.0f}s; starting dispatch")
        await process.start()
        topics = Topics(PROVINCE)
        async with Tap(stack, topics.dispatch_progress) as tap:
            first = datetime.now(UTC) + timedelta(seconds=20)
            due = [template(first + WINDOW * (n / DUE)) for n in range(DUE)]
            documents = [numbered(document, open_orders + n) for n, document in enumerate(due)]
            await collection.insert_many(documents, ordered=False)
            log(f"{DUE:,} arrival warnings fall due over {WINDOW.total_seconds():.0f}s from now")
            ours = {document["_id"] for document in documents}
            until = time.monotonic() + 20 + WINDOW.total_seconds() + 60
            lateness, twice = await warnings_seen(tap, ours, until)
        rss = peak_rss_mib(process.pid) if process.pid is not None else None
        process.stop()
        log("timing the one-time scan for dispatches of older schemas a first start makes")
        await database["upgrades"].delete_one({"_id": upgrade})
        await process.start()
        upgrade_s = await upgrade_finished(database["upgrades"], upgrade, time.monotonic())
        store_mib, index_mib = await sizes(name)
    finally:
        process.stop()
        await client.close()
    ordered = sorted(lateness)
    return TimerFigures(
        open_work_orders=open_orders + DUE,
        due=DUE,
        fired=len(ordered),
        fired_twice=twice,
        lateness_p50_ms=statistics.median(ordered) if ordered else None,
        lateness_p99_ms=ordered[int(len(ordered) * 0.99) - 1] if ordered else None,
        lateness_max_ms=ordered[-1] if ordered else None,
        dispatch_peak_rss_mib=rss,
        store_mib=store_mib,
        index_mib=index_mib,
        fill_s=fill_s,
        upgrade_scan_s=upgrade_s,
    )


async def upgrade_finished(
    marks: Any, name: str, started: float, within: float = UPGRADE_PATIENCE
) -> float | None:
    """Seconds from dispatch's start until its upgrade pass is marked done; None if not within `within`."""
    while time.monotonic() - started < within:
        if await marks.find_one({"_id": name}) is not None:
            return time.monotonic() - started
        await asyncio.sleep(1.0)
    return None


def timers_line(t: dict[str, Any]) -> str:
    """Dispatch's warnings at scale (tests/bench/sla_timers.py)."""
    return (
        f"SLA timers ({t['open_work_orders']:,} open work orders with live clocks, dispatch in its own "
        f"process): {t['fired']} of {t['due']} warnings due over 2 min fired, {t['fired_twice']} twice; "
        f"lateness p50 {fmt(t['lateness_p50_ms'])} ms p99 {fmt(t['lateness_p99_ms'])} ms max "
        f"{fmt(t['lateness_max_ms'])} ms; dispatch {fmt(t['dispatch_peak_rss_mib'], 0)} MiB (peak RSS); "
        f"store {fmt(t['store_mib'], 0)} MiB, indexes {fmt(t['index_mib'], 0)} MiB; "
        f"filled in {t['fill_s']:.0f}s; a first start's one-time scan for older schemas (timed apart) took "
        f"{fmt(t.get('upgrade_scan_s'), 0)} s"
    )
