"""A million open case files for the lists' bench (tests/bench/list_pages.py), each a document as the
gateway stores it, varied by department, state, owner, type, clocks, supervisor flag and incident, with the
list entries the gateway's own code derives from it, and the directory of the hours those lists have
entries in."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any

from contracts.events import ClockReading, WorkOrderType
from contracts.lifecycle import State
from services.gateway.adapters import MongoCaseFiles
from services.gateway.case_file_documents import case_file_of
from services.gateway.case_files import CaseChanges, CaseFacts, DispatchNote, StepNote
from services.gateway.list_store import UNPLACED
from services.gateway.work_order_lists import Standing, entries, noted
from tests.bench.progress import log

PROVINCE = "hi"  # its store is this bench's alone
OPEN, DEPARTMENTS, OWNERS, DAYS_JOINED, DAYS_DUE = 1_000_000, 50, 200, 30, 10
TYPES = [t.value for t in WorkOrderType]
STATUSES = ("dispatched", "accepted", "in_progress", "resolved")
BATCH, WRITERS = 2_000, 8
Document = dict[str, Any]


def standing(n: int, now: datetime) -> tuple[Standing, datetime]:
    """The n-th work order's place on the lists, and the moment it joined them."""
    joined = now - timedelta(days=DAYS_JOINED) * ((n * 7919 % OPEN) / OPEN)
    overdue, escalated = n % 20 == 0, n % 100 == 1
    # Deadlines spread as joins are (a few work orders a minute share one), not clumped on a few moments.
    ahead = timedelta(days=DAYS_DUE) * ((n * 104_729 % OPEN) / OPEN)
    due = now - timedelta(hours=1 + n % 48) if overdue else now + ahead
    status = STATUSES[n % 4]
    return Standing(
        work_order_id=f"WO-L-{n:09d}",
        status=status,
        department=f"dept-{n % DEPARTMENTS:02d}",
        owner=f"{PROVINCE}.agent.{n % OWNERS:03d}",
        type=TYPES[n % len(TYPES)],
        next_due_at=due,
        overdue=overdue,
        escalated=escalated,
        incident=n % 500 == 3,
        created_at=joined,
    ), joined


def document_of(template: Document, n: int, now: datetime) -> Document:
    """The template case file as the n-th work order: its department, state, clocks (overdue or not),
    supervisor flag and incident as `standing` has them, and the list entries the gateway's own code
    derives from that document."""
    place, joined = standing(n, now)
    due = place.next_due_at
    clock = template["dispatches"][0]["clocks"][0] | {
        "started_at": joined,
        "due_at": due,
        "alarms": 1 if place.overdue else 0,
    }
    form = template["dispatches"][0] | {
        "department": place.department,
        "reply_due_at": due,
        "clocks": [clock],
    }
    step = template["steps"][0] | {
        "department": place.department,
        "by": place.department,
        "state": place.status,
        "clocks": [clock],
        "escalated": place.escalated,
    }
    document = template | {
        "_id": place.work_order_id,
        "type": place.type,
        "owner": place.owner,
        "queue": place.owner,
        "created_at": joined,
        "dispatches": [form],
        "steps": [step] if place.status != "dispatched" else [],
    }
    document.pop(UNPLACED, None)
    if place.incident:
        document["incident_id"] = f"INC-L-{n:09d}"
    document["lists"] = entries(case_file_of(document), [], joined)
    return document


async def template_of(files: MongoCaseFiles, collection: Any, now: datetime) -> Document:
    """One case file as the gateway writes it: dispatched, accepted, with its clocks."""
    facts = CaseFacts(
        "WO-L-template",
        PROVINCE,
        WorkOrderType.FAULT_REPAIR,
        "停电",
        "+8613977112345",
        channel="web",
        created_at=now,
        anonymous=False,
        missing=(),
    )
    clock = ClockReading(stage="result", dispatch_id="D1", started_at=now, due_at=now + timedelta(hours=4))
    note = DispatchNote("D1", "dept-00", now, now + timedelta(hours=4), (clock,))
    step = StepNote(
        "S2", 2, "accepted", State.ACCEPTED, now, "dept-00", "dept-00", "D1", clocks=(clock,), escalated=False
    )
    await files.record(
        CaseChanges(from_intake=[facts], dispatched=[(facts, note)], steps=[("WO-L-template", step)])
    )
    document: Document = await collection.find_one({"_id": "WO-L-template"})
    await collection.delete_one({"_id": "WO-L-template"})
    return document


async def fill(collection: Any, template: Document, count: int, now: datetime) -> set[str]:
    """Stores the case files; the queue lists' entries they hold (for the directory)."""
    listed: set[str] = set()

    async def writer(offset: int) -> None:
        for first in range(offset * BATCH, count, BATCH * WRITERS):
            batch = [document_of(template, n, now) for n in range(first, min(first + BATCH, count))]
            listed.update(e for d in batch for e in d["lists"] if noted(e))
            await collection.insert_many(batch, ordered=False)
            if first % 100_000 < BATCH:
                log(f"  {first + len(batch):,} case files stored")

    await asyncio.gather(*(writer(offset) for offset in range(WRITERS)))
    return listed


async def directory(files: MongoCaseFiles, listed: set[str]) -> None:
    """The hours each list has entries in, as the gateway notes them before writing a case file."""
    hours = sorted(listed)
    for first in range(0, len(hours), BATCH):
        await files.lists._note(hours[first : first + BATCH])
    log(f"  {len(hours):,} list buckets noted in the directory")
