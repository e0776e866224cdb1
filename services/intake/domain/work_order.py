"""The work order a contact opens: its type, its customer (the directory's standing, the home region
from the number), its history."""

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

from contracts.events import Area, Channel, ContactReceivedV1, Customer, WorkOrderCreatedV1, WorkOrderType
from contracts.ids import work_order_id_for
from services.common.working_days import CHINA_TIME
from services.intake.domain.customers import Match
from services.intake.domain.home_region import home_region
from services.intake.domain.tiers import TierRules

# Contacts whose channel lets nobody pick a category (SMS, most voice) start as consultations;
# the owning agent reclassifies them.
DEFAULT_TYPE = WorkOrderType.CONSULTATION


class WorkOrderStatus(StrEnum):
    OPEN = "open"


def china_date(moment: datetime) -> date:
    """The day it is in China: tenure counts whole months of the customer's calendar, not UTC's."""
    return moment.astimezone(CHINA_TIME).date()


@dataclass(frozen=True)
class HistoryEntry:
    at: datetime
    action: str
    by: str


@dataclass
class WorkOrder:
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
    area: Area | None = None
    status: WorkOrderStatus = WorkOrderStatus.OPEN
    history: list[HistoryEntry] = field(default_factory=list)
    version: int = 0

    @classmethod
    def open(
        cls,
        contact: ContactReceivedV1,
        now: datetime,
        known: Match | None,
        rules: TierRules,
        area: Area | None = None,
    ) -> tuple["WorkOrder", WorkOrderCreatedV1]:
        """`known`: the directory's entry for the contact's account or number, if any; `area`: the
        supply area its location or address lies in."""
        region = home_region(contact.phone)
        # A sealed reporter is never tied to an account: not even their tier may hint at who they are.
        if contact.anonymous:
            known = None
        profile = known.profile if known else None
        standing = profile.standing(rules, china_date(now)) if profile else rules.unknown()
        # Only an account the contact is certainly about lends the work order its number, name and kind;
        # a number several accounts share lends only the queue position.
        certain = known.profile if known is not None and known.certain else None
        account_number = contact.account_number
        if account_number is None and certain is not None:
            account_number = certain.account_number
        name = contact.customer_name or (certain.name if certain else None)
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
                phone=contact.phone,
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
            area=area,
            history=[HistoryEntry(at=now, action="created", by="intake")],
        )
        return order, order.created()

    def created(self) -> WorkOrderCreatedV1:
        return WorkOrderCreatedV1(
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
            area=self.area,
        )
