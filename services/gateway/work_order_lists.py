"""Where each open work order stands on its province's lists, written into its case file as equality keys
the store indexes (README: every query an equality on an indexed field).

A list is a view (all open, one status, overdue, the supervisor's queue) narrowed by department, owner
or type. Each list a work order is on is one entry `<list>@<bucket>`: the hour it joined that list, kept
while it stays on it, so a list reads as a queue, one small bucket at a time, oldest first. A list of the
whole province (no narrowing) would hold thousands an hour: its buckets are the five minutes it joined in
(`open@2026-12-04T09:35`), and its directory notes the hour as split (`2026-12-04T09*`). The due lists
are the other way round: `due|<filter>@<hour of its next deadline>`, read for the hours a window spans;
the whole province's by the five minutes of the deadline, read for the parts its directory notes.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from contracts.lifecycle import State
from services.gateway.case_files import CaseFile
from services.gateway.privacy import shown_in_public

HOUR = "%Y-%m-%dT%H"
PART, PART_FORMAT = 5, "%Y-%m-%dT%H:%M"  # minutes: the bucket of a list of the whole province
REQUESTED = "requested"  # Open311's public list (services/gateway/open311_requests.py)
SPLIT = "*"  # marks a directory hour whose list's buckets are its parts
# The narrowings a list is kept for; a department's by owner too would multiply the keys for little use.
NARROWINGS: tuple[tuple[str, ...], ...] = (
    (),
    ("department",),
    ("owner",),
    ("type",),
    ("department", "type"),
    ("owner", "type"),
)
# The statuses an open work order lists under: intake's two before dispatch, then dispatch's states.
LISTED_STATUSES = ("needs_info", "open", *tuple(state.value for state in State if state is not State.CLOSED))


class View(StrEnum):
    OPEN = "open"  # every open work order
    STATUS = "status"  # those of one status
    OVERDUE = "overdue"  # a running clock has raised its alarm
    ESCALATED = "escalated"  # the province supervisor's queue
    INCIDENTS = "incidents"  # a storm's incident work orders
    DUE = "due"  # by the hour of the next deadline


@dataclass(frozen=True)
class Standing:
    """What the lists know of one open work order."""

    work_order_id: str
    status: str
    department: str | None
    owner: str
    type: str
    next_due_at: datetime | None
    overdue: bool
    escalated: bool
    incident: bool
    created_at: datetime | None


@dataclass(frozen=True)
class ListFilter:
    """One list: a view, narrowed by any of NARROWINGS."""

    view: View
    status: str | None = None
    department: str | None = None
    owner: str | None = None
    type: str | None = None

    def __post_init__(self) -> None:
        if tuple(name for name in ("department", "owner", "type") if getattr(self, name)) not in NARROWINGS:
            raise ValueError("a list narrows by department or owner, each with a type or not, or by type")
        if (self.view is View.STATUS) != (self.status is not None):
            raise ValueError("a status list names one status, and only it does")

    @property
    def key(self) -> str:
        view = f"status:{self.status}" if self.view is View.STATUS else self.view.value
        narrowed = [f"{name}={getattr(self, name)}" for name in ("department", "owner", "type")]
        return "|".join([view] + [n for n in narrowed if not n.endswith("=None")])

    @property
    def split(self) -> bool:
        """A list of the whole province: its buckets are parts of an hour."""
        return not (self.department or self.owner or self.type)

    def holds(self, standing: Standing) -> bool:
        """Whether the work order is on this list (for a due list: has a running deadline)."""
        narrowed = all(
            getattr(self, name) in (None, getattr(standing, name)) for name in ("department", "owner", "type")
        )
        return (
            narrowed
            and {
                View.OPEN: True,
                View.STATUS: standing.status == self.status,
                View.OVERDUE: standing.overdue,
                View.ESCALATED: standing.escalated,
                View.INCIDENTS: standing.incident,
                View.DUE: standing.next_due_at is not None,
            }[self.view]
        )


def standing_of(case: CaseFile) -> Standing | None:
    """None once it is off every list: closed, answered by intake, or linked to another."""
    facts = case.facts
    state = case.dispatch_state
    if facts.linked_to is not None or facts.answer is not None or state is State.CLOSED:
        return None
    before_dispatch = "needs_info" if facts.missing else "open"
    status = state.value if state is not None else before_dispatch
    current = case.current_dispatch
    readings = case.readings
    # Resolved: the department's part is done, the call centre answers the customer; off its lists.
    with_department = current is not None and state is not State.RESOLVED
    return Standing(
        work_order_id=facts.work_order_id,
        status=status,
        department=current.department if current and with_department else None,
        owner=facts.queue,
        type=facts.type.value,
        next_due_at=readings.next_due_at,
        overdue=readings.overdue,
        escalated=readings.escalated,
        incident=facts.incident_id is not None,
        created_at=facts.created_at,
    )


def lists_of(standing: Standing) -> list[ListFilter]:
    """Every queue-like list (not the due lists) the work order is on."""
    views = [(View.OPEN, None), (View.STATUS, standing.status)]
    views += [(View.OVERDUE, None)] if standing.overdue else []
    views += [(View.ESCALATED, None)] if standing.escalated else []
    views += [(View.INCIDENTS, None)] if standing.incident else []
    found = []
    for narrowing in NARROWINGS:
        values = {name: getattr(standing, name) for name in narrowing}
        if any(value is None for value in values.values()):
            continue  # not dispatched yet: on no department's list
        found += [ListFilter(view, status, **values) for view, status in views]
    return found


def entries(case: CaseFile, kept: Iterable[str], now: datetime) -> list[str]:
    """The case file's list entries after a change: a list it stays on keeps the hour it joined; a list
    it joins now gets this hour; a due list the hour of its next deadline; Open311's public list the hour
    it was requested, open or closed."""
    standing = standing_of(case)
    listed = [] if standing is None else placed(standing, kept, now)
    return sorted(listed + requested_entries(case))


def requested_key(month: str, type: str | None = None) -> str:
    """Open311's list of one month's requests (`2026-12`), of one type or all: its buckets are hours, and
    a month per key keeps the hours its directory lists to a month's."""
    return f"{REQUESTED}:{month}" + (f"|type={type}" if type else "")


