from datetime import datetime
from typing import ClassVar

from pydantic import Field

from contracts.events.base import Event
from contracts.events.vocabulary import Channel, WorkOrderType

# The fields of a contact that have places of their own (not per-type details): intake's field rules and
# the gateway's details check both name them.
OWN_FIELDS = frozenset({"address", "account_number", "customer_name", "category", "location"})
# Where an anonymous report's reporter's number would be: the number itself travels only sealed
# (`sealed_reporter`), readable by the gateway's audited unseal alone.
SEALED_PHONE = "sealed"


class ContactReceivedV1(Event):
    """A channel adapter's contact, accepted by the gateway: the bus holds it from the moment of the 202."""

    ce_type: ClassVar[str] = "hotline.contact.received.v1"
    minor_version: ClassVar[int] = 4

    contact_id: str = Field(description="Gateway-assigned id; stable for a retried post with the same key.")
    channel: Channel
    received_at: datetime
    province: str = Field(description="Province code of the subsystem that accepted the contact.")
    phone: str = Field(
        description="Caller's number in E.164; for an anonymous report (since 1.3) 'sealed': the number "
        "is in `sealed_reporter`."
    )
    customer_name: str | None = None
    address: str | None = None
    account_number: str | None = None
    requested_type: WorkOrderType | None = Field(
        default=None, description="The category the customer picked, if the channel lets them pick."
    )
    description: str
    anonymous: bool = Field(
        default=False, description="Anonymous reports keep the reporter's identity sealed."
    )
    sealed_reporter: str | None = Field(
        default=None,
        description="An anonymous reporter's number, encrypted by the gateway (1.3): no other service "
        "can read it; the gateway unseals it for an authorised, audited read.",
    )
    external_ref: str | None = Field(
        default=None, description="The channel adapter's own id for the contact."
    )
    latitude: float | None = Field(default=None, ge=-90, le=90, description="WGS 84, where given (1.1).")
    longitude: float | None = Field(default=None, ge=-180, le=180, description="WGS 84, where given (1.1).")
    category: str | None = Field(
        default=None,
        description="Within the type (1.2): the fault category, the business complained about, the "
        "application kind; intake's field rules list each type's categories.",
    )
    details: dict[str, str] = Field(
        default_factory=dict,
        description="The type's other fields by name (1.2), as intake's field rules name them (a report's "
        "reported_party, ...).",
    )
    reply_code: str | None = Field(
        default=None,
        description="A text's (1.4): the extension of the hotline number it was sent to. Notify texts each "
        "work order's news from its own (contracts.ids.reply_code_for), so a customer's answer to one "
        "names the work order it is about, which intake links it to.",
    )
    agent: str | None = Field(
        default=None,
        description="The agent who took the contact (1.2), for voice the answering agent: they own the "
        "work order it opens. None: intake assigns one of the desk's agents on duty.",
    )

    def subject(self) -> str:
        return self.contact_id
