"""The lists through the gateway: work orders filtered by status, department, owner, type, overdue or due
within a window, paged with a stable cursor; the province supervisor's queue; and the shift-handover view
of everything still open for a team. Served from the case files' list entries (work_order_lists.py), each
page a few indexed equality reads; every list shown is in the audit trail with whose data it showed."""

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import FastAPI, Query, Request

from contracts.events import WorkOrderType
from contracts.events.workorder_actions import DESK_QUEUE
from services.gateway.audit import AuditWriter
from services.gateway.case_files import CaseFile, ListBuckets
from services.gateway.clock_schemas import clocks_shown
from services.gateway.desk_access import DESK_OWNER
from services.gateway.list_access import may_list, narrowed_for, seen_by
from services.gateway.list_paging import BadCursor, Page, due_page, queue_page
from services.gateway.list_schemas import (
    HandoverSection,
    HandoverView,
    ListedStatus,
    WorkOrderListed,
    WorkOrderPage,
)
from services.gateway.outage_api import outage_shown
from services.gateway.outages import OutageBook
from services.gateway.principals import Principal, Role
from services.gateway.privacy import FieldAccess, Shown, show
from services.gateway.problems import Unreadable
from services.gateway.schemas import Problem
from services.gateway.work_order_api import customer_shown
from services.gateway.work_order_lists import ListFilter, View, standing_of

