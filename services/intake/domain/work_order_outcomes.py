"""How a work order ends at intake or beyond it: its status and history steps, and the outcomes intake
records (an incident's work order, a link in its place, an answer, a department's final reply)."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from contracts.events import (
    AnswerReason,
    Area,
    Channel,
    ContactLinkedV1,
    Customer,
    LinkReason,
    MissingField,
    WorkOrderAnsweredV1,
    WorkOrderCreatedV1,
    WorkOrderReopenedV1,
    WorkOrderRepliedV1,
    WorkOrderType,
)
from contracts.ids import reply_code_for


class WorkOrderStatus(StrEnum):
    NEEDS_INFO = "needs_info"
    OPEN = "open"
    ANSWERED = "answered"  # and closed at intake, never dispatched
    RESOLVED = "resolved"  # a department's final reply is in
    # Complete only once its owner supplied what it lacked, and then a repeat of the customer's own open
    # work order or a report of an incident: closed, its contact linked there instead.
    LINKED = "linked"


@dataclass(frozen=True)
class HistoryEntry:
    at: datetime
    action: str
    by: str
    note: str | None = None
    ref: str | None = None  # the action's id, for a step an action caused: a redelivery is known by it


class WorkOrderOutcomes:
    """The work order's outcomes (a part of WorkOrder, kept apart for its size)."""

    id: str
    contact_id: str
    province: str
    type: WorkOrderType
    channel: Channel
    customer: Customer
    description: str
    category: str | None
    status: WorkOrderStatus
    history: list[HistoryEntry]
    incident_id: str | None
    account_number: str | None
    anonymous: bool
    created_at: datetime
    linked: list[str]
    area: Area | None
    missing: list[MissingField]
    link_target: str | None  # closed as a link: the work order its contact is linked to

    def repeat_keys(self) -> list[str]:
        """What a repeat contact of the same customer is found by, while it is open: its number and
        account (none for a sealed report, which is linked to no one)."""
        if self.anonymous or self.status not in (WorkOrderStatus.OPEN, WorkOrderStatus.NEEDS_INFO):
            return []
        keys = [f"phone:{self.customer.phone}"]
        return keys + ([f"account:{self.account_number}"] if self.account_number else [])

    def takes_repeat(self, other: "WorkOrderOutcomes", at: datetime, window: timedelta) -> bool:
        """Whether `other` (a contact's work order, never stored) is the same customer again about this
        open one: the same type and category (and supply area, where both have one), within `window`
        of this one's opening. A number shared by two accounts is not one customer."""
        accounts = {self.account_number, other.account_number} - {None}
        areas = {area.code for area in (self.area, other.area) if area is not None}
        return (
            other.contact_id != self.contact_id
            and bool(set(other.repeat_keys()) & set(self.repeat_keys()))
            and len(accounts) <= 1
            and len(areas) <= 1
            and (other.type, other.category) == (self.type, self.category)
            # An unknown category is no matter to compare: the agent asks for it first.
            and not any(m.name == "category" for m in [*self.missing, *other.missing])
            and abs(at - self.created_at) <= window
        )

    def takes_reply(self, other: "WorkOrderOutcomes", reply_code: str) -> bool:
        """Whether `other` (a text's work order, never stored) answers this open one's news: it came back
        to this one's reply code, from this one's own number. Only the number the news was texted to
        counts: a web form may name any account, so an account shared in words proves nothing."""
        return (
            other.id != self.id
            and bool(self.repeat_keys())
            and not other.anonymous
            and other.customer.phone == self.customer.phone
            and reply_code_for(self.id) == reply_code
        )

    def link_repeat(self, other: "WorkOrderOutcomes", at: datetime, now: datetime) -> ContactLinkedV1 | None:
        """`other`'s contact linked here in place of its own work order; None if linked before, or if
        this one is no longer open (resolved since it was found)."""
        if other.contact_id in self.linked or not self.repeat_keys():
            return None
        self.linked.append(other.contact_id)
        self.history.append(HistoryEntry(now, "contact linked", "intake", other.contact_id))
        return other.linked_to(self.id, LinkReason.REPEAT, at, now, None)

    def close_as_link(self, work_order_id: str, now: datetime) -> None:
        self.status = WorkOrderStatus.LINKED
        self.link_target = work_order_id
        self.history.append(HistoryEntry(now, "closed: contact linked", "intake", work_order_id))

    def opens_incident(self, incident_id: str, created: WorkOrderCreatedV1) -> WorkOrderCreatedV1:
        """The work order as the incident's, which the area's other reports of its category join."""
        self.incident_id = incident_id
        self.history.append(HistoryEntry(created.created_at, "opened incident", "intake", incident_id))
        return created.model_copy(update={"incident_id": incident_id})

    def linked_to(
        self,
        work_order_id: str,
        reason: LinkReason,
        received_at: datetime,
        now: datetime,
        incident: str | None,
    ) -> ContactLinkedV1:
        """This contact as a link to an open work order, in place of this work order: never stored, or
        announced as waiting for fields and complete only now (then closed by the link)."""
        waited = any(step.action == "info requested" for step in self.history)
        announced = waited and self.status is not WorkOrderStatus.NEEDS_INFO
        return ContactLinkedV1(
            contact_id=self.contact_id,
            work_order_id=work_order_id,
            province=self.province,
            reason=reason,
            incident_id=incident,
            type=self.type,
            category=self.category,
            channel=self.channel,
            customer=self.customer,
            description=self.description,
            received_at=received_at,
            linked_at=now,
            closes_work_order_id=self.id if announced else None,
        )

    def answer(
        self, created: WorkOrderCreatedV1, reason: AnswerReason, answer: str, now: datetime, **outage: object
    ) -> WorkOrderAnsweredV1:
        """Answered here and closed; `outage`: the known outage's `outage_id` and
        `expected_restoration_at`, where it is the answer."""
        self.status = WorkOrderStatus.ANSWERED
        note = " ".join([reason.value, str(outage.get("outage_id") or "")]).strip()
        self.history.append(HistoryEntry(now, "answered and closed", "intake", note))
        fields = created.model_dump(exclude={"incident_id"}) | {"reason": reason, "answered_at": now}
        return WorkOrderAnsweredV1.model_validate(fields | {"answer": answer} | outage)

    def resolve(self, reply: WorkOrderRepliedV1) -> bool:
        """A department's final reply: no longer open (a later contact about it is a new matter). False
        for one taken before."""
        if self.status is not WorkOrderStatus.OPEN or self._took(reply.reply_id):
            return False
        self.status = WorkOrderStatus.RESOLVED
        note = f"{reply.department}: {reply.message}"
        self.history.append(
            HistoryEntry(reply.replied_at, "resolved", reply.department, note, reply.reply_id)
        )
        return True

    def reopen(self, reopened: WorkOrderReopenedV1) -> bool:
        """Reopened at dispatch (an unhappy follow-up, say): open again, so that the customer's next
        contact about it is a repeat of it, not a new matter. An incident's work order reopened does
        not reopen its incident: the area's next fault report opens a new one, as after any answer.
        False for one taken before, or for a work order not resolved here."""
        if self.status is not WorkOrderStatus.RESOLVED or self._took(reopened.step_id):
            return False
        self.status = WorkOrderStatus.OPEN
        self.history.append(
            HistoryEntry(reopened.at, "reopened", reopened.by, reopened.reason, reopened.step_id)
        )
        return True

    def _took(self, ref: str | None) -> bool:
        return ref is not None and any(entry.ref == ref for entry in self.history)
