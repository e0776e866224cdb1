"""The gateway's lists at scale: its case files holding 1,000,000 open work orders (fifty departments,
ten types, two hundred agents, joined over thirty days, due over the ten ahead; 5% overdue, 1% on the
supervisor's queue), each with the list entries the gateway's own code gives it. Measured in process
against the store: a page of each kind of list (first and next by cursor) and the handover view, next to
one lookup by `_id` in the same run; the write side, a batch of steps recorded with their list entries
set again, next to the same batch written without; and the store's size for the case files, the lists'
directory and their indexes.

A benchmark, not a test: it asserts nothing about timings.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from pymongo import AsyncMongoClient, UpdateOne

from contracts.lifecycle import State
from plumbing.write_guard import guarded
from services.gateway.adapters import MongoCaseFiles
from services.gateway.case_file_documents import step_document
from services.gateway.case_files import CaseChanges, StepNote
from services.gateway.list_paging import due_page, queue_page
from services.gateway.work_order_lists import ListFilter, View
from tests.bench.figures import fmt
from tests.bench.housekeeping import drop_databases
from tests.bench.open_case_files import (
    DEPARTMENTS,
    OPEN,
    PROVINCE,
    STATUSES,
    TYPES,
    WRITERS,
    directory,
    fill,
    template_of,
)
from tests.bench.progress import log
from tests.bench.sla_timers import sizes
from tests.support import stack as local_stack
from tests.support.running import DATABASE_PREFIX

REPEATS, PAGE = 20, 50
Document = dict[str, Any]


@dataclass(frozen=True)
class ListFigures:
    open_work_orders: int
    lookup_ms: float
    pages_ms: dict[str, tuple[float, float]]  # list -> (p50, p99) of a first page and the next
    handover_ms: tuple[float, float]
    record_per_step_ms: float
    record_raw_per_step_ms: float
    store_mib: float | None
    index_mib: float | None
    fill_s: float

    @property
    def ratio(self) -> float:
        return self.record_raw_per_step_ms / self.record_per_step_ms


def spread(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[max(0, int(len(ordered) * 0.99) - 1)]


async def timed_pages(files: MongoCaseFiles, now: datetime) -> dict[str, tuple[float, float]]:
    kinds: dict[str, Callable[[int], ListFilter]] = {
        "province open": lambda r: ListFilter(View.OPEN),
        "department open": lambda r: ListFilter(View.OPEN, department=f"dept-{r % DEPARTMENTS:02d}"),
        "department x type": lambda r: ListFilter(View.OPEN, department=f"dept-{r:02d}", type=TYPES[r % 10]),
        "agent's": lambda r: ListFilter(View.OPEN, owner=f"{PROVINCE}.agent.{r:03d}"),
        # A status's index and a type's share their parity (both are the work order's number's remainders).
        "status": lambda r: ListFilter(
            View.STATUS, status=STATUSES[r % 2 + 2 * (r // 10 % 2)], type=TYPES[r % 10]
        ),
        "province status": lambda r: ListFilter(View.STATUS, status=STATUSES[r % len(STATUSES)]),
        "province overdue": lambda r: ListFilter(View.OVERDUE),
        "supervisor queue": lambda r: ListFilter(View.ESCALATED),
    }
    figures = {}
    for name, wanted in kinds.items():
        samples = []
        for r in range(REPEATS):
            began = time.perf_counter()
            first = await queue_page(files, wanted(r), PAGE, now, None)
            await queue_page(files, wanted(r), PAGE, now, first.next)
            samples.append((time.perf_counter() - began) * 500)  # per page
        figures[name] = spread(samples)
    samples = []
    for r in range(REPEATS):
        due = ListFilter(View.DUE, department=f"dept-{r:02d}")
        began = time.perf_counter()
        await due_page(files, due, timedelta(hours=2), PAGE, now, None)
        samples.append((time.perf_counter() - began) * 1000)
    figures["department due within 2 h"] = spread(samples)
    samples = []
    for _ in range(REPEATS):
        began = time.perf_counter()
        first = await due_page(files, ListFilter(View.DUE), timedelta(hours=2), PAGE, now, None)
        await due_page(files, ListFilter(View.DUE), timedelta(hours=2), PAGE, now, first.next)
        samples.append((time.perf_counter() - began) * 500)  # per page
    figures["province due within 2 h"] = spread(samples)
    return figures


async def timed_handover(files: MongoCaseFiles, now: datetime) -> tuple[float, float]:
    """What GET /v1/handover reads for one department: each type's first page and four more lists."""
    samples = []
    for r in range(REPEATS):
        department = f"dept-{r:02d}"
        began = time.perf_counter()
        for kind in TYPES:
            await queue_page(files, ListFilter(View.OPEN, department=department, type=kind), 20, now, None)
        for view in (View.OVERDUE, View.ESCALATED, View.INCIDENTS):
            await queue_page(files, ListFilter(view, department=department), 20, now, None)
        await due_page(files, ListFilter(View.DUE, department=department), timedelta(hours=2), 20, now, None)
        samples.append((time.perf_counter() - began) * 1000)
    return spread(samples)


