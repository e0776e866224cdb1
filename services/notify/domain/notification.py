"""One message to a customer and its delivery: claimed for sending, sent, retried, or given up on."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from contracts.events import (
    CustomerKind,
    NotificationFailedV1,
    NotificationSentV1,
    WorkOrderDispatchedV1,
    WorkOrderRepliedV1,
)
from services.notify.domain.messages import Sms, can_text, mask
from services.notify.domain.sms_length import sms_length

CHANNEL = "sms"
# A claim older than this was taken by a process that died mid-send; the message is tried again.
STALE_CLAIM = timedelta(minutes=2)


class NotificationStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int
    retry_after: timedelta
    stale_claim: timedelta = STALE_CLAIM


def notification_id_for(event: WorkOrderDispatchedV1 | WorkOrderRepliedV1, event_id: str) -> str:
    """One text per business fact: neither a redelivered event nor a retried reply texts twice."""
    if isinstance(event, WorkOrderDispatchedV1):
        return f"N-{event.dispatch_id}-dispatched"
    # Replies recorded before WorkOrderReplied 1.1 carry no reply id; their event id is as stable.
    return f"N-{event.dispatch_id}-{event.reply_id or event_id}"


@dataclass
class Notification:
    id: str
    work_order_id: str
    province: str
    to: str
    template: str
    text: str
    created_at: datetime
    status: NotificationStatus = NotificationStatus.PENDING
    attempts: int = 0
    # When to look at it next: a retry's time, or when a claim goes stale; None once it is settled.
    next_attempt_at: datetime | None = None
    last_error: str | None = None
    sent_at: datetime | None = None
    gateway_reply: str | None = None
    customer_kind: CustomerKind | None = None  # what the customer's quiet hours are those of
    version: int = 0

    @classmethod
    def to_customer(
        cls, notification_id: str, event: WorkOrderDispatchedV1 | WorkOrderRepliedV1, sms: Sms, now: datetime
    ) -> "Notification | None":
        """The text for this customer; None when their number takes none (a landline hears back by phone)."""
        return cls.to_phone(
            notification_id, event.work_order_id, event.province, event.customer.phone, sms, now
        )

    @classmethod
    def to_phone(
        cls,
        notification_id: str,
        work_order_id: str,
        province: str,
        phone: str,
        sms: Sms,
        now: datetime,
        kind: CustomerKind | None = None,
    ) -> "Notification | None":
        if not can_text(phone):
            return None
        return cls(
            id=notification_id,
            work_order_id=work_order_id,
            province=province,
            to=phone,
            template=sms.template,
            text=sms.text,
            created_at=now,
            next_attempt_at=now,
            customer_kind=kind,
        )

    def hold_until(self, opens: datetime, now: datetime) -> bool:
        """Held for the customer's quiet hours: not sent before `opens` (True if it was due, and is now
        held; a held one is looked at again then)."""
        due = self.next_attempt_at is not None and self.next_attempt_at <= now
        if self.status not in (NotificationStatus.PENDING, NotificationStatus.SENDING) or not due:
            return False
        self.status = NotificationStatus.PENDING
        self.next_attempt_at = opens
        return True

    def claim(self, now: datetime, policy: RetryPolicy) -> bool:
        """Take it for sending if it is due: pending and its time has come, or held by a dead sender."""
        due = self.next_attempt_at is not None and self.next_attempt_at <= now
        if self.status not in (NotificationStatus.PENDING, NotificationStatus.SENDING) or not due:
            return False
        self.status = NotificationStatus.SENDING
        self.attempts += 1
        self.next_attempt_at = now + policy.stale_claim
        return True

    def record_sent(self, gateway_reply: str, now: datetime) -> NotificationSentV1:
        self.status = NotificationStatus.SENT
        self.next_attempt_at = None
        self.sent_at = now
        self.gateway_reply = gateway_reply
        length = sms_length(self.text)
        return NotificationSentV1(
            notification_id=self.id,
            work_order_id=self.work_order_id,
            province=self.province,
            channel=CHANNEL,
            recipient_masked=mask(self.to),
            template=self.template,
            sent_at=now,
            gateway_reply=gateway_reply,
            encoding=length.encoding.value,
            parts=length.parts,
        )

    def record_failure(self, error: str, now: datetime, policy: RetryPolicy) -> NotificationFailedV1 | None:
        """Retry later, or, after the last attempt, give up and say so (None while attempts remain)."""
        self.last_error = error
        if self.attempts < policy.max_attempts:
            self.status = NotificationStatus.PENDING
            self.next_attempt_at = now + policy.retry_after
            return None
        self.status = NotificationStatus.FAILED
        self.next_attempt_at = None
        return NotificationFailedV1(
            notification_id=self.id,
            work_order_id=self.work_order_id,
            province=self.province,
            channel=CHANNEL,
            recipient_masked=mask(self.to),
            template=self.template,
            attempts=self.attempts,
            last_error=error,
            failed_at=now,
        )
