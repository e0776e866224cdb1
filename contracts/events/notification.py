from datetime import datetime
from typing import ClassVar

from pydantic import Field

from contracts.events.base import Event


class NotificationSentV1(Event):
    ce_type: ClassVar[str] = "hotline.notification.sent.v1"
    minor_version: ClassVar[int] = 1

    notification_id: str
    work_order_id: str
    province: str
    channel: str = Field(description="'sms' for now; outbound calls come later.")
    recipient_masked: str = Field(description="The number with its middle digits masked.")
    template: str
    sent_at: datetime
    gateway_reply: str = Field(description="What the SMS gateway answered when it took the message.")
    encoding: str | None = Field(
        default=None, description="(1.1) 'gsm7' or 'ucs2': the alphabet the network sends it in."
    )
    parts: int | None = Field(
        default=None, ge=1, description="(1.1) How many messages the network counts it as (and bills)."
    )

    def subject(self) -> str:
        return self.work_order_id


class NotificationFailedV1(Event):
    """The last attempt to reach the customer failed: an agent must call them another way."""

    ce_type: ClassVar[str] = "hotline.notification.failed.v1"

    notification_id: str
    work_order_id: str
    province: str
    channel: str = Field(description="'sms' for now; outbound calls come later.")
    recipient_masked: str = Field(description="The number with its middle digits masked.")
    template: str
    attempts: int = Field(ge=1, description="How many times the gateway was tried.")
    last_error: str = Field(description="What the gateway said (or why it could not be reached) last time.")
    failed_at: datetime

    def subject(self) -> str:
        return self.work_order_id
