"""Telling customers where their work order stands, by SMS through the gateway."""

from collections.abc import Callable, Sequence
from typing import Any

from contracts.envelope import Envelope
from contracts.events import Event, WorkOrderDispatchedV1, WorkOrderRepliedV1
from contracts.topics import Topics
from plumbing.repository import ConcurrentChange
from services.common.clock import Clock
from services.notify.domain.messages import Sms, accepted, replied
from services.notify.domain.notification import (
    Notification,
    NotificationStatus,
    RetryPolicy,
    notification_id_for,
)
from services.notify.ports import SmsGateway, SmsGatewayError, UnitFactory


class NotifyHandlers:
    def __init__(
        self,
        unit: UnitFactory,
        sms: SmsGateway,
        topics: Topics,
        clock: Clock,
        *,
        signature: str,
        policy: RetryPolicy,
        log: Any,
    ) -> None:
        self._unit = unit
        self._sms = sms
        self._topics = topics
        self._clock = clock
        self._signature = signature
        self._policy = policy
        self._log = log

    async def work_orders_dispatched(self, envelopes: Sequence[Envelope]) -> None:
        # One at a time: each text is claimed, sent and recorded before the next (batching them is the
        # notify issue's, with its double-send guarantee).
        for envelope in envelopes:
            assert isinstance(envelope.data, WorkOrderDispatchedV1)
            await self._notify(envelope, envelope.data, accepted(envelope.data, self._signature))

    async def work_orders_replied(self, envelopes: Sequence[Envelope]) -> None:
        for envelope in envelopes:
            assert isinstance(envelope.data, WorkOrderRepliedV1)
            await self._notify(envelope, envelope.data, replied(envelope.data, self._signature))

    async def _notify(
        self, envelope: Envelope, event: WorkOrderDispatchedV1 | WorkOrderRepliedV1, sms: Sms
    ) -> None:
        notification_id = notification_id_for(event, envelope.id)
        notification = Notification.to_customer(notification_id, event, sms, self._clock())
        if notification is None:
            self._log.info(
                "no SMS: not a mobile number", work_order_id=event.work_order_id, template=sms.template
            )
            return
        async with self._unit() as uow:
            uow.notifications.add(notification)
        # A redelivery finds the stored one: sent already, or still due if its first try never finished.
        await self.deliver(notification_id, cause=envelope)

    async def deliver(self, notification_id: str, cause: Envelope | None = None) -> None:
        """Send a due text; `cause`, the event it answers, whose trace its outcome continues."""
        try:
            async with self._unit() as uow:
                notification = await uow.notifications.get(notification_id)
                if notification is None or not notification.claim(self._clock(), self._policy):
                    return
                uow.notifications.save(notification)
        except ConcurrentChange:
            return  # another sender claimed it first
        try:
            answer = await self._sms.send(notification.to, notification.text)
        except SmsGatewayError as error:
            reason = str(error)
            stored = await self._record(
                notification, lambda: notification.record_failure(reason, self._clock(), self._policy), cause
            )
            if stored and notification.status is NotificationStatus.FAILED:
                self._log.error(
                    "gave up texting the customer",
                    notification_id=notification_id,
                    work_order_id=notification.work_order_id,
                    attempts=notification.attempts,
                    error=reason,
                )
            return
        await self._record(notification, lambda: notification.record_sent(answer, self._clock()), cause)

    async def _record(
        self, notification: Notification, outcome: Callable[[], Event | None], cause: Envelope | None
    ) -> bool:
        """Store how a send went, and announce it when the domain says there is something to tell."""
        try:
            async with self._unit() as uow:
                event = outcome()
                uow.notifications.save(notification)
                if event is not None:
                    uow.publish(event, self._topics.notifications, notification, cause=cause)
        except ConcurrentChange:
            # Our claim went stale mid-send and another sender took the message over: its outcome is the
            # one stored. (A text sent by both is the double send the notify issue closes.)
            self._log.warning("another sender took the message over", notification_id=notification.id)
            return False
        return True

    async def retry_due(self) -> int:
        async with self._unit() as uow:
            due = await uow.notifications.due_for_retry(self._clock())
        for notification_id in due:
            try:
                await self.deliver(notification_id)
            except Exception:
                # One message that cannot be sent now must not keep the rest of the queue waiting.
                self._log.exception(
                    "retry failed; the next round tries again", notification_id=notification_id
                )
        return len(due)
