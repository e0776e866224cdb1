"""Telling customers where their work order stands, by SMS through the gateway."""

from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from contracts.envelope import Envelope
from contracts.events import (
    SEALED_PHONE,
    ContactLinkedV1,
    CustomerKind,
    Event,
    ReplyKind,
    SmsDeliveryReportedV1,
    WorkOrderAnsweredV1,
    WorkOrderDispatchedV1,
    WorkOrderRepliedV1,
)
from contracts.ids import reply_code_for
from contracts.topics import Topics
from plumbing.due_minutes import DueMinutes
from plumbing.repository import ConcurrentChange
from services.common.clock import Clock
from services.notify.callback_handlers import CallbackHandlers
from services.notify.domain.deliveries import report_reference_for
from services.notify.domain.links import Link, Result, linked_copy, linked_notification_id
from services.notify.domain.messages import Sms, accepted, answered, linked, replied
from services.notify.domain.notification import (
    Notification,
    NotificationStatus,
    RetryPolicy,
    notification_id_for,
)
from services.notify.domain.templates import Templates
from services.notify.ports import Deliveries, LinkedContacts, SmsGateway, SmsGatewayError, UnitFactory

RESCAN_EVERY = timedelta(minutes=15)
AboutWorkOrder = WorkOrderDispatchedV1 | WorkOrderRepliedV1 | WorkOrderAnsweredV1 | ContactLinkedV1
# When a customer of this kind may next be reached with this template (services/notify/domain/quiet_hours.py).
ReachableFrom = Callable[[datetime, CustomerKind | None, str], datetime]


