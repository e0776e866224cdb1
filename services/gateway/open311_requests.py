"""What Open311's public reads show of a work order, and its public list by the hour requested.

Open311's GET requests take no credential: anyone may read them. So they show what a city's public map
shows, and no more: the service, its status (with Hotline's in a word as status_notes), the supply area
(district and city, never the street address or the point: both lead to a home), when it was requested
and last changed, when the department's reply is due and which department has it. Never the customer's
name, phone or account, never the description (free text carries names and numbers), and no work order
of an anonymous report or a discipline report at all (privacy.shown_in_public).

The list is read from the case files' `requested:<month>` entries (services/gateway/work_order_lists.py):
for each month the window touches, the hours its directory notes, newest first, each an indexed
equality; filters the entries cannot carry (category, status, the window's exact ends) are applied to
what the hours hold.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from contracts.events import WorkOrderType
from contracts.lifecycle import State
from services.gateway.case_files import CaseFile, ListBuckets
from services.gateway.open311_services import ServiceCode
from services.gateway.privacy import shown_in_public
from services.gateway.problems import Unreadable
from services.gateway.work_order_lists import hour_of, requested_key

LONGEST = timedelta(days=90)  # the window Open311 allows, and its default
MOST = 1000  # requests in one answer, as Open311's default
NOTES = {
    "needs_info": "waiting for details from the customer",
    "open": "taken by the hotline",
    "dispatched": "with the department",
    "answered": "answered",
    "linked": "joined to another request about the same",
}


def is_closed(case: CaseFile) -> bool:
    return case.status in ("answered", "linked") or case.dispatch_state is State.CLOSED


def _moment(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z") if moment is not None else None


def public_request(case: CaseFile) -> dict[str, Any] | None:
    """The request as the public sees it; None for one it may not see, or one not opened yet."""
    facts = case.facts
    if facts.created_at is None or not shown_in_public(facts):
        return None
    service = ServiceCode(facts.type, facts.category)
    closed = is_closed(case)
    current = case.current_dispatch
    area = facts.area
    return {
        "service_request_id": facts.work_order_id,
        "status": "closed" if closed else "open",
        "status_notes": NOTES[case.status],
        "service_name": service.name,
        "service_code": service.code,
        "description": None,
        "agency_responsible": current.department if current else None,
        "service_notice": None,
        "requested_datetime": _moment(facts.created_at),
        "updated_datetime": _moment(case.updated_at),
        "expected_datetime": _moment(current.reply_due_at) if current and not closed else None,
        "address": ", ".join(p for p in (area.district, area.city) if p) if area else None,
        "address_id": None,
        "zipcode": None,
        "lat": None,
        "long": None,
        "media_url": None,
    }


@dataclass(frozen=True)
class Wanted:
    """GET requests' filters, checked."""

    since: datetime
    until: datetime
    service: ServiceCode | None = None
    statuses: frozenset[str] = frozenset({"open", "closed"})

    def __post_init__(self) -> None:
        if self.since > self.until:
            raise ValueError("start_date is after end_date")
        if self.until - self.since > LONGEST:
            raise ValueError("start_date and end_date span more than 90 days")

    def holds(self, shown: dict[str, Any], case: CaseFile) -> bool:
        created = case.facts.created_at
        return (
            created is not None
            and self.since <= created <= self.until
            and shown["status"] in self.statuses
            and (self.service is None or self.service.category in (None, case.facts.category))
        )


READ_AT_MOST = 5_000  # work orders one public list request may read, each hour's query costing
QUERY_COST = 5  # as many: a window of sparse hours is bounded too


def months_of(since: datetime, until: datetime) -> list[str]:
    months, at = [], since.astimezone(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    while at <= until:
        months.append(at.strftime("%Y-%m"))
        at = (at + timedelta(days=32)).replace(day=1)
    return months


async def requested(
    store: ListBuckets, wanted: Wanted, most: int = MOST, read_at_most: int = READ_AT_MOST
) -> list[dict[str, Any]]:
    """Up to `most` requests in the window that pass the filters, the newest first. The hours are read
    newest first until `read_at_most` work orders have been read: an anonymous caller's one request may
    not make the store read a province's three months (a narrower window reaches further back)."""
    type = wanted.service.type.value if wanted.service else None
    first, last = hour_of(wanted.since), hour_of(wanted.until)
    hours = [
        (hour, requested_key(month, type))
        for month in months_of(wanted.since, wanted.until)
        for hour in await store.buckets(requested_key(month, type))
        if first <= hour <= last
    ]
    found: list[tuple[datetime, str, dict[str, Any]]] = []
    read = 0
    for hour, key in sorted(hours, reverse=True):
        if len(found) >= most or read >= read_at_most:
            break
        members = await store.members(f"{key}@{hour}")
        read += len(members) + QUERY_COST
        for case in members:
            shown = public_request(case)
            if shown is not None and case.facts.created_at and wanted.holds(shown, case):
                found.append((case.facts.created_at, case.facts.work_order_id, shown))
    found.sort(key=lambda item: (item[0], item[1]), reverse=True)
    return [shown for _, _, shown in found[:most]]


def _read_moment(text: str | None, problems: list[str]) -> datetime | None:
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None or "T" not in text:
        problems.append(f"{text!r}: dates are RFC 3339 with their offset (2026-12-08T09:00:00+08:00)")
        return None
    return moment


def wanted_from(start_date: str | None, end_date: str | None, code: str | None, status: str | None) -> Wanted:
    problems: list[str] = []
    since, until = _read_moment(start_date, problems), _read_moment(end_date, problems)
    statuses = frozenset(part.strip() for part in (status or "open,closed").split(","))
    if not statuses or not statuses <= {"open", "closed"}:
        problems.append("status is open, closed or both, comma delimited")
    service = service_code_of(code) if code is not None else None
    if code is not None and service is None:
        problems.append(f"service_code {code!r} is not one of this hotline's services")
    if problems:
        raise Unreadable(400, "Invalid request", "; ".join(problems))
    end = until or ((since + LONGEST) if since else datetime.now(UTC))
    start = since or end - LONGEST
    try:
        return Wanted(start, end, service, statuses)
    except ValueError as error:
        raise Unreadable(400, "Invalid request", str(error)) from error


def service_code_of(code: str) -> ServiceCode | None:
    """A code as services name them, read without the rules (a list of a service no longer offered
    still finds its past requests)."""
    type, _, category = code.partition(".")
    try:
        return ServiceCode(WorkOrderType(type), category or None)
    except ValueError:
        return None
