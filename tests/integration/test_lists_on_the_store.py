"""The lists on the real store: a work order's entries follow its case file whichever subscription
wrote last, each list reads back a page at a time in the order work orders joined it, and an hour long
emptied is dropped from the list's directory."""

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from uuid import uuid4

from contracts.events import ClockReading, WorkOrderType
from contracts.lifecycle import State
from services.gateway.adapters import MongoCaseFiles
from services.gateway.case_files import CaseChanges, CaseFacts, DispatchNote, StepNote
from services.gateway.list_paging import queue_page
from services.gateway.work_order_lists import ListFilter, View, hour_of
from tests.integration.test_case_files_on_the_store import opened

# Lists are placed by the hour: every placement here is as of NOW, so a run that crosses an hour
# reads the same directory as one that does not.
NOW = datetime.now(UTC).replace(microsecond=0)


def dispatched(department: str) -> tuple[CaseFacts, DispatchNote]:
    """A fault repair as intake opened it (a new id), sent to `department` with its arrival clock."""
    facts = replace(opened(WorkOrderType.FAULT_REPAIR), created_at=NOW)
    form = f"{facts.work_order_id}-D1"
    clock = ClockReading(stage="arrival", dispatch_id=form, started_at=NOW, due_at=NOW)
    return facts, DispatchNote(form, department, NOW, NOW + timedelta(days=1), (clock,))


def alarmed(facts: CaseFacts, department: str) -> StepNote:
    form = f"{facts.work_order_id}-D1"
    clock = ClockReading(stage="arrival", dispatch_id=form, started_at=NOW, due_at=NOW, warned=True, alarms=1)
    return StepNote(
        f"{form}:alarm",
        2,
        "deadline_alarm",
        State.DISPATCHED,
        NOW,
        "dispatch",
        department,
        form,
        stage="arrival",
        clocks=(clock,),
        escalated=False,
    )


def closed_step(facts: CaseFacts, note: DispatchNote, department: str) -> tuple[str, StepNote]:
    """The agent's closing of a dispatched work order, as the case files record it."""
    step = StepNote(
        f"{note.dispatch_id}:closed",
        2,
        "closed",
        State.CLOSED,
        NOW,
        "gd.agent",
        department,
        note.dispatch_id,
        clocks=(),
        escalated=False,
    )
    return facts.work_order_id, step


async def files_on(store) -> MongoCaseFiles:
    database, _ = store
    files = MongoCaseFiles(database[f"case_files_{uuid4().hex}"])
    await files.ensure_indexes()
    return files


async def test_a_work_order_written_by_both_subscriptions_at_once_ends_on_the_lists_its_file_calls_for(store):
    files = await files_on(store)
    department = f"repair-{uuid4().hex[:6]}"
    orders = [dispatched(department) for _ in range(12)]
    # The dispatch and its alarm arrive at once on two subscriptions: each write sets the entries again.
    await asyncio.gather(
        *(files.record(CaseChanges(dispatched=[order])) for order in orders),
        *(
            files.record(CaseChanges(steps=[(facts.work_order_id, alarmed(facts, department))]))
            for facts, _ in orders
        ),
    )
    await files.lists.place_pending(NOW)
    overdue = ListFilter(View.OVERDUE, department=department)
    page = await queue_page(files, overdue, 50, NOW, None)
    assert sorted(c.facts.work_order_id for c in page.cases) == sorted(f.work_order_id for f, _ in orders)


async def test_a_list_reads_back_a_page_at_a_time_and_an_hour_long_emptied_is_forgotten(store):
    files = await files_on(store)
    department = f"repair-{uuid4().hex[:6]}"
    orders = [dispatched(department) for _ in range(5)]
    await files.record(CaseChanges(dispatched=orders))
    await files.lists.place_pending(NOW)
    wanted = ListFilter(View.OPEN, department=department)
    first = await queue_page(files, wanted, 3, NOW, None)
    rest = await queue_page(files, wanted, 3, NOW, first.next)
    assert rest.next is None
    listed = [c.facts.work_order_id for c in (*first.cases, *rest.cases)]
    assert listed == sorted(f.work_order_id for f, _ in orders)
    assert await files.buckets(wanted.key) == [hour_of(NOW)]
    closed = [closed_step(facts, note, department) for facts, note in orders]
    await files.record(CaseChanges(steps=closed))
    await files.lists.place_pending(NOW)
    assert (await queue_page(files, wanted, 3, NOW, None)).cases == []
    assert await files.buckets(wanted.key) == [hour_of(NOW)], "the hour may fill still: kept"
    later = NOW + timedelta(hours=4)
    assert (await queue_page(files, wanted, 3, later, None)).cases == []
    assert await files.buckets(wanted.key) == [], "long emptied: no reader asks for it again"


async def test_what_a_crashed_gateway_changed_but_never_placed_is_placed_by_the_sweep_of_another(store):
    database, _ = store
    collection = database[f"case_files_{uuid4().hex}"]
    crashed, survivor = MongoCaseFiles(collection), MongoCaseFiles(collection)
    await crashed.ensure_indexes()
    department = f"repair-{uuid4().hex[:6]}"
    order = dispatched(department)
    await crashed.record(CaseChanges(dispatched=[order]))  # and died before its next round
    wanted = ListFilter(View.OPEN, department=department)
    assert (await queue_page(survivor, wanted, 10, NOW, None)).cases == []
    assert await survivor.lists.sweep(NOW) >= 1
    [listed] = (await queue_page(survivor, wanted, 10, NOW, None)).cases
    assert listed.facts.work_order_id == order[0].work_order_id

    document = await collection.find_one({"_id": order[0].work_order_id})
    assert "unplaced" not in document


async def test_the_province_wide_list_reads_its_hour_by_five_minute_parts_and_drops_the_hour_once_emptied(
    store,
):
    files = await files_on(store)
    hour = NOW.replace(minute=0, second=0) - timedelta(hours=4)
    department = f"repair-{uuid4().hex[:6]}"
    late, early = [dispatched(department) for _ in range(3)], [dispatched(department) for _ in range(2)]
    for joined, orders in ((hour + timedelta(minutes=47), late), (hour + timedelta(minutes=6), early)):
        await files.record(CaseChanges(dispatched=orders))
        await files.lists.place_pending(joined)
    whole = ListFilter(View.OPEN)
    first = await queue_page(files, whole, 3, NOW, None)
    rest = await queue_page(files, whole, 3, NOW, first.next)
    listed = [c.facts.work_order_id for c in (*first.cases, *rest.cases)]
    by_part = [*sorted(f.work_order_id for f, _ in early), *sorted(f.work_order_id for f, _ in late)]
    assert listed == by_part, "the five minutes each joined in, then the id"
    assert rest.next is None
    assert await files.buckets(whole.key) == [f"{hour_of(hour)}*"], "the hour noted once, as split"
    closed = [closed_step(facts, note, department) for facts, note in (*late, *early)]
    await files.record(CaseChanges(steps=closed))
    await files.lists.place_pending(NOW)
    assert (await queue_page(files, whole, 3, NOW, None)).cases == []
    assert await files.buckets(whole.key) == [], "every part long emptied: no reader asks for it again"
