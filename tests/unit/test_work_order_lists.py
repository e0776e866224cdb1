"""The province's lists through the gateway: each open work order on the lists its status, department,
owner, type and clocks put it on, read a page at a time with a cursor, as each role may see them."""

import base64
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from uuid import uuid4

from contracts.events import ClockReading, WorkOrderType
from contracts.lifecycle import State
from services.gateway.case_files import CaseFile, DispatchNote, StepNote
from tests.fake_case_files import REPAIR_CASE, InMemoryCaseFiles
from tests.unit.test_agent_desk import call

NOW = datetime.now(UTC)


class Clock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at


def a_case(
    department: str = "repair",
    type: WorkOrderType = WorkOrderType.FAULT_REPAIR,
    due_in: timedelta | None = timedelta(hours=6),
    alarms: int = 0,
    escalated: bool = False,
    state: State = State.ACCEPTED,
    owner: str | None = None,
) -> CaseFile:
    """An open work order as the case files hold it after its dispatch and one step."""
    work_order_id = f"WO-L-{uuid4().hex[:10]}"
    form = f"{work_order_id}-D1"
    due = NOW + due_in if due_in is not None else None
    clocks = (ClockReading(stage="result", dispatch_id=form, started_at=NOW, due_at=due, alarms=alarms),)
    facts = replace(REPAIR_CASE.facts, work_order_id=work_order_id, type=type, owner=owner, missing=())
    step = StepNote(
        f"{work_order_id}-s2",
        2,
        "accepted",
        state,
        NOW,
        department,
        department,
        form,
        clocks=clocks,
        escalated=escalated,
    )
    return CaseFile(facts, (DispatchNote(form, department, NOW, due or NOW, clocks),), steps=(step,))


def ids(answer) -> list[str]:
    return [item["work_order_id"] for item in answer.json()["work_orders"]]


async def pages(path: str, principal: str, cases: InMemoryCaseFiles) -> list[list[str]]:
    """Every page of one list, following the cursor to its end."""
    found, cursor = [], None
    while True:
        answer, _ = await call("GET", path + (f"&cursor={cursor}" if cursor else ""), principal, cases)
        assert answer.status_code == 200, answer.text
        found.append(ids(answer))
        cursor = answer.json()["next_cursor"]
        if cursor is None:
            return found


async def test_a_department_lists_its_own_work_orders_longest_waiting_first_a_page_at_a_time():
    clock = Clock(NOW - timedelta(hours=5))
    cases = InMemoryCaseFiles(clock=clock)
    joined = []
    for hour in range(5):  # two a hour, and another department's beside them
        clock.at = NOW - timedelta(hours=5 - hour)
        for case in (a_case(), a_case(), a_case(department="billing")):
            cases.add(case)
            if case.current_dispatch and case.current_dispatch.department == "repair":
                joined.append(case.facts.work_order_id)
    expected = [sorted(joined[i : i + 2]) for i in range(0, 10, 2)]  # by the hour, then by id
    read = await pages("/v1/work-orders?limit=3", "gd.department.repair", cases)
    assert [len(page) for page in read] == [3, 3, 3, 1]
    assert [i for page in read for i in page] == [i for hour in expected for i in hour], "each once, in turn"
    asked_for_another, _ = await call(
        "GET", "/v1/work-orders?department=billing", "gd.department.repair", cases
    )
    assert asked_for_another.status_code == 403


async def test_a_cursor_neither_repeats_nor_skips_a_work_order_that_stays_while_others_join_and_leave():
    clock = Clock(NOW - timedelta(hours=3))
    cases = InMemoryCaseFiles(clock=clock)
    first = [a_case() for _ in range(4)]
    for case in first:
        cases.add(case)
    answer, _ = await call("GET", "/v1/work-orders?department=repair&limit=2", "gd.supervisor", cases)
    shown = ids(answer)
    clock.at = NOW
    joining = a_case()  # joins later: read after the ones before it
    cases.add(joining)
    leaving = next(case for case in first if case.facts.work_order_id not in shown)
    closed = replace(leaving.steps[0], step_id="closed", seq=3, step="closed", state=State.CLOSED, clocks=())
    cases.add(replace(leaving, steps=(*leaving.steps, closed)))
    cursor = answer.json()["next_cursor"]
    path = f"/v1/work-orders?department=repair&limit=50&cursor={cursor}"
    rest, _ = await call("GET", path, "gd.supervisor", cases)
    stayed = [c.facts.work_order_id for c in first if c.facts.work_order_id not in shown and c is not leaving]
    assert ids(rest) == [*sorted(stayed), joining.facts.work_order_id]
    assert leaving.facts.work_order_id not in ids(rest), "closed: off every list"


