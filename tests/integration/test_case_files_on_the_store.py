"""The gateway's case files on the real store: one closed as a link once complete leaves its owner's
waiting list (a contact linked as it arrived makes none), and one reclassified reads back with its new
type and every step once, however often each was delivered."""

from dataclasses import replace
from datetime import UTC, datetime
from uuid import uuid4

from contracts.events import WorkOrderType
from services.gateway.adapters import MongoCaseFiles
from services.gateway.case_files import (
    CaseChanges,
    CaseFacts,
    DispatchNote,
    LinkNote,
    Reclassification,
    ReclassNote,
)
from tests.integration.conftest import PROVINCE

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
# A complaint an agent found to be a question about the bill.
TO_QUERY = Reclassification(
    WorkOrderType.COMPLAINT, None, WorkOrderType.QUERY, "bill", "只是询问账单", "nn.agent", NOW
)


def opened(type_: WorkOrderType, **changes: object) -> CaseFacts:
    """A work order as intake's event announced it, with a new id."""
    facts = CaseFacts(
        work_order_id=f"WO-{uuid4().hex}",
        province=PROVINCE,
        type=type_,
        description="停电",
        phone="+8613977112345",
        channel="web",
        created_at=NOW,
        anonymous=False,
        missing=(),
    )
    return replace(facts, **changes)  # type: ignore[arg-type]


async def test_a_case_file_closed_as_a_link_leaves_the_waiting_list_and_a_plain_link_makes_none(store):
    database, _ = store
    files = MongoCaseFiles(database[f"case_files_{uuid4().hex}"])
    await files.ensure_indexes()
    waiting = opened(
        WorkOrderType.FAULT_REPAIR, owner="nn.agent", missing=(("category", "a fault_repair needs it"),)
    )
    await files.record(CaseChanges(from_intake=[waiting]))
    listed = await files.on_list("nn.agent", True, 10)
    never_filed = f"WO-{uuid4().hex}"
    links = [LinkNote(waiting.work_order_id, "WO-INCIDENT"), LinkNote(never_filed, "WO-INCIDENT")]
    for _ in range(2):  # delivered twice
        await files.record(CaseChanges(from_intake=list(links)))
    case = await files.find(waiting.work_order_id)
    assert [c.facts.work_order_id for c in listed] == [waiting.work_order_id]
    assert await files.on_list("nn.agent", True, 10) == []
    assert case is not None
    assert (case.status, case.facts.linked_to, case.facts.missing) == ("linked", "WO-INCIDENT", ())
    assert [c.facts.work_order_id for c in await files.on_list("nn.agent", False, 10)] == [
        waiting.work_order_id
    ]
    assert await files.find(never_filed) is None


async def test_a_reclassified_case_file_reads_back_with_its_new_type_and_each_step_once(store):
    database, _ = store
    files = MongoCaseFiles(database[f"case_files_{uuid4().hex}"])
    facts = opened(WorkOrderType.COMPLAINT, description="电费不对")
    await files.record(CaseChanges(from_intake=[facts]))
    for _ in range(2):  # delivered twice
        await files.record(CaseChanges(from_intake=[ReclassNote(facts.work_order_id, TO_QUERY)]))
    case = await files.find(facts.work_order_id)
    assert case is not None
    assert (case.facts.type, case.facts.category, case.reclassifications) == (
        WorkOrderType.QUERY,
        "bill",
        (TO_QUERY,),
    )


async def test_a_dispatch_read_after_a_reclassification_does_not_put_the_old_type_back(store):
    database, _ = store
    files = MongoCaseFiles(database[f"case_files_{uuid4().hex}"])
    facts = opened(WorkOrderType.COMPLAINT, description="电费不对")
    dispatched = CaseFacts(facts.work_order_id, PROVINCE, WorkOrderType.COMPLAINT, "电费不对", facts.phone)
    note = DispatchNote(f"{facts.work_order_id}-D1", "business", NOW, NOW)
    await files.record(CaseChanges(from_intake=[facts, ReclassNote(facts.work_order_id, TO_QUERY)]))
    await files.record(CaseChanges(dispatched=[(dispatched, note)]))
    case = await files.find(facts.work_order_id)
    assert case is not None
    assert (case.facts.type, case.dispatches) == (WorkOrderType.QUERY, (note,))
