"""Turning a contact into a work order."""

from dataclasses import dataclass
from datetime import datetime
from uuid import NAMESPACE_URL, uuid5

import phonenumbers
from phonenumbers import geocoder

from contracts.events import ContactReceivedV1, Customer, WorkOrderCreatedV1, WorkOrderType
from contracts.provinces import code_for_name

# Contacts whose channel lets nobody pick a category (SMS, most voice) start as consultations;
# the owning agent reclassifies them.
DEFAULT_TYPE = WorkOrderType.CONSULTATION


@dataclass(frozen=True)
class HomeRegion:
    description: str | None
    province: str | None


def home_region(phone: str) -> HomeRegion:
    """The number's home region as libphonenumber's geocoder knows it ("Guangzhou, Guangdong" -> gd)."""
    try:
        number = phonenumbers.parse(phone, None)
    except phonenumbers.NumberParseException:
        return HomeRegion(None, None)
    description = geocoder.description_for_number(number, "en") or None
    if description is None:
        return HomeRegion(None, None)
    # Municipalities come back as one name ("Beijing"), other regions as "City, Province".
    return HomeRegion(description, code_for_name(description.rsplit(",", 1)[-1]))


def work_order_id_for(contact_id: str) -> str:
    """Derived from the contact, so a redelivered contact maps to the same work order, never a second one."""
    return "WO-" + uuid5(NAMESPACE_URL, f"hotline:contact:{contact_id}").hex[:20].upper()


def open_work_order(contact: ContactReceivedV1, now: datetime) -> WorkOrderCreatedV1:
    region = home_region(contact.phone)
    return WorkOrderCreatedV1(
        work_order_id=work_order_id_for(contact.contact_id),
        contact_id=contact.contact_id,
        province=contact.province,
        type=contact.requested_type or DEFAULT_TYPE,
        channel=contact.channel,
        created_at=now,
        customer=Customer(
            name=None if contact.anonymous else contact.customer_name,
            phone=contact.phone,
            home_region=region.description,
            home_province=region.province,
        ),
        address=contact.address,
        account_number=contact.account_number,
        description=contact.description,
        anonymous=contact.anonymous,
    )
