"""Documents an older release stored, upgraded once on the real store: a dispatch of schema 1 gets the
timer slot its clocks are found by, a case file from before the lists is put on them (and one on the
province's due list by the hour is placed by the five minutes), a document that cannot be read is
logged and holds no other back, and a store upgraded once is not scanned again."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from uuid import uuid4

from plumbing.outbox import OutboxRelay
from plumbing.stored_upgrades import upgrade_once
from plumbing.write_guard import guarded
from services.dispatch.adapters import DispatchDocuments, MongoDispatches, older_schemas
from services.dispatch.ports import DispatchUnit
from services.gateway.adapters import MongoCaseFiles
from services.gateway.case_files import CaseChanges
from services.gateway.list_paging import due_page, queue_page
from services.gateway.work_order_lists import ListFilter, View
from tests.fake_dispatch import SLA
from tests.fakes import source_of
from tests.integration.test_lists_on_the_store import NOW, dispatched

DISPATCHED_AT = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)


def a_schema_1_dispatch(n: int) -> dict[str, object]:
    """A dispatch as the first releases stored it: one form's fields at the top level, a status and a
    reply deadline, no clocks and no timer slot."""
    work_order_id = f"WO-OLD-{uuid4().hex[:8]}-{n}"
    return {
        "_id": work_order_id,
        "schema": 1,
        "version": 3,
        "work_order_id": work_order_id,
        "dispatch_id": f"{work_order_id}-D1",
        "province": "gd",
        "type": "complaint",
        "department": "business",
        "customer": {"phone": "+8613926012345"},
        "description": "电费偏高",
        "dispatched_at": DISPATCHED_AT,
        "reply_due_at": DISPATCHED_AT + timedelta(days=2),
        "status": "dispatched",
        "history": [{"at": DISPATCHED_AT, "action": "dispatched", "department": "business"}],
    }


class Log:
    def __init__(self) -> None:
        self.lines: list[tuple[str, dict[str, object]]] = []

    def info(self, event: str, **fields: object) -> None:
        self.lines.append((event, fields))

    error = info


async def test_old_dispatches_get_their_timer_slot_once_and_an_unreadable_one_holds_none_back(store):
    database, broker = store
    collection = database[f"dispatches_{uuid4().hex[:8]}"]
    mapper = DispatchDocuments(lambda: SLA.clocks.alarm_every.length())
    old = [a_schema_1_dispatch(n) for n in range(120)]  # more than a batch
    broken = a_schema_1_dispatch(999) | {"status": "lost"}  # no schema-1 status: unreadable
    await collection.insert_many([*old, broken])

    def unit() -> DispatchUnit:
        return DispatchUnit(
            source_of("dispatch"), MongoDispatches(collection, OutboxRelay(collection, broker), mapper)
        )

    marks, log = database[f"upgrades_{uuid4().hex[:8]}"], Log()
    upgrade = older_schemas(collection, unit)
    assert await upgrade_once(upgrade, marks, log) == 120
    stored = await collection.find_one({"_id": old[7]["_id"]})
    assert (stored["schema"], stored["state"]) == (2, "dispatched")
    assert stored["timer_slot"] is not None, "its result clock's warning is found by a round now"
    assert [fields["id"] for event, fields in log.lines if event == "stored document not upgraded"] == [
        broken["_id"]
    ]
    await collection.insert_one(a_schema_1_dispatch(1000))
    assert await upgrade_once(upgrade, marks, log) == 0, "upgraded once: the store is not scanned again"


async def test_case_files_from_before_the_lists_are_put_on_them_once(store):
    database, _ = store
    collection = database[f"case_files_{uuid4().hex}"]
    files = MongoCaseFiles(collection)
    await files.ensure_indexes()
    department = f"repair-{uuid4().hex[:6]}"
    orders = [dispatched(department) for _ in range(3)]
    await files.record(CaseChanges(dispatched=orders))
    # As an older release stored them: never placed.
    ids = [facts.work_order_id for facts, _ in orders]
    await collection.update_many({"_id": {"$in": ids}}, guarded({"$unset": {"lists": "", "unplaced": ""}}))
    await collection.insert_one({"_id": "WO-UNREADABLE", "type": "no such type"})
    wanted = ListFilter(View.OPEN, department=department)
    assert (await queue_page(files, wanted, 10, NOW, None)).cases == []
    marks, log = database[f"upgrades_{uuid4().hex[:8]}"], Log()
    assert await upgrade_once(files.lists.unlisted(), marks, log) == 3
    listed = (await queue_page(files, wanted, 10, NOW, None)).cases
    assert sorted(c.facts.work_order_id for c in listed) == sorted(ids)
    assert [fields["id"] for event, fields in log.lines if event == "stored document not upgraded"] == [
        "WO-UNREADABLE"
    ]
    assert await files.lists.sweep() == 0, "left unmarked: the placing loop's sweep is not jammed by it"


async def test_case_files_an_earlier_release_put_on_the_province_due_list_by_the_hour_are_placed_again(store):
    database, _ = store
    collection = database[f"case_files_{uuid4().hex}"]
    files = MongoCaseFiles(collection)
    await files.ensure_indexes()
    now = datetime.now(UTC)
    facts, note = dispatched(f"repair-{uuid4().hex[:6]}")
    clock = note.clocks[0].model_copy(update={"due_at": now + timedelta(minutes=30)})
    await files.record(CaseChanges(dispatched=[(facts, replace(note, clocks=(clock,)))]))
    await files.lists.place_pending(now)
    whole_province = ListFilter(View.DUE)
    [listed] = (await due_page(files, whole_province, timedelta(hours=2), 10, now, None)).cases
    # As the earlier release placed it: by the hour of its deadline, which no directory notes.
    document = await collection.find_one({"_id": facts.work_order_id})
    by_hour = [entry.split(":")[0] if entry.startswith("due@") else entry for entry in document["lists"]]
    await collection.update_one({"_id": facts.work_order_id}, guarded({"$set": {"lists": by_hour}}))
    await database[f"{collection.name}_lists"].delete_many({"key": "due"})
    assert (await due_page(files, whole_province, timedelta(hours=2), 10, now, None)).cases == []
    marks, log = database[f"upgrades_{uuid4().hex[:8]}"], Log()
    release = MongoCaseFiles(collection)  # this release's first start
    assert await upgrade_once(release.lists.due_by_the_hour(), marks, log) == 1
    [found] = (await due_page(release, whole_province, timedelta(hours=2), 10, now, None)).cases
    assert found.facts.work_order_id == listed.facts.work_order_id == facts.work_order_id
    assert await upgrade_once(release.lists.due_by_the_hour(), marks, log) == 0, "marked done: no second scan"
