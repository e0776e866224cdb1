"""The work order a contact opens: its type and the fields its type needs, its customer (the
directory's standing, the home region from the number), its owner, its history.

A work order its type's required fields are missing from waits in `needs_info` for its owner; it is
announced as created (for dispatch) only once complete. One outside the operator's scope is answered.
"""

from dataclasses import dataclass, field, replace
from datetime import datetime

from contracts.events import (
    SEALED_PHONE,
    Area,
    Channel,
    ContactReceivedV1,
    Customer,
    MissingField,
    WorkOrderCreatedV1,
    WorkOrderHandoverRequestedV1,
    WorkOrderInfoRequestedV1,
    WorkOrderInfoSuppliedV1,
    WorkOrderOwnerChangedV1,
    WorkOrderReclassifiedV1,
    WorkOrderType,
)
from contracts.events.workorder_actions import DESK_QUEUE, WorkOrderReclassificationRequestedV1
from contracts.ids import work_order_id_for
from services.common.errors import DomainError
from services.intake.domain.customers import Match
from services.intake.domain.home_region import HomeRegion, home_region
from services.intake.domain.rules import IntakeRules, china_date
from services.intake.domain.type_fields import FieldRules, Given
from services.intake.domain.work_order_outcomes import HistoryEntry, WorkOrderOutcomes, WorkOrderStatus

# Contacts whose channel lets nobody pick a category (SMS, most voice) start as consultations;
# the owning agent reclassifies them.
DEFAULT_TYPE = WorkOrderType.CONSULTATION


Announced = WorkOrderCreatedV1 | WorkOrderInfoRequestedV1


class NothingMissing(DomainError):
    """Fields were supplied for a work order that lacks none (any more)."""


class OwnedByAnother(DomainError):
    """A handover asked of an owner who no longer owns the work order."""


class NotReclassifiable(DomainError):
    """A reclassification of a closed work order, of one another changed first, or of an open one to a
    type its fields do not fill."""