Name = Annotated[str | None, Query(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9._()-]+$")]
Limit = Annotated[int, Query(ge=1, le=200)]
# A due list reads one bucket per hour of its window: a week is the longest asked for.
LONGEST_WINDOW = 7 * 24 * 60


def listed(case: CaseFile, shown: Shown, now: datetime) -> WorkOrderListed:
    facts = case.facts
    standing = standing_of(case)
    assert standing is not None  # only what is on a list is listed
    return WorkOrderListed(
        work_order_id=facts.work_order_id,
        province=facts.province,
        type=facts.type,
        category=facts.category,
        status=standing.status,  # one of LISTED_STATUSES
        department=standing.department,
        owner=standing.owner,
        created_at=facts.created_at,
        next_due_at=standing.next_due_at,
        overdue=standing.overdue,
        escalated=standing.escalated,
        incident_id=facts.incident_id,
        description=facts.description,
        customer=customer_shown(facts, shown),
        address=shown.values["address"],
        sealed=shown.sealed,
        clocks=clocks_shown(case.readings.clocks, now) if case.readings.known else None,
    )


def query_of(wanted: ListFilter, within: int | None) -> dict[str, str]:
    """The query parameters of GET /v1/work-orders that read this list (with a cursor, its next page)."""
    query = {name: value for name in ("department", "type") if (value := getattr(wanted, name))}
    if wanted.owner:
        query["owner"] = DESK_OWNER if wanted.owner == DESK_QUEUE else wanted.owner
    views = {View.OVERDUE: "overdue", View.ESCALATED: "escalated", View.INCIDENTS: "incidents"}
    if wanted.view in views:
        query[views[wanted.view]] = "true"
    if wanted.view is View.STATUS and wanted.status:
        query["status"] = wanted.status
    if wanted.view is View.DUE and within:
        query["due_within_minutes"] = str(within)
    return query


def wanted_list(
    status: str | None,
    overdue: bool,
    escalated: bool,
    incidents: bool,
    due_within: int | None,
    **narrowing: Any,
) -> ListFilter:
    """The one view the filters ask for, or 422 naming what does not go together."""
    asked = [name for name, on in (("status", status), ("overdue", overdue), ("escalated", escalated)) if on]
    asked += [name for name, on in (("incidents", incidents), ("due_within_minutes", due_within)) if on]
    problems = [f"{', '.join(asked)}: choose one of them per list"] if len(asked) > 1 else []
    if narrowing.get("owner") == DESK_OWNER:
        narrowing["owner"] = DESK_QUEUE
    view = View.STATUS if status else View.OPEN
    view = {"overdue": View.OVERDUE, "escalated": View.ESCALATED, "incidents": View.INCIDENTS}.get(
        asked[0] if asked else "", View.DUE if due_within else view
    )
    try:
        wanted = ListFilter(view, status if view is View.STATUS else None, **narrowing)
    except ValueError as error:
        problems.append(f"department, owner: {error}")
        wanted = ListFilter(View.OPEN)
    if problems:
        raise Unreadable(422, "Invalid request", "; ".join(problems))
    return wanted


def add_list_api(
    app: FastAPI,
    Authenticated: Any,
    lists: ListBuckets,
    outages: OutageBook,
    rules: FieldAccess,
    audit: AuditWriter,
    province: str,
) -> None:
    answers: dict[int | str, dict[str, Any]] = {s: {"model": Problem} for s in (401, 403, 422, 429, 503)}

    async def page_of(
        wanted: ListFilter, within: int | None, limit: int, now: datetime, cursor: str | None
    ) -> Page:
        try:
            if wanted.view is View.DUE:
                assert within is not None
                return await due_page(lists, wanted, timedelta(minutes=within), limit, now, cursor)
            return await queue_page(lists, wanted, limit, now, cursor)
        except BadCursor as error:
            raise Unreadable(422, "Invalid request", str(error)) from error

    def shown_on(principal: Principal, page: Page, now: datetime) -> tuple[list[WorkOrderListed], set[str]]:
        """The page as the principal may see it (a list never unseals), and the fields it showed."""
        items: list[WorkOrderListed] = []
        clear: set[str] = set()
        for case in page.cases:
            case = seen_by(principal, case)
            shown = show(case.facts, principal.role, None, rules)
            clear |= set(shown.clear)
            items.append(listed(case, shown, now))
        return items, clear

    async def audited(
        request: Request, caller: Any, resource: str, items: list[WorkOrderListed], clear: set[str]
    ) -> None:
        listed_ids = [item.work_order_id for item in items]
        entry = audit.entry(
            request,
            caller,
            outcome="accepted",
            status=200,
            resource=resource,
            listed=listed_ids,
            shown=sorted(clear),
        )
        await audit.record(entry)  # no record, no read

    @app.get("/v1/work-orders", responses=answers, name="workorder.list")
    async def list_work_orders(
        request: Request,
        caller: Authenticated,
        status: Annotated[ListedStatus | None, Query(description="Only those of this status.")] = None,
        department: Name = None,
        owner: Annotated[
            str | None,
            Query(
                min_length=1,
                max_length=128,
                pattern=r"^[A-Za-z0-9._-]+$",
                description="An agent's id, or `desk`.",
            ),
        ] = None,
        type: Annotated[WorkOrderType | None, Query()] = None,
        overdue: Annotated[
            bool, Query(description="Only those a running clock has raised its alarm on.")
        ] = False,
        escalated: Annotated[bool, Query(description="The province supervisor's queue.")] = False,
        incidents: Annotated[bool, Query(description="Only storms' incident work orders.")] = False,
        due_within_minutes: Annotated[
            int | None, Query(ge=1, le=LONGEST_WINDOW, description="Only those next due within this long.")
        ] = None,
        limit: Limit = 50,
        cursor: Annotated[str | None, Query(max_length=2000)] = None,
    ) -> WorkOrderPage:
        """The province's open work orders on one list, a page at a time. Queue lists give the longest
        on the list first; a due list the soonest due. A department lists its own dispatches."""
        principal = may_list(caller, province)
        wanted = wanted_list(
            status,
            overdue,
            escalated,
            incidents,
            due_within_minutes,
            department=department,
            owner=owner,
            type=type.value if type else None,
        )
        wanted = narrowed_for(principal, wanted)
        now = datetime.now(UTC)
        page = await page_of(wanted, due_within_minutes, limit, now, cursor)
        items, clear = shown_on(principal, page, now)
        await audited(request, caller, f"lists/{wanted.key}", items, clear)
        return WorkOrderPage(work_orders=items, next_cursor=page.next)

    @app.get("/v1/handover", responses=answers, name="workorder.handover")
    async def handover(
        request: Request,
        caller: Authenticated,
        department: Name = None,
        owner: Annotated[
            str | None, Query(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9._-]+$")
        ] = None,
        due_within_minutes: Annotated[
            int, Query(ge=1, le=LONGEST_WINDOW, description="What counts as due soon.")
        ] = 120,
        limit: Annotated[int, Query(ge=1, le=50, description="Work orders shown per section.")] = 20,
    ) -> HandoverView:
        """Everything still open for a team (a department, an agent, the desk, or the whole province), by
        what the next shift does with it: each type's open work orders, those returned (to send on),
        those to urge, the supervisor's queue, incidents, and the outages under way."""
        principal = may_list(caller, province)
        team = wanted_list(None, False, False, False, None, department=department, owner=owner)
        team = narrowed_for(principal, team)
        narrowing = {"department": team.department, "owner": team.owner}
        sections: list[tuple[str, ListFilter, int | None]] = []
        for kind in WorkOrderType:
            if principal.role is Role.INSPECTOR and kind is not WorkOrderType.REPORT:
                continue
            sections.append((kind.value, ListFilter(View.OPEN, type=kind.value, **narrowing), None))
        typed = {"type": team.type} if team.type else {}
        sections += [
            ("returned", ListFilter(View.STATUS, "returned", **narrowing, **typed), None),
            ("overdue", ListFilter(View.OVERDUE, **narrowing, **typed), None),
            ("due_soon", ListFilter(View.DUE, **narrowing, **typed), due_within_minutes),
            ("escalated", ListFilter(View.ESCALATED, **narrowing, **typed), None),
            ("incidents", ListFilter(View.INCIDENTS, **narrowing, **typed), None),
        ]
        now = datetime.now(UTC)
        shown: dict[str, HandoverSection] = {}
        everything: list[WorkOrderListed] = []
        fields: set[str] = set()
        for name, wanted, within in sections:
            page = await page_of(wanted, within, limit, now, None)
            items, clear = shown_on(principal, page, now)
            everything += items
            fields |= clear
            shown[name] = HandoverSection(
                filters=query_of(wanted, within), work_orders=items, next_cursor=page.next
            )
        # As GET /v1/outages: for the call centre's roles (a department's crews hear of them elsewhere).
        active = await outages.active() if principal.role in (Role.AGENT, Role.SUPERVISOR) else []
        active.sort(key=lambda kept: (kept.state.starts_at, kept.state.outage_id))
        await audited(request, caller, f"handover/{team.key}", everything, fields)
        team_name = team.department or team.owner or province
        return HandoverView(
            team=team_name,
            at=now,
            sections=shown,
            outages=[outage_shown(kept) for kept in active],
        )
