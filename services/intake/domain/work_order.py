"""The work order a contact opens: its type, its customer (home region from the number), its history."""

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from contracts.events import Channel, ContactReceivedV1, Customer, WorkOrderCreatedV1, WorkOrderType
from contracts.ids import work_order_id_for
from services.intake.domain.home_region import home_region

# Contacts whose channel lets nobody pick a category (SMS, most voice) start as consultations;
# the owning agent reclassifies them.
DEFAULT_TYPE = WorkOrderType.CONSULTATION


class WorkOrderStatus(StrEnum):
    OPEN = "open"


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
    status: WorkOrderStatus = WorkOrderStatus.OPEN
    history: list[HistoryEntry] = field(default_factory=list)
    version: int = 0

    @classmethod
    def open(cls, contact: ContactReceivedV1, now: datetime) -> tuple["WorkOrder", WorkOrderCreatedV1]:
        region = home_region(contact.phone)
        order = cls(
            id=work_order_id_for(contact.contact_id),
            contact_id=contact.contact_id,
            province=contact.province,
            type=contact.requested_type or DEFAULT_TYPE,
            channel=contact.channel,
            created_at=now,
            customer=Customer(
                # An anonymous reporter's name is never stored, so no later reader can reveal it.
                name=None if contact.anonymous else contact.customer_name,
                phone=contact.phone,
                home_region=region.description,
                home_province=region.province,
            ),
            address=contact.address,
            account_number=contact.account_number,
            description=contact.description,
            anonymous=contact.anonymous,
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
        )
