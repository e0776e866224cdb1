"""What the SMS gateway learned of a text notify sent: the operator's SMSC took it, refused it, kept it
for a phone that is off, or the phone got it. Kannel calls the gateway back (the `dlr-url` notify gave
each message), the gateway puts each report on the bus, and notify records it on the message."""

from datetime import datetime
from enum import StrEnum
from typing import ClassVar

from pydantic import Field

from contracts.events.base import Event


class DeliveryState(StrEnum):
    DELIVERED = "delivered"  # the phone has it: final
    UNDELIVERABLE = "undeliverable"  # the network gave up on it: final
    BUFFERED = "buffered"  # the SMSC keeps it for a phone that is off or out of reach
    SUBMITTED = "submitted"  # the SMSC took it
    REJECTED = "rejected"  # the SMSC refused it: final


class SmsDeliveryReportedV1(Event):
    ce_type: ClassVar[str] = "hotline.sms.delivery_reported.v1"

    reference: str = Field(
        description="The reference notify gave the message's report URL: a digest of the message's id, "
        "so that a report (in the SMS gateway's logs, on the bus) names no customer."
    )
    province: str
    state: DeliveryState
    gateway_status: int = Field(description="The SMS gateway's own status code (Kannel's DLR type, 1-16).")
    gateway_answer: str | None = Field(
        default=None, description="What the SMSC said with it (Kannel's %A), as it said it."
    )
    reported_at: datetime = Field(description="When the SMS gateway says it happened.")
    received_at: datetime = Field(description="When the Hotline gateway took the report.")
    source: str = Field(description="Which SMS gateway reported it: 'kannel'.")

    def subject(self) -> str:
        return self.reference
