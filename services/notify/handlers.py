"""Telling customers where their work order stands, by SMS through the gateway."""

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from contracts.envelope import Envelope
from contracts.events import NotificationSentV1, WorkOrderDispatchedV1, WorkOrderRepliedV1
from contracts.topics import Topics
from plumbing.outbox import Outbox, PendingEvents
from services.notify.messages import Sms, accepted, can_text, mask, replied
from services.notify.ports import Notifications, SmsGateway, SmsGatewayError


class Notifier:
    def __init__(
        self,
        notifications: Notifications,
        gateway: SmsGateway,
        outbox: Outbox,
        topics: Topics,
        new_pending: Callable[[], PendingEvents],
        *,
        signature: str,
        max_attempts: int,
        retry_seconds: float,
        log: Any,
    ) -> None:
        self._log = log
        self._notifications = notifications
        self._gateway = gateway
        self._outbox = outbox
        self._topics = topics
        self._new_pending = new_pending
        self._signature = signature
        self._max_attempts = max_attempts
        self._retry_seconds = retry_seconds

    async def work_order_dispatched(self, envelope: Envelope) -> None:
        assert isinstance(envelope.data, WorkOrderDispatchedV1)
        await self._notify(envelope.id, envelope.data, accepted(envelope.data, self._signature))

    async def work_order_replied(self, envelope: Envelope) -> None:
        assert isinstance(envelope.data, WorkOrderRepliedV1)
        await self._notify(envelope.id, envelope.data, replied(envelope.data, self._signature))

    async def _notify(
        self, event_id: str, event: WorkOrderDispatchedV1 | WorkOrderRepliedV1, sms: Sms
    ) -> None:
        work_order_id, phone = event.work_order_id, event.customer.phone
        if not can_text(phone):
            self._log.info("no SMS: not a mobile number", work_order_id=work_order_id, template=sms.template)
            return
        # One notification per causing event: a redelivered event finds it already there.
        notification_id = f"N-{event_id}"
        document = {
            "_id": notification_id,
            "work_order_id": work_order_id,
            "province": event.province,
            "to": phone,
            "template": sms.template,
            "text": sms.text,
            "status": "pending",
            "attempts": 0,
            "created_at": datetime.now(UTC),
        }
        if await self._notifications.add(document):
            await self.deliver(notification_id)
        else:
            await self._outbox.flush(notification_id)

    async def deliver(self, notification_id: str) -> None:
        notification = await self._notifications.claim(notification_id)
        if notification is None:
            return
        try:
            answer = await self._gateway.send(notification["to"], notification["text"])
        except SmsGatewayError as error:
            retry = notification["attempts"] + 1 < self._max_attempts
            await self._notifications.mark_failed(notification_id, str(error), retry, self._retry_seconds)
            return
        now = datetime.now(UTC)
        sent = NotificationSentV1(
            notification_id=notification_id,
            work_order_id=notification["work_order_id"],
            province=notification["province"],
            channel="sms",
            recipient_masked=mask(notification["to"]),
            template=notification["template"],
            sent_at=now,
            gateway_reply=answer,
        )
        pending = self._new_pending()
        pending.add(sent, self._topics.notifications)
        await self._notifications.mark_sent(
            notification_id, {"sent_at": now, "gateway_reply": answer} | pending.for_update()
        )
        await self._outbox.flush(notification_id)

    async def retry_due(self) -> int:
        due = await self._notifications.due_for_retry()
        for notification_id in due:
            await self.deliver(notification_id)
        return len(due)
