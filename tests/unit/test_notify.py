from datetime import UTC, datetime
from uuid import uuid4

import structlog

from contracts.events import Customer, WorkOrderDispatchedV1, WorkOrderRepliedV1
from contracts.topics import Topics
from plumbing.outbox import PendingEvents
from services.notify.handlers import Notifier
from services.notify.messages import mask
from tests.fakes import FakeNotifications, FakeOutbox, FakeSmsGateway, envelope_of, outbox_events

CUSTOMER = Customer(name="王五", phone="+8613926012345")


def dispatched() -> WorkOrderDispatchedV1:
    return WorkOrderDispatchedV1(
        work_order_id=f"WO-{uuid4().hex[:12]}",
        dispatch_id="D1",
        province="gd",
        department="repair",
        type="fault_repair",
        dispatched_at=datetime(2026, 11, 23, 2, 0, tzinfo=UTC),
        reply_due_at=datetime(2026, 11, 23, 4, 0, tzinfo=UTC),
        customer=CUSTOMER,
        description="停电",
    )


def replied(kind: str = "final", customer: Customer = CUSTOMER) -> WorkOrderRepliedV1:
    return WorkOrderRepliedV1(
        work_order_id=f"WO-{uuid4().hex[:12]}",
        dispatch_id="D1",
        province="gd",
        department="repair",
        type="fault_repair",
        kind=kind,
        message="线路已修复，已恢复供电",
        replied_at=datetime.now(UTC),
        on_time=True,
        customer=customer,
    )


def notifier(notifications: FakeNotifications, gateway: FakeSmsGateway, max_attempts: int = 3) -> Notifier:
    return Notifier(
        notifications,
        gateway,
        FakeOutbox(),
        Topics("gd"),
        lambda: PendingEvents("/hotline/province/gd/notify"),
        signature="【客服热线】",
        max_attempts=max_attempts,
        retry_seconds=1,
        log=structlog.get_logger(),
    )


async def test_a_dispatched_work_order_tells_the_customer_its_number_and_reply_time():
    gateway = FakeSmsGateway()
    event = dispatched()
    await notifier(FakeNotifications(), gateway).work_order_dispatched(envelope_of(event))
    [(to, text)] = gateway.sent
    assert to == "+8613926012345"
    assert event.work_order_id in text
    assert "11月23日12:00前答复" in text


async def test_a_final_reply_tells_the_customer_the_result_and_is_announced_masked():
    notifications, gateway = FakeNotifications(), FakeSmsGateway()
    await notifier(notifications, gateway).work_order_replied(envelope_of(replied()))
    assert "已办结：线路已修复" in gateway.sent[0][1]
    [stored] = notifications.documents.values()
    [(topic, sent)] = outbox_events(stored)
    assert topic == "gd.notifications"
    assert sent.data.recipient_masked == "+86139****2345"
    assert sent.data.gateway_reply == "0: Accepted for delivery"


async def test_a_redelivered_event_sends_one_sms():
    gateway = FakeSmsGateway()
    service, delivery = notifier(FakeNotifications(), gateway), envelope_of(replied())
    await service.work_order_replied(delivery)
    await service.work_order_replied(delivery)
    assert len(gateway.sent) == 1


async def test_an_unreachable_sms_gateway_leaves_the_message_pending_until_a_retry_gets_through():
    notifications, gateway = FakeNotifications(), FakeSmsGateway(failures=1)
    service = notifier(notifications, gateway)
    await service.work_order_replied(envelope_of(replied()))
    [stored] = notifications.documents.values()
    assert (stored["status"], gateway.sent) == ("pending", [])
    assert await service.retry_due() == 1
    assert stored["status"] == "sent"
    assert len(gateway.sent) == 1


async def test_a_message_the_gateway_keeps_refusing_is_marked_failed_after_the_last_attempt():
    notifications, gateway = FakeNotifications(), FakeSmsGateway(failures=10)
    service = notifier(notifications, gateway, max_attempts=2)
    await service.work_order_replied(envelope_of(replied()))
    await service.retry_due()
    [stored] = notifications.documents.values()
    assert stored["status"] == "failed"
    assert stored["attempts"] == 2


def test_a_masked_number_keeps_the_prefix_and_the_last_four_digits():
    assert mask("+8613926012345") == "+86139****2345"


async def test_a_landline_caller_gets_no_sms():
    gateway, notifications = FakeSmsGateway(), FakeNotifications()
    landline = Customer(phone="+862087654321")
    await notifier(notifications, gateway).work_order_replied(envelope_of(replied(customer=landline)))
    assert (gateway.sent, notifications.documents) == ([], {})
