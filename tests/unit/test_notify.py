from datetime import UTC, datetime
from uuid import uuid4

import pytest

from contracts.events import (
    SEALED_PHONE,
    Customer,
    DeliveryState,
    SmsDeliveryReportedV1,
    WorkOrderDispatchedV1,
    WorkOrderRepliedV1,
)
from services.notify.bootstrap import bootstrap
from services.notify.domain.callbacks import WatchedCall
from services.notify.domain.messages import mask
from services.notify.domain.notification import Notification, NotificationStatus
from services.notify.handlers import NotifyHandlers
from services.notify.ports import CallbackUnit, NotifyUnit
from services.notify.settings import NotifySettings
from tests.fakes import (
    UNIT_SETTINGS,
    FakeClock,
    FakeSmsGateway,
    InMemoryDeliveries,
    InMemoryLinkedContacts,
    InMemoryNotifications,
    InMemoryRepository,
    InMemoryStore,
    envelope_of,
    source_of,
)

CUSTOMER = Customer(name="王五", phone="+8613926012345")


def dispatched() -> WorkOrderDispatchedV1:
    work_order_id = f"WO-{uuid4().hex[:12]}"
    return WorkOrderDispatchedV1(
        work_order_id=work_order_id,
        dispatch_id=f"{work_order_id}-D1",
        province="gd",
        department="repair",
        type="fault_repair",
        dispatched_at=datetime(2026, 11, 23, 2, 0, tzinfo=UTC),
        reply_due_at=datetime(2026, 11, 23, 4, 0, tzinfo=UTC),
        customer=CUSTOMER,
        description="停电",
    )


def replied(
    kind: str = "final", customer: Customer = CUSTOMER, reply_id: str | None = None
) -> WorkOrderRepliedV1:
    work_order_id = f"WO-{uuid4().hex[:12]}"
    return WorkOrderRepliedV1(
        work_order_id=work_order_id,
        dispatch_id=f"{work_order_id}-D1",
        province="gd",
        department="repair",
        type="fault_repair",
        kind=kind,
        message="线路已修复，已恢复供电",
        replied_at=datetime.now(UTC),
        on_time=True,
        customer=customer,
        reply_id=reply_id or f"R-{uuid4().hex}",
    )


class Notify:
    def __init__(self, failures: int = 0, max_attempts: int = 3, **settings: object) -> None:
        self.store: InMemoryStore[Notification] = InMemoryStore()
        self.sms = FakeSmsGateway(failures)
        self.links = InMemoryLinkedContacts()
        self.deliveries = InMemoryDeliveries()
        self.calls: InMemoryStore[WatchedCall] = InMemoryStore()
        self.clock = FakeClock()
        self._settings = NotifySettings(
            **UNIT_SETTINGS | settings, sms_max_attempts=max_attempts, sms_retry_seconds=30
        )
        self.handlers = self.restart()

    def restart(self) -> NotifyHandlers:
        """A new notify process on the same store, SMS gateway and clock."""

        def unit() -> NotifyUnit:
            return NotifyUnit(source_of("notify"), InMemoryNotifications(self.store))

        self.handlers: NotifyHandlers = bootstrap(
            self._settings,
            unit=unit,
            links=self.links,
            deliveries=self.deliveries,
            callbacks=lambda: CallbackUnit(source_of("notify"), InMemoryRepository(self.calls)),
            sms=self.sms,
            clock=self.clock,
        ).handlers
        return self.handlers

    def store_notifications(self) -> InMemoryNotifications:
        return InMemoryNotifications(self.store)

    def notification(self) -> Notification:
        [notification] = self.store.all()
        return notification


async def test_a_dispatched_work_order_tells_the_customer_its_number_and_reply_time():
    notify, event = Notify(), dispatched()
    await notify.handlers.work_orders_dispatched([envelope_of(event)])
    [(to, text)] = notify.sms.sent
    assert to == "+8613926012345"
    assert event.work_order_id in text
    assert "11月23日12:00前答复" in text


async def test_a_final_reply_tells_the_customer_the_result_and_is_announced_masked():
    notify = Notify()
    await notify.handlers.work_orders_replied([envelope_of(replied())])
    assert "已办结：线路已修复" in notify.sms.sent[0][1]
    [(topic, sent)] = notify.store.bus.published
    assert topic == "gd.notifications"
    assert sent.type == "hotline.notification.sent.v1"
    assert sent.data.recipient_masked == "+86139****2345"
    assert sent.data.gateway_reply == "0: Accepted for delivery"


async def test_a_redelivered_event_sends_one_sms_and_announces_it_once():
    notify, delivery = Notify(), envelope_of(replied())
    await notify.handlers.work_orders_replied([delivery])
    await notify.handlers.work_orders_replied([delivery])
    assert len(notify.sms.sent) == 1
    assert len(notify.store.bus.published) == 1


async def test_the_same_reply_in_a_second_event_sends_one_sms():
    notify, reply = Notify(), replied(kind="interim")
    await notify.handlers.work_orders_replied([envelope_of(reply)])
    await notify.handlers.work_orders_replied([envelope_of(reply)])  # another CloudEvents id, same reply id
    assert len(notify.sms.sent) == 1


async def test_an_unreachable_sms_gateway_leaves_the_message_pending_until_a_retry_gets_through():
    notify = Notify(failures=1)
    await notify.handlers.work_orders_replied([envelope_of(replied())])
    assert (notify.notification().status, notify.sms.sent) == (NotificationStatus.PENDING, [])
    assert await notify.handlers.retry_due() == 0, "not before its retry time"
    notify.clock.advance(seconds=30)
    assert await notify.handlers.retry_due() == 1
    assert notify.notification().status is NotificationStatus.SENT
    assert len(notify.sms.sent) == 1


