"""What the gateway knows of each work order, kept from events so that its API can answer who asks
without asking intake or dispatch: the work order as intake opened it, where dispatch sent it and what
the departments replied.

The two topics it comes from are read apart, so a dispatch may be seen before its work order: whatever
is not known yet stays None, and a work order whose `anonymous` flag is not known yet is treated as
sealed (services/gateway/privacy.py): an identity is never shown for want of an event.
"""

from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Literal, Protocol

from contracts.events import Area, ClockReading, ReplyKind, WorkOrderType
from contracts.events.workorder_actions import DESK_QUEUE
from contracts.lifecycle import State
from services.gateway.readings import Readings

Status = Literal["needs_info", "open", "dispatched", "answered", "linked"]


@dataclass(frozen=True)
class DispatchNote:
    dispatch_id: str
    department: str
    dispatched_at: datetime
    reply_due_at: datetime
    # The clocks it started (none in dispatches before 1.3; a new form's are its step's).
    clocks: tuple[ClockReading, ...] | None = None


@dataclass(frozen=True)
class ReplyNote:
    dispatch_id: str
    department: str
    kind: ReplyKind
    message: str
    replied_at: datetime
    on_time: bool
    state: State | None = None  # where the reply left the work order (none in replies before 1.4)
    seq: int | None = None
    clocks: tuple[ClockReading, ...] | None = None  # the live clocks after it (none before 1.5)
    escalated: bool | None = None


@dataclass(frozen=True)
class StepNote:
    """One step of the dispatch lifecycle past the first dispatch (accepted, returned, urged, a deadline
    warning, ...), as dispatch announced it: its history entry, and the state it left."""

    step_id: str
    seq: int
    step: str
    state: State
    at: datetime
    by: str
    department: str
    dispatch_id: str
    detail: str | None = None  # its reason or message
    stage: str | None = None  # a clock's
    clocks: tuple[ClockReading, ...] | None = None  # the live clocks after it (none before 1.1)
    escalated: bool | None = None


@dataclass(frozen=True)
class Reclassification:
    type_from: WorkOrderType
    category_from: str | None
    type_to: WorkOrderType
    category_to: str | None
    reason: str
    by: str
    at: datetime


@dataclass(frozen=True)
class CaseFacts:
    """The work order's own fields; every event about it carries some of them."""

    work_order_id: str
    province: str
    type: WorkOrderType
    description: str
    phone: str
    customer_name: str | None = None
    home_region: str | None = None
    address: str | None = None
    account_number: str | None = None
    channel: str | None = None  # known from intake's event only
    created_at: datetime | None = None  # likewise
    anonymous: bool | None = None  # likewise; None is treated as sealed
    sealed_reporter: str | None = None  # likewise: an anonymous reporter's number, still sealed
    tier: str | None = None  # the customer's, from the directory (none in events before it)
    priority: int | None = None  # where the customer's items go in a queue, lower first
    area: Area | None = None  # the supply area, from intake's events only
    category: str | None = None  # likewise, as are the three below
    details: dict[str, str] | None = None
    owner: str | None = None
    # What its owner is to supply, () once complete; None: no event of intake's seen yet.
    missing: tuple[tuple[str, str], ...] | None = None
    answer: str | None = None  # what intake told the customer when it answered and closed it itself
    incident_id: str | None = None  # the storm's incident it is the work order of
    linked_to: str | None = None  # closed as a link: the work order its contact is linked to

    @property
    def queue(self) -> str:
        """Whose list it is on: its owner's, else the desk's."""
        return self.owner or DESK_QUEUE