@dataclass
class WorkOrder(WorkOrderOutcomes):
    id: str
    contact_id: str
    province: str
    type: WorkOrderType
    channel: Channel
    created_at: datetime
    customer: Customer
    address: str | None
    account_number: str | None
    description: str
    anonymous: bool
    sealed_reporter: str | None = None  # an anonymous reporter's number as the gateway sealed it
    area: Area | None = None
    category: str | None = None
    details: dict[str, str] = field(default_factory=dict)
    location: bool = False
    owner: str | None = None
    missing: list[MissingField] = field(default_factory=list)
    status: WorkOrderStatus = WorkOrderStatus.OPEN
    history: list[HistoryEntry] = field(default_factory=list)
    incident_id: str | None = None
    linked: list[str] = field(default_factory=list)  # contacts linked here as repeats, by id
    link_target: str | None = None
    version: int = 0

    @classmethod
    def open(
        cls,
        contact: ContactReceivedV1,
        now: datetime,
        known: Match | None,
        rules: IntakeRules,
        area: Area | None = None,
        owner: str | None = None,
    ) -> tuple["WorkOrder", Announced]:
        """`known`: the directory's entry for the contact's account or number, if any; `area`: the
        supply area its location or address lies in; `owner`: the agent who took it, or the one of the
        desk's agents on duty whose turn it is."""
        region = HomeRegion(None, None) if contact.anonymous else home_region(contact.phone)
        # A sealed reporter is never tied to an account: not even their tier may hint at who they are.
        if contact.anonymous:
            known = None
        profile = known.profile if known else None
        standing = profile.standing(rules.tiers, china_date(now)) if profile else rules.tiers.unknown()
        # Only an account the contact is certainly about lends the work order its number, name and kind;
        # a number several accounts share lends only the queue position.
        certain = known.profile if known is not None and known.certain else None
        account_number = contact.account_number
        if account_number is None and certain is not None:
            account_number = certain.account_number
        name = contact.customer_name or (certain.name if certain else None)
        owned = f"owner {owner}" if owner else "no agent on duty: in the desk's queue"
        order = cls(
            id=work_order_id_for(contact.contact_id),
            contact_id=contact.contact_id,
            province=contact.province,
            type=contact.requested_type or DEFAULT_TYPE,
            channel=contact.channel,
            created_at=now,
            customer=Customer(
                # An anonymous reporter's name is never stored, so no later reader can reveal it.
                name=None if contact.anonymous else name,
                # Never in clear, even from a gateway that did not seal it: the seal is the only copy.
                phone=SEALED_PHONE if contact.anonymous else contact.phone,
                home_region=region.description,
                home_province=region.province,
                tier=standing.tier,
                red_list=standing.red_list,
                blacklisted=standing.blacklisted,
                kind=certain.kind if certain else None,
                priority=standing.priority,
            ),
            address=contact.address,
            account_number=account_number,
            description=contact.description,
            anonymous=contact.anonymous,
            sealed_reporter=contact.sealed_reporter if contact.anonymous else None,
            area=area,
            category=contact.category,
            details=dict(contact.details),
            location=contact.latitude is not None,
            owner=owner,
            history=[HistoryEntry(at=now, action="created", by="intake", note=owned)],
        )
        return order, order._check(rules.fields, now)

    def supply(
        self, supplied: WorkOrderInfoSuppliedV1, area: Area | None, fields: FieldRules
    ) -> Announced | None:
        """Take what an agent supplied; `area`: where a newly given address lies, if the work order had
        none. None for an action taken before; refused (dead letter) once nothing is missing: the
        gateway offers this only before."""
        if self._taken(supplied.action_id):
            return None
        if self.status is not WorkOrderStatus.NEEDS_INFO:
            raise NothingMissing(f"work order {self.id} lacks no field: nothing to supply")
        own = {
            "category": supplied.category,
            "address": supplied.address,
            "account_number": supplied.account_number,
        }
        for field_name, value in own.items():
            if value is not None:
                setattr(self, field_name, value)
        # A sealed reporter's name is never stored, whoever supplies it.
        name = None if self.anonymous else supplied.customer_name
        if name is not None:
            self.customer = self.customer.model_copy(update={"name": name})
        self.details = self.details | supplied.details
        self.area = self.area or area
        names = [key for key, value in own.items() if value is not None] + list(supplied.details)
        names += ["customer_name"] if name is not None else []
        note = ", ".join(sorted(names))
        self.history.append(HistoryEntry(supplied.at, "info supplied", supplied.by, note, supplied.action_id))
        return self._check(fields, supplied.at)

    def hand_over(self, handover: WorkOrderHandoverRequestedV1) -> WorkOrderOwnerChangedV1 | None:
        """Its new owner, with the handover in its history; None for a handover taken before or to
        the agent who owns it already."""
        if self.owner == handover.to or self._taken(handover.action_id):
            return None
        expected, owner = handover.expected_owner, self.owner or DESK_QUEUE
        if expected is not None and expected != owner:
            raise OwnedByAnother(f"{self.id} is {owner}'s now, not {expected}'s: handed over since")
        previous, self.owner = self.owner, handover.to
        note = f"from {previous or 'the desk'} to {handover.to}: {handover.reason}"
        self.history.append(HistoryEntry(handover.at, "handed over", handover.by, note, handover.action_id))
        return WorkOrderOwnerChangedV1(
            work_order_id=self.id,
            province=self.province,
            owner=handover.to,
            previous_owner=previous,
            by=handover.by,
            reason=handover.reason,
            at=handover.at,
            needs_info=self.status is WorkOrderStatus.NEEDS_INFO,
        )

    def reclassify(
        self, asked: WorkOrderReclassificationRequestedV1, fields: FieldRules
    ) -> tuple[WorkOrderReclassifiedV1, Announced | None] | None:
        """The new type and category, in the history; with the work order announced again if it was
        waiting for fields (complete now, or waiting for others). None for one taken before."""
        if self._taken(asked.action_id):
            return None
        if self.status not in (WorkOrderStatus.NEEDS_INFO, WorkOrderStatus.OPEN):
            raise NotReclassifiable(f"{self.id} is {self.status.value}: closed, it is not reclassified")
        if self.incident_id is not None:  # its area's reports of its category are gathered into it
            raise NotReclassifiable(f"{self.id} is incident {self.incident_id}'s: not reclassified")
        if (asked.seen_type, asked.seen_category) != (self.type, self.category):
            now_as = f"{self.type.value}/{self.category}"
            raise NotReclassifiable(f"{self.id} is {now_as} now, not as seen: reclassified since")
        if (asked.type, asked.category) == (self.type, self.category):
            return None  # as it is already: nothing changes
        given = replace(self._given(), category=asked.category)
        lacking = ", ".join(m.name for m in fields.missing(asked.type, given))
        if self.status is WorkOrderStatus.OPEN and lacking and not self.anonymous:
            # Announced complete already (and dispatched, likely): it may not go back to waiting.
            raise NotReclassifiable(f"{self.id} as {asked.type.value} would lack {lacking}: supply first")
        previous = (self.type, self.category)
        self.type, self.category = asked.type, asked.category
        note = f"{previous[0].value}/{previous[1]} to {asked.type.value}/{asked.category}: {asked.reason}"
        self.history.append(HistoryEntry(asked.at, "reclassified", asked.by, note, asked.action_id))
        reclassified = WorkOrderReclassifiedV1(
            work_order_id=self.id,
            province=self.province,
            type=asked.type,
            category=asked.category,
            previous_type=previous[0],
            previous_category=previous[1],
            reason=asked.reason,
            by=asked.by,
            at=asked.at,
            action_id=asked.action_id,
        )
        if self.status is WorkOrderStatus.OPEN:
            return reclassified, None
        return reclassified, self._check(fields, asked.at)

    def _taken(self, action_id: str) -> bool:
        """A redelivered action: its step is in the history already."""
        return any(step.ref == action_id for step in self.history)

    def _check(self, fields: FieldRules, now: datetime) -> Announced:
        """Complete: open for dispatch; else in needs_info, listing what is missing. A sealed report
        goes on all the same: nobody at the desk may call its reporter back to ask."""
        named = fields.named(self.type)
        # Details the type's rules do not name are kept here but announced to no one: readers' field
        # rules cannot know what they hold (a phone typed into a sealed report's extra field, ...).
        noted = {
            name
            for step in self.history
            if step.action == "details kept, not announced" and step.note
            for name in step.note.split(", ")
        }
        unnamed = sorted(set(self.details) - named - noted)
        if unnamed:
            self.history.append(
                HistoryEntry(now, "details kept, not announced", "intake", ", ".join(unnamed))
            )
        announced = self._announced() | {"details": {k: v for k, v in self.details.items() if k in named}}
        self.missing = fields.missing(self.type, self._given())
        missing = ", ".join(m.name for m in self.missing)
        if self.missing and self.anonymous:
            note = f"{missing}: a sealed reporter cannot be asked"
            self.history.append(HistoryEntry(now, "opened without", "intake", note))
            self.missing = []
        if self.missing:
            self.status = WorkOrderStatus.NEEDS_INFO
            self.history.append(HistoryEntry(now, "info requested", "intake", missing))
            return WorkOrderInfoRequestedV1.model_validate(announced | {"missing": self.missing})
        self.status = WorkOrderStatus.OPEN
        return WorkOrderCreatedV1.model_validate(announced)

    def _given(self) -> Given:
        return Given(
            category=self.category,
            address=self.address,
            account_number=self.account_number,
            customer_name=self.customer.name,
            location=self.location,
            details=self.details,
        )

    def _announced(self) -> dict[str, object]:
        return dict(
            work_order_id=self.id,
            contact_id=self.contact_id,
            province=self.province,
            type=self.type,
            channel=self.channel,
            created_at=self.created_at,
            customer=self.customer,
            address=self.address,
            account_number=self.account_number,
            description=self.description,
            anonymous=self.anonymous,
            sealed_reporter=self.sealed_reporter,
            area=self.area,
            category=self.category,
            details=self.details,
            owner=self.owner,
        )
