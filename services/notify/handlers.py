"""Telling customers where their work order stands, by SMS through the gateway."""

from typing import Any

from contracts.envelope import Envelope
from contracts.events import WorkOrderDispatchedV1, WorkOrderRepliedV1
from contracts.topics import Topics
from plumbing.repository import ConcurrentChange
from services.common.clock import Clock
from services.notify.domain.messages import Sms, accepted, can_text, replied
from services.notify.domain.notification import Notification, RetryPolicy, notification_id_for
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

    async def work_order_dispatched(self, envelope: Envelope) -> None:
        assert isinstance(envelope.data, WorkOrderDispatchedV1)
        await self._notify(envelope, envelope.data, accepted(envelope.data, self._signature))

    async def work_order_replied(self, envelope: Envelope) -> None:
        assert isinstance(envelope.data, WorkOrderRepliedV1)
        await self._notify(envelope, envelope.data, replied(envelope.data, self._signature))

    async def _notify(
        self, envelope: Envelope, event: WorkOrderDispatchedV1 | WorkOrderRepliedV1, sms: Sms
    ) -> None:
        if not can_text(event.customer.phone):
            self._log.info(
                "no SMS: not a mobile number", work_order_id=event.work_order_id, template=sms.template
            )
            return
        notification_id = notification_id_for(event, envelope.id)
        async with self._unit() as uow:
            uow.notifications.add(Notification.to_customer(notification_id, event, sms, self._clock()))
        # A redelivery finds the stored one: sent already, or still due if its first try never finished.
        await self.deliver(notification_id)

    async def deliver(self, notification_id: str) -> None:
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
            async with self._unit() as uow:
                failed = notification.record_failure(str(error), self._clock(), self._policy)
                uow.notifications.save(notification)
                if failed is not None:
                    uow.publish(failed, self._topics.notifications, notification)
            if failed is not None:
                self._log.error(
                    "gave up texting the customer",
                    notification_id=notification_id,
                    work_order_id=notification.work_order_id,
                    attempts=notification.attempts,
                    error=str(error),
                )
            return
        async with self._unit() as uow:
            sent = notification.record_sent(answer, self._clock())
            uow.notifications.save(notification)
            uow.publish(sent, self._topics.notifications, notification)

    async def retry_due(self) -> int:
        async with self._unit() as uow:
            due = await uow.notifications.due_for_retry(self._clock())
        for notification_id in due:
            await self.deliver(notification_id)
        return len(due)