async def test_a_message_the_gateway_keeps_refusing_fails_after_the_last_attempt_and_says_so():
    notify = Notify(failures=10, max_attempts=2)
    await notify.handlers.work_orders_replied([envelope_of(replied())])
    notify.clock.advance(seconds=30)
    await notify.handlers.retry_due()
    notification = notify.notification()
    assert (notification.status, notification.attempts) == (NotificationStatus.FAILED, 2)
    [(topic, failed)] = notify.store.bus.published
    assert topic == "gd.notifications"
    assert failed.type == "hotline.notification.failed.v1"
    assert (failed.data.attempts, failed.data.last_error) == (2, "SMS gateway unreachable")
    notify.clock.advance(days=1)
    assert await notify.handlers.retry_due() == 0, "a failed message is not retried again"


async def test_a_retry_that_fell_due_while_notify_was_stopped_is_sent_when_it_starts_again():
    notify = Notify(failures=1)
    await notify.handlers.work_orders_replied([envelope_of(replied())])
    await notify.handlers.retry_due()
    notify.clock.advance(hours=5)
    notify.restart()
    assert await notify.handlers.retry_due() == 1
    assert len(notify.sms.sent) == 1


async def test_a_retry_scheduled_for_later_is_sent_in_its_minute_and_only_once():
    notify = Notify(failures=1)
    await notify.handlers.work_orders_replied([envelope_of(replied())])
    assert await notify.handlers.retry_due() == 0
    for _ in range(12):
        notify.clock.advance(seconds=10)
        await notify.handlers.retry_due()
    assert notify.notification().status is NotificationStatus.SENT
    assert len(notify.sms.sent) == 1


async def test_a_message_whose_sender_died_mid_send_is_sent_once_the_claim_goes_stale():
    notify = Notify()
    notify.sms.die_on_next_send = True
    with pytest.raises(SystemExit):
        await notify.handlers.work_orders_replied([envelope_of(replied())])
    assert notify.notification().status is NotificationStatus.SENDING
    assert await notify.handlers.retry_due() == 0, "a fresh claim is left to its sender"
    notify.clock.advance(minutes=3)
    assert await notify.handlers.retry_due() == 1
    assert notify.notification().status is NotificationStatus.SENT
    assert len(notify.sms.sent) == 1


async def test_a_message_that_cannot_be_sent_now_does_not_hold_up_the_rest_of_the_retries():
    notify = Notify(failures=2)
    await notify.handlers.work_orders_replied(
        [envelope_of(replied(customer=Customer(phone="+8613926012345")))]
    )
    await notify.handlers.work_orders_replied(
        [envelope_of(replied(customer=Customer(phone="+8613800138000")))]
    )
    notify.clock.advance(seconds=30)
    notify.sms.broken_for = {"+8613926012345"}  # this one now fails in a way nobody planned for
    assert await notify.handlers.retry_due() == 2
    assert [to for to, _ in notify.sms.sent] == ["+8613800138000"]
    broken = next(n for n in notify.store.all() if n.to == "+8613926012345")
    assert broken.status is NotificationStatus.PENDING, "a failed attempt, retried like any other"
    assert broken.last_error == "unexpected: RuntimeError('unexpected failure in the gateway client')"
    notify.sms.broken_for = set()
    notify.clock.advance(seconds=30)
    assert await notify.handlers.retry_due() == 1
    assert [to for to, _ in notify.sms.sent] == ["+8613800138000", "+8613926012345"]


def test_a_masked_number_keeps_the_prefix_and_the_last_four_digits():
    assert mask("+8613926012345") == "+86139****2345"


async def test_a_landline_caller_gets_no_sms():
    notify = Notify()
    landline = Customer(phone="+862087654321")
    await notify.handlers.work_orders_replied([envelope_of(replied(customer=landline))])
    assert (notify.sms.sent, len(notify.store)) == ([], 0)


async def test_a_sealed_reporter_is_texted_nothing_and_nothing_is_kept_to_text_them():
    notify = Notify()
    sealed = Customer(phone=SEALED_PHONE)
    await notify.handlers.work_orders_replied([envelope_of(replied(customer=sealed))])
    assert (notify.sms.sent, len(notify.store)) == ([], 0)


async def test_a_text_the_smsc_reported_is_not_sent_again_when_its_sender_died_before_recording_it():
    notify = Notify()
    notify.sms.die_after_next_send = True
    with pytest.raises(SystemExit):
        await notify.handlers.work_orders_replied([envelope_of(replied())])
    [reference] = notify.sms.references
    assert reference is not None
    submitted = SmsDeliveryReportedV1(
        reference=reference,
        province="gd",
        state=DeliveryState.SUBMITTED,
        gateway_status=8,
        reported_at=notify.clock.now,
        received_at=notify.clock.now,
        source="kannel",
    )
    await notify.handlers.deliveries_reported([envelope_of(submitted)])
    notify.clock.advance(minutes=3)  # the dead sender's claim goes stale
    await notify.restart().retry_due()
    assert len(notify.sms.sent) == 1
    sent = notify.notification()
    assert (sent.status, sent.gateway_reply) == (NotificationStatus.SENT, "reconciled: the SMSC reported it")


async def test_a_text_with_no_report_from_the_smsc_is_sent_again_after_its_sender_died():
    notify = Notify()
    notify.sms.die_after_next_send = True
    with pytest.raises(SystemExit):
        await notify.handlers.work_orders_replied([envelope_of(replied())])
    notify.clock.advance(minutes=3)
    await notify.handlers.retry_due()
    assert len(notify.sms.sent) == 2, "the window the notify issue's message id closes"