def requested_entries(case: CaseFile) -> list[str]:
    """Where Open311's public list finds the work order: by the hour it was requested, whatever its state
    (a closed one is listed too); none for one the public may not see (privacy.py)."""
    facts = case.facts
    if facts.created_at is None or not shown_in_public(facts):
        return []
    hour = hour_of(facts.created_at)
    month = hour[:7]
    return [f"{requested_key(month)}@{hour}", f"{requested_key(month, facts.type.value)}@{hour}"]


def placed(standing: Standing, kept: Iterable[str], now: datetime) -> list[str]:
    joined = dict(entry.rsplit("@", 1) for entry in kept if not entry.startswith(View.DUE.value))
    found = [f"{f.key}@{joined.get(f.key) or bucket_of(now, f.split)}" for f in lists_of(standing)]
    if standing.next_due_at is not None:
        for narrowing in NARROWINGS:
            values = {name: getattr(standing, name) for name in narrowing}
            if all(value is not None for value in values.values()):
                due = ListFilter(View.DUE, **values)
                found.append(f"{due.key}@{bucket_of(standing.next_due_at, due.split)}")
    return sorted(found)


def hour_of(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime(HOUR)


def hour_start(hour: str) -> datetime:
    return datetime.strptime(hour, HOUR).replace(tzinfo=UTC)


def bucket_of(moment: datetime, split: bool) -> str:
    at = moment.astimezone(UTC)
    return at.replace(minute=at.minute - at.minute % PART).strftime(PART_FORMAT) if split else hour_of(at)


def bucket_start(bucket: str) -> datetime:
    """When a bucket (an hour, or a part of one) opened; ValueError for a string that is neither."""
    if ":" not in bucket:
        return hour_start(bucket)
    start = datetime.strptime(bucket, PART_FORMAT).replace(tzinfo=UTC)
    if start.minute % PART:
        raise ValueError(f"{bucket!r}: not the start of a part of an hour")
    return start


def noted(entry: str) -> tuple[str, str] | None:
    """The directory's key and hour for a list entry; None for a narrowed due list's, which is read for
    every hour of its window (it holds few, and most hours have some)."""
    key, bucket = entry.rsplit("@", 1)
    if key.startswith(View.DUE.value) and ":" not in bucket:
        return None
    return key, directory_hour(bucket)


def directory_hour(bucket: str) -> str:
    """How the directory notes the hour of a bucket: as it is, or marked split for a part of one.
    Entries an earlier release wrote whole hours for keep their hour (it sorts before its parts)."""
    return bucket.split(":", 1)[0] + SPLIT if ":" in bucket else bucket


def buckets_in(hour: str) -> list[str]:
    """A directory hour's buckets, in order."""
    if not hour.endswith(SPLIT):
        return [hour]
    return [f"{hour.removesuffix(SPLIT)}:{minute:02d}" for minute in range(0, 60, PART)]