async def test_an_overdue_work_order_is_on_the_overdue_list_and_the_supervisor_queue_holds_the_escalated():
    cases = InMemoryCaseFiles()
    on_time, late, escalated = a_case(), a_case(due_in=-timedelta(hours=1), alarms=1), a_case(escalated=True)
    for case in (on_time, late, escalated):
        cases.add(case)
    overdue, _ = await call("GET", "/v1/work-orders?overdue=true", "gd.supervisor", cases)
    assert ids(overdue) == [late.facts.work_order_id]
    [shown] = overdue.json()["work_orders"]
    assert shown["overdue"]
    assert shown["clocks"][0]["overdue"]
    assert shown["clocks"][0]["left_seconds"] < 0
    queue, _ = await call("GET", "/v1/work-orders?escalated=true", "gd.supervisor", cases)
    assert ids(queue) == [escalated.facts.work_order_id]


async def test_due_within_lists_what_falls_due_in_the_window_soonest_first():
    cases = InMemoryCaseFiles()
    later, soon, sooner = (a_case(due_in=timedelta(minutes=m)) for m in (300, 90, 20))
    late = a_case(due_in=-timedelta(minutes=5), alarms=1)
    for case in (later, soon, sooner, late):
        cases.add(case)
    read = await pages("/v1/work-orders?due_within_minutes=120&limit=1", "gd.agent", cases)
    assert read == [[sooner.facts.work_order_id], [soon.facts.work_order_id]]


async def test_lists_by_status_type_and_owner_and_what_does_not_go_together_is_422():
    cases = InMemoryCaseFiles()
    returned = a_case(state=State.RETURNED)
    complaint = a_case(type=WorkOrderType.COMPLAINT, owner="gd.agent")
    for case in (returned, complaint, a_case()):
        cases.add(case)
    by_status, _ = await call("GET", "/v1/work-orders?status=returned", "gd.supervisor", cases)
    assert ids(by_status) == [returned.facts.work_order_id]
    mine, _ = await call("GET", "/v1/work-orders?owner=gd.agent&type=complaint", "gd.agent", cases)
    assert ids(mine) == [complaint.facts.work_order_id]
    both, _ = await call("GET", "/v1/work-orders?status=returned&overdue=true", "gd.supervisor", cases)
    assert both.status_code == 422
    assert "status, overdue" in both.json()["detail"]
    crossed, _ = await call("GET", "/v1/work-orders?department=repair&owner=gd.agent", "gd.supervisor", cases)
    assert crossed.status_code == 422
    elsewhere, _ = await call(
        "GET", "/v1/work-orders?limit=1&cursor=bm90LWEtY3Vyc29y", "gd.supervisor", cases
    )
    assert elsewhere.status_code == 422
    assert "cursor" in elsewhere.json()["detail"]


async def test_the_hub_and_the_auditor_list_nothing_and_a_list_is_audited_with_whose_data_it_showed():
    cases = InMemoryCaseFiles()
    case = a_case()
    cases.add(case)
    for principal in ("hub.hub", "gd.auditor", "gd.channel.web"):
        refused, _ = await call("GET", "/v1/work-orders", principal, cases)
        assert refused.status_code == 403, principal
    answer, publisher = await call("GET", "/v1/work-orders?type=fault_repair", "gd.department.repair", cases)
    [audited] = publisher.audited
    assert audited.listed == [case.facts.work_order_id]
    assert answer.json()["work_orders"][0]["address"] == REPAIR_CASE.facts.address, "the crew goes there"