@dataclass(frozen=True)
class CaseFile:
    facts: CaseFacts
    dispatches: tuple[DispatchNote, ...] = ()
    replies: tuple[ReplyNote, ...] = ()
    reporters: int | None = None  # an incident's: the fault reports linked to it so far, its own included
    reclassifications: tuple[Reclassification, ...] = ()  # oldest first
    steps: tuple[StepNote, ...] = ()  # in the order dispatch took them
    # Where it stands, as all of its steps tell: kept when a department's view leaves others' steps out.
    known_state: State | None = None
    known_readings: "Readings | None" = None  # likewise, its own forms' clocks only

    @cached_property
    def dispatch_state(self) -> State | None:
        """Where the work order stands at dispatch: as its latest step or reply left it; None before it
        is dispatched."""
        if self.known_state is not None:
            return self.known_state
        numbered = [(step.seq, step.state) for step in self.steps]
        numbered += [(reply.seq, reply.state) for reply in self.replies if reply.seq and reply.state]
        if numbered:
            return max(numbered)[1]
        if any(reply.kind is ReplyKind.FINAL for reply in self.replies):
            return State.RESOLVED
        if self.replies:
            return State.IN_PROGRESS
        return State.DISPATCHED if self.dispatches else None

    @cached_property
    def readings(self) -> "Readings":
        """The work order's live clocks and supervisor flag as its latest step that told them left them
        (its first dispatch counts as step 1)."""
        if self.known_readings is not None:
            return self.known_readings
        notes: list[StepNote | ReplyNote] = [*self.steps, *self.replies]
        told: list[tuple[int, tuple[ClockReading, ...], bool]] = [
            (note.seq, note.clocks, bool(note.escalated))
            for note in notes
            if note.seq is not None and note.clocks is not None
        ]
        if self.dispatches and self.dispatches[0].clocks is not None:
            told.append((1, self.dispatches[0].clocks, False))
        if not told:
            return Readings((), False, known=False)
        _, clocks, escalated = max(told, key=lambda reading: reading[0])
        return Readings(clocks, escalated)

    @property
    def current_dispatch(self) -> "DispatchNote | None":
        """The form a department acts on now: the latest sent."""
        return self.dispatches[-1] if self.dispatches else None

    @property
    def status(self) -> Status:
        """`linked` once closed as a link to another, `answered` once a department's final reply is in
        (or intake answered it itself), `dispatched` once sent, `needs_info` while fields are missing,
        else `open`."""
        if self.facts.linked_to is not None:
            return "linked"
        finally_replied = any(reply.kind is ReplyKind.FINAL for reply in self.replies)
        answered = self.dispatch_state in (None, State.RESOLVED, State.CLOSED)  # not since reopened
        if self.facts.answer is not None or (finally_replied and answered):
            return "answered"
        if self.dispatches:
            return "dispatched"
        return "needs_info" if self.facts.missing else "open"

    @property
    def updated_at(self) -> datetime | None:
        moments = [self.facts.created_at] + [d.dispatched_at for d in self.dispatches]
        moments += [r.replied_at for r in self.replies]
        known = [moment for moment in moments if moment is not None]
        return max(known) if known else None

    def sent_to(self, department: str) -> bool:
        return any(dispatch.department == department for dispatch in self.dispatches)

    def for_department(self, department: str) -> "CaseFile":
        """What one department sees: its own dispatches and replies, not another's."""
        return CaseFile(
            self.facts,
            tuple(d for d in self.dispatches if d.department == department),
            tuple(r for r in self.replies if r.department == department),
            self.reporters,
            self.reclassifications,
            tuple(s for s in self.steps if s.department == department),
            self.dispatch_state,
            self.readings.on_forms({d.dispatch_id for d in self.dispatches if d.department == department}),
        )


@dataclass(frozen=True)
class OwnerNote:
    """A work order handed over: whose list it is on now, and whether among those waiting for fields."""

    work_order_id: str
    owner: str
    needs_info: bool


@dataclass(frozen=True)
class LinkNote:
    """A work order closed as a link: its contact is linked to `linked_to` (off every waiting list)."""

    work_order_id: str
    linked_to: str


@dataclass(frozen=True)
class ReclassNote:
    """A work order's type and category corrected by an agent (kept once however often delivered)."""

    work_order_id: str
    change: Reclassification


@dataclass(frozen=True)
class IncidentNote:
    """How many have reported an incident so far (never fewer than a redelivered older count)."""

    work_order_id: str
    incident_id: str
    reporters: int


@dataclass
class CaseChanges:
    """One batch of what the bus said, grouped as the store writes it."""

    # Intake's announcements and handovers, in the order intake made them.
    from_intake: list[CaseFacts | OwnerNote | LinkNote | ReclassNote] = field(default_factory=list)
    dispatched: list[tuple[CaseFacts, DispatchNote]] = field(default_factory=list)
    replied: list[tuple[str, ReplyNote]] = field(default_factory=list)  # (work order id, reply)
    steps: list[tuple[str, StepNote]] = field(default_factory=list)  # (work order id, step)
    incidents: list[IncidentNote] = field(default_factory=list)

    def work_order_ids(self) -> set[str]:
        ids = {change.work_order_id for change in self.from_intake}
        ids |= {facts.work_order_id for facts, _ in self.dispatched}
        ids |= {work_order_id for work_order_id, _ in (*self.replied, *self.steps)}
        return ids | {note.work_order_id for note in self.incidents}


class ListBuckets(Protocol):
    """The lists' side of the store (services/gateway/work_order_lists.py): each an indexed equality."""

    async def buckets(self, key: str) -> list[str]:
        """The hours in which work orders joined the list (some may have left it since)."""
        ...

    async def members(self, entry: str) -> list["CaseFile"]:
        """The case files with one list entry (`<list>@<hour>`)."""
        ...

    async def forget(self, key: str, hour: str) -> None:
        """An hour found empty, long closed: no work order can join it any more."""
        ...


class CaseFiles(ListBuckets, Protocol):
    """Kept by `_id` (the work order's id) alone; a redelivered event changes nothing. Each change
    sets the work order's list entries again."""

    async def record(self, changes: CaseChanges) -> None: ...

    async def find(self, work_order_id: str) -> CaseFile | None: ...

    async def on_list(self, queue: str, needs_info: bool, limit: int) -> list[CaseFile]:
        """Up to `limit` of the work orders on one owner's list (or the desk's), oldest first; only
        those waiting for fields if `needs_info`."""
        ...