class NotifyHandlers:
    def __init__(
        self,
        unit: UnitFactory,
        links: LinkedContacts,
        deliveries: Deliveries,
        sms: SmsGateway,
        topics: Topics,
        clock: Clock,
        *,
        templates: Templates,
        policy: RetryPolicy,
        log: Any,
        reply_codes: bool = True,
        callbacks: CallbackHandlers,
        opens: ReachableFrom | None = None,
    ) -> None:
        """`opens`: when a customer may next be reached (their quiet hours); None: at any hour."""
        self._unit = unit
        self._links = links
        self._deliveries = deliveries
        self._sms = sms
        self._topics = topics
        self._clock = clock
        self._templates = templates
        self._policy = policy
        self._log = log
        self._reply_codes = reply_codes
        self.callbacks = callbacks  # the calls owed a callback (services/notify/callback_handlers.py)
        self._opens = opens
        # None until the first round, which looks at every unsettled message instead.
        self._due: DueMinutes | None = None
        self._last_rescan = datetime.min.replace(tzinfo=UTC)

    async def work_orders_dispatched(self, envelopes: Sequence[Envelope]) -> None:
        # One at a time: each text is claimed, sent and recorded before the next (batching them is the
        # notify issue's, with its double-send guarantee).
        for envelope in envelopes:
            event = envelope.data
            assert isinstance(event, WorkOrderDispatchedV1)
            sms = accepted(event, self._templates)
            await self._notify(
                envelope, notification_id_for(event, envelope.id), event, event.customer.phone, sms
            )

    async def work_orders_replied(self, envelopes: Sequence[Envelope]) -> None:
        """The work order's customer hears of each reply, and so does every customer linked to it."""
        for envelope in envelopes:
            event = envelope.data
            assert isinstance(event, WorkOrderRepliedV1)
            sms = replied(event, self._templates)
            notification_id = notification_id_for(event, envelope.id)
            phone = event.customer.phone
            if event.kind is ReplyKind.FINAL:  # kept first: a customer linked from now on finds it
                await self._links.keep_result(Result(event.work_order_id, notification_id, phone, sms))
            await self._notify(envelope, notification_id, event, phone, sms)
            for link in await self._links.of(event.work_order_id):
                if link.phone != phone:  # the customer reported again: texted once, above
                    copy_id = linked_notification_id(notification_id, link.phone)
                    await self._notify(envelope, copy_id, event, link.phone, linked_copy(sms), link.kind)

    async def work_orders_answered(self, envelopes: Sequence[Envelope]) -> None:
        for envelope in envelopes:
            event = envelope.data
            assert isinstance(event, WorkOrderAnsweredV1)
            sms = answered(event, self._templates)
            await self._notify(
                envelope, f"N-{event.work_order_id}-answered", event, event.customer.phone, sms
            )

    async def contacts_linked(self, envelopes: Sequence[Envelope]) -> None:
        """A linked customer is told the work order's number, and later its replies. One linked after
        the final reply was sent hears the result at once. (A link and a final reply taken at the very
        same moment may miss each other: that customer hears only of the link.)"""
        links = [envelope.data for envelope in envelopes]
        await self._links.add([Link.of(link) for link in links if isinstance(link, ContactLinkedV1)])
        for envelope in envelopes:
            event = envelope.data
            assert isinstance(event, ContactLinkedV1)
            sms = linked(event, self._templates)
            phone = event.customer.phone
            # Once per number and work order: a customer who reports again is not told twice.
            await self._notify(envelope, f"N-{event.work_order_id}-linked-{phone}", event, phone, sms)
            result = await self._links.result_of(event.work_order_id)
            if result is not None and result.phone != phone:
                copy_id = linked_notification_id(result.notification_id, phone)
                await self._notify(envelope, copy_id, event, phone, linked_copy(result.sms))

    async def deliveries_reported(self, envelopes: Sequence[Envelope]) -> None:
        """What the SMS gateway reported of each text, kept on the text's delivery."""
        for envelope in envelopes:
            report = envelope.data
            assert isinstance(report, SmsDeliveryReportedV1)
            delivery = await self._deliveries.record(report)
            if delivery.failed and report.state is delivery.state:
                # The text was the customer's news of their work order: an agent must reach them another
                # way, so the work order is named (found by the reference's index, on this rare path).
                async with self._unit() as uow:
                    notification_id = await uow.notifications.with_reference(report.reference)
                    notification = await uow.notifications.get(notification_id) if notification_id else None
                self._log.warning(
                    "the customer's phone did not get the text",
                    notification_id=notification_id,
                    work_order_id=notification.work_order_id if notification else None,
                    state=report.state.value,
                    gateway_answer=report.gateway_answer,
                )

    async def _notify(
        self,
        envelope: Envelope,
        notification_id: str,
        about: AboutWorkOrder,
        phone: str,
        sms: Sms,
        kind: CustomerKind | None = None,
    ) -> None:
        """`kind`: the customer's, when `phone` is not the one `about` names (a linked customer's)."""
        if phone == SEALED_PHONE:  # an anonymous reporter: only the gateway's audited unseal knows them
            self._log.info("no SMS: the reporter is sealed", work_order_id=about.work_order_id)
            return
        if phone == about.customer.phone:
            kind = about.customer.kind
        notification = Notification.to_phone(
            notification_id, about.work_order_id, about.province, phone, sms, self._clock(), kind
        )
        if notification is None:
            self._log.info(
                "no SMS: not a mobile number", work_order_id=about.work_order_id, template=sms.template
            )
            return
        async with self._unit() as uow:
            uow.notifications.add(notification)
        # A redelivery finds the stored one: sent already, or still due if its first try never finished.
        await self.deliver(notification_id, cause=envelope)

    async def deliver(self, notification_id: str, cause: Envelope | None = None) -> bool:
        """Send a text if it is due (True when this sender took it); `cause`, the event it answers,
        whose trace its outcome continues."""
        try:
            async with self._unit() as uow:
                notification = await uow.notifications.get(notification_id)
                if notification is None:
                    return False
                opens = self._quiet_until(notification)
                if opens is not None:
                    if notification.hold_until(opens, self._clock()):
                        uow.notifications.save(notification)
                        self._log.info(
                            "held for the customer's quiet hours",
                            notification_id=notification.id,
                            work_order_id=notification.work_order_id,
                            until=opens.isoformat(),
                        )
                    return False
                if not notification.claim(self._clock(), self._policy):
                    return False
                uow.notifications.save(notification)
        except ConcurrentChange:
            return False  # another sender claimed it first
        if notification.attempts > 1 and await self._reached_the_smsc(notification):
            # An earlier sender died unrecorded after the gateway took it, and the SMSC reported it.
            self._log.warning("a text the SMSC reported is not sent again", notification_id=notification.id)
            sent = partial(notification.record_sent, "reconciled: the SMSC reported it", self._clock())
            await self._record(notification, sent, cause)
            return True
        try:
            answer = await self._sms.send(
                notification.to,
                notification.text,
                reply_code=reply_code_for(notification.work_order_id) if self._reply_codes else None,
                reference=report_reference_for(notification.id),
            )
        except Exception as error:
            # An error the gateway client was not written for counts as a failed attempt too, so the
            # retry policy bounds it rather than a claim going stale again and again.
            reason = str(error) if isinstance(error, SmsGatewayError) else f"unexpected: {error!r}"
            if not isinstance(error, SmsGatewayError):
                self._log.exception("SMS gateway client failed", notification_id=notification_id)
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
            return True
        await self._record(notification, lambda: notification.record_sent(answer, self._clock()), cause)
        return True

    async def _reached_the_smsc(self, notification: Notification) -> bool:
        delivery = await self._deliveries.of(report_reference_for(notification.id))
        return delivery is not None and delivery.reached_the_smsc

    def _quiet_until(self, notification: Notification) -> datetime | None:
        """When the customer's quiet hours end, if they hold now; None: they may be reached now."""
        if self._opens is None:
            return None
        now = self._clock()
        opens = self._opens(now, notification.customer_kind, notification.template)
        return opens if opens > now else None

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
        """Send what is due again (retries, claims of senders that died); how many this round took.

        Each round asks for the minutes not yet finished (`DueMinutes`); the first round, and one every
        `RESCAN_EVERY`, asks for every unsettled message by status instead: what fell due while no sender
        ran, or was written by a release that stored no minute (mid rolling update).
        """
        now = self._clock()
        rescan = self._due is None or now - self._last_rescan >= RESCAN_EVERY
        async with self._unit() as uow:
            if rescan:
                candidates = await uow.notifications.unsettled(now)
            else:
                assert self._due is not None
                candidates = [
                    notification_id
                    for minute in self._due.to_look_at(now)
                    for notification_id in await uow.notifications.next_attempt_in(minute)
                ]
        taken = 0
        for notification_id in dict.fromkeys(candidates):
            try:
                taken += await self.deliver(notification_id)
            except Exception:
                # One message that cannot be sent now must not keep the rest waiting. A claimed one is due
                # again when its claim goes stale (another minute); any other is found by the next rescan.
                self._log.exception("retry failed", notification_id=notification_id)
        if rescan:
            self._last_rescan = now
        self._due = self._due or DueMinutes(now)
        # Minutes close a while after the clock has passed them: a write that lands late (a slow store, a
        # replica whose clock runs behind) is still found.
        self._due.looked_at(now - DueMinutes.LATE)
        return taken