async def test_the_handover_view_shows_a_teams_open_work_by_what_the_next_shift_does_with_it():
    cases = InMemoryCaseFiles()
    repair, complaint = a_case(), a_case(type=WorkOrderType.COMPLAINT)
    late, soon = a_case(due_in=-timedelta(hours=2), alarms=1), a_case(due_in=timedelta(minutes=30))
    elsewhere, returned = a_case(department="billing"), a_case(state=State.RETURNED)
    for case in (repair, complaint, late, soon, elsewhere, returned):
        cases.add(case)
    answer, _ = await call("GET", "/v1/handover?department=repair", "gd.supervisor", cases)
    assert answer.status_code == 200, answer.text
    view = answer.json()
    sections = {name: ids_of(section) for name, section in view["sections"].items()}
    assert set(sections["fault_repair"]) == {
        repair.facts.work_order_id,
        late.facts.work_order_id,
        soon.facts.work_order_id,
        returned.facts.work_order_id,
    }
    assert sections["complaint"] == [complaint.facts.work_order_id]
    assert sections["returned"] == [returned.facts.work_order_id], "to send on"
    assert sections["overdue"] == [late.facts.work_order_id]
    assert sections["due_soon"] == [soon.facts.work_order_id]
    assert all(elsewhere.facts.work_order_id not in section for section in sections.values())
    assert view["outages"][0]["outage_id"], "the outages under way, for the next shift's callers"
    for name, section in view["sections"].items():  # each section is its list's first page
        listed, _ = await call("GET", "/v1/work-orders", "gd.supervisor", cases, params=section["filters"])
        assert ids(listed) == ids_of(section), name
    crew, _ = await call("GET", "/v1/handover", "gd.department.repair", cases)
    assert crew.json()["outages"] == [], "as GET /v1/outages: the call centre's"


async def test_a_handover_section_reads_on_with_its_filters_and_cursor():
    cases = InMemoryCaseFiles()
    returned = sorted((a_case(state=State.RETURNED) for _ in range(3)), key=lambda c: c.facts.work_order_id)
    for case in returned:
        cases.add(case)
    answer, _ = await call("GET", "/v1/handover?limit=1", "gd.supervisor", cases)
    section = answer.json()["sections"]["returned"]
    query = section["filters"] | {"cursor": section["next_cursor"]}
    rest, _ = await call("GET", "/v1/work-orders", "gd.supervisor", cases, params=query)
    assert rest.status_code == 200, rest.text
    assert ids_of(section) + ids(rest) == [case.facts.work_order_id for case in returned]


async def test_a_cursor_altered_to_read_more_than_its_list_allows_is_422():
    cases = InMemoryCaseFiles()
    for _ in range(3):
        cases.add(a_case(due_in=timedelta(minutes=30)))
    first, _ = await call("GET", "/v1/work-orders?due_within_minutes=60&limit=1", "gd.supervisor", cases)
    key, hour, after, since, _until = json.loads(base64.urlsafe_b64decode(first.json()["next_cursor"] + "=="))
    ten_years = (NOW + timedelta(days=3650)).isoformat()
    for forged in (
        [key, hour, after, since, ten_years],
        [key, hour, [], since, ten_years],
        [key, hour, after, "yesterday", since],
        [key, "2016-01-01T00", after, since, _until],
    ):
        cursor = base64.urlsafe_b64encode(json.dumps(forged).encode()).decode()
        path = f"/v1/work-orders?due_within_minutes=60&cursor={cursor}"
        answer, _ = await call("GET", path, "gd.supervisor", cases)
        assert answer.status_code == 422, (forged, answer.text)


async def test_a_work_order_closed_before_its_entries_are_set_again_is_not_listed():
    cases = InMemoryCaseFiles()
    case = a_case()
    cases.add(case)
    closed = replace(case.steps[0], step_id="closed", seq=3, step="closed", state=State.CLOSED, clocks=())
    cases.files[case.facts.work_order_id] = replace(case, steps=(*case.steps, closed))  # entries not yet
    answer, _ = await call("GET", "/v1/work-orders?department=repair", "gd.supervisor", cases)
    assert answer.status_code == 200
    assert ids(answer) == []


def ids_of(section: dict) -> list[str]:
    return [item["work_order_id"] for item in section["work_orders"]]