async def timed_records(files: MongoCaseFiles, collection: Any, now: datetime) -> tuple[float, float]:
    """ms per step recorded (entries set again) and per step written alone: 500 stored work orders, in
    batches of 100 as the gateway's consumer takes them (FerretDB 1.24 holds a connection per update of a
    command until it ends: a far larger one would exhaust its pool)."""

    def steps(offset: int) -> list[tuple[str, StepNote]]:
        return [
            (
                f"WO-L-{n:09d}",
                StepNote(
                    f"S-{offset}-{n}",
                    3,
                    "chased",
                    State.ACCEPTED,
                    now,
                    "gd.agent",
                    "dept-00",
                    "D1",
                    "进度?",
                    clocks=(),
                    escalated=False,
                ),
            )
            for n in range(offset, offset + 500)
        ]

    began = time.perf_counter()
    taken = steps(1000)
    for first in range(0, 500, 100):
        await files.record(CaseChanges(steps=taken[first : first + 100]))
        await files.lists.place_pending()  # as the gateway's placing loop does, every half second
    with_lists = (time.perf_counter() - began) * 1000 / 500
    writes = [
        UpdateOne({"_id": i}, guarded({"$addToSet": {"steps": step_document(s)}})) for i, s in steps(5000)
    ]
    began = time.perf_counter()
    for first in range(0, 500, 100):
        await collection.bulk_write(writes[first : first + 100], ordered=True)
    raw = (time.perf_counter() - began) * 1000 / 500
    return with_lists, raw


async def list_pages_bench(stack: local_stack.Stack, open_orders: int = OPEN) -> ListFigures:
    name = f"{DATABASE_PREFIX}_{PROVINCE}_gateway"
    await drop_databases(stack.mongodb_uri, [name])
    client: AsyncMongoClient[Document] = AsyncMongoClient(
        stack.mongodb_uri, tz_aware=True, maxPoolSize=WRITERS * 2
    )
    try:
        collection = client[name]["case_files"]
        files = MongoCaseFiles(collection)
        await files.ensure_indexes()
        now = datetime.now(UTC)
        template = await template_of(files, collection, now)
        began = time.monotonic()
        log(f"storing {open_orders:,} open case files with their list entries")
        listed = await fill(collection, template, open_orders, now)
        await directory(files, listed)
        fill_s = time.monotonic() - began
        lookups = []
        for n in range(REPEATS * 10):
            started = time.perf_counter()
            await collection.find_one({"_id": f"WO-L-{n * 4999 % open_orders:09d}"})
            lookups.append((time.perf_counter() - started) * 1000)
        log("timing a page of each list, and the handover view")
        pages = await timed_pages(files, now)
        handover = await timed_handover(files, now)
        log("timing steps recorded with their list entries, and without")
        record, raw = await timed_records(files, collection, now)
        store_mib, index_mib = await sizes(name, "case_files%")
    finally:
        await client.close()
    return ListFigures(
        open_orders, statistics.median(lookups), pages, handover, record, raw, store_mib, index_mib, fill_s
    )


def lists_line(f: dict[str, Any]) -> str:
    pages = ", ".join(f"{name} {fmt(p50)}/{fmt(p99)} ms" for name, (p50, p99) in f["pages_ms"].items())
    return (
        f"Lists ({f['open_work_orders']:,} open case files; page of {PAGE}, p50/p99): {pages}; handover "
        f"view {fmt(f['handover_ms'][0])}/{fmt(f['handover_ms'][1])} ms; one lookup by _id "
        f"{fmt(f['lookup_ms'])} ms. "
        f"A step recorded with its list entries {fmt(f['record_per_step_ms'])} ms vs written alone "
        f"{fmt(f['record_raw_per_step_ms'])} ms (ratio {f['ratio']:.2f}); store {fmt(f['store_mib'])} MiB "
        f"incl. {fmt(f['index_mib'])} MiB indexes; filled in {f['fill_s']:.0f}s"
    )
