from datetime import datetime
from typing import ClassVar

from pydantic import Field

from contracts.events.base import Event
from contracts.events.vocabulary import Channel, WorkOrderType


class ContactReceivedV1(Event):
    """A channel adapter's contact, accepted by the gateway: the bus holds it from the moment of the 202."""

    ce_type: ClassVar[str] = "hotline.contact.received.v1"
    minor_version: ClassVar[int] = 1

    contact_id: str = Field(description="Gateway-assigned id; stable for a retried post with the same key.")
    channel: Channel
    received_at: datetime
    province: str = Field(description="Province code of the subsystem that accepted the contact.")
    phone: str = Field(description="Caller's number in E.164.")
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
    external_ref: str | None = Field(
        default=None, description="The channel adapter's own id for the contact."
    )
    latitude: float | None = Field(default=None, ge=-90, le=90, description="WGS 84, where given (1.1).")
    longitude: float | None = Field(default=None, ge=-180, le=180, description="WGS 84, where given (1.1).")

    def subject(self) -> str:
        return self.contact_id
