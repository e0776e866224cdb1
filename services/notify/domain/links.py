"""Customers who opened no work order of their own but were linked to another's (a storm's incident, a
repeat contact): they hear how it ends too."""

from dataclasses import dataclass
from datetime import datetime

from contracts.events import ContactLinkedV1, CustomerKind
from services.notify.domain.messages import Sms


@dataclass(frozen=True)
class Link:
    contact_id: str
    work_order_id: str
    phone: str
    linked_at: datetime
    kind: CustomerKind | None = None  # the linked customer's own (their quiet hours)

    @classmethod
    def of(cls, event: ContactLinkedV1) -> "Link":
        customer = event.customer
        return cls(event.contact_id, event.work_order_id, customer.phone, event.linked_at, customer.kind)


@dataclass(frozen=True)
class Result:
    """A work order's final reply as its customer was (or, with no mobile number, would have been)
    texted: what a customer linked after it hears at once."""

    work_order_id: str
    notification_id: str
    phone: str  # the work order's own customer's
    sms: Sms


def linked_notification_id(customers_notification_id: str, phone: str) -> str:
    """A linked customer's copy of a text to the work order's own customer: one per number (a customer
    who reported twice hears it once), whichever of the two ways (the reply's fan-out, or a link that
    came after the reply) finds it first."""
    return f"{customers_notification_id}-{phone}"


def linked_copy(sms: Sms) -> Sms:
    """The same text for a linked customer, under a template of its own: what the work order's own
    customer was sent stays apart from its copies."""
    return Sms(f"{sms.template}.linked", sms.text)
