"""A text the customer's quiet hours hold, on the real store: kept with the customer's kind and the time
their window opens, and sent then, once, by a notify restarted meanwhile: its timer finds the text in
that minute (an indexed equality)."""

from datetime import datetime
from uuid import uuid4

from plumbing.due_minutes import minute_of
from plumbing.outbox import OutboxRelay
from services.common.working_days import CHINA_TIME
from services.notify.adapters import MongoNotifications, NotificationDocuments
from services.notify.bootstrap import bootstrap
from services.notify.handlers import NotifyHandlers
from services.notify.ports import CallbackUnit, NotifyUnit
from services.notify.settings import NotifySettings
from tests.fakes import (
    UNIT_SETTINGS,
    FakeClock,
    FakeSmsGateway,
    InMemoryDeliveries,
    InMemoryLinkedContacts,
    InMemoryRepository,
    InMemoryStore,
    envelope_of,
    source_of,
)
from tests.unit.test_notify import dispatched

NIGHT = datetime(2026, 12, 8, 3, 14, tzinfo=CHINA_TIME)
MORNING = datetime(2026, 12, 8, 8, 0, tzinfo=CHINA_TIME)


async def test_a_text_held_at_night_is_sent_at_eight_once_by_a_notify_restarted_meanwhile(store):
    database, broker = store
    collection = database[f"notifications_{uuid4().hex[:8]}"]
    relay = OutboxRelay(collection, broker)
    clock, sms = FakeClock(NIGHT), FakeSmsGateway()

    def notify() -> NotifyHandlers:
        return bootstrap(
            NotifySettings(**UNIT_SETTINGS | {"quiet_hours": True}),
            unit=lambda: NotifyUnit(
                source_of("notify"), MongoNotifications(collection, relay, NotificationDocuments())
            ),
            links=InMemoryLinkedContacts(),
            deliveries=InMemoryDeliveries(),
            callbacks=lambda: CallbackUnit(source_of("notify"), InMemoryRepository(InMemoryStore())),
            sms=sms,
            clock=clock,
        ).handlers

    event = dispatched()
    await notify().work_orders_dispatched([envelope_of(event)])
    assert sms.sent == []
    stored = await collection.find_one({"work_order_id": event.work_order_id})
    assert stored is not None
    assert (stored["status"], stored["next_attempt_minute"]) == ("pending", minute_of(MORNING))
    clock.now = datetime(2026, 12, 8, 7, 55, tzinfo=CHINA_TIME)
    restarted = notify()
    await restarted.retry_due()  # its first round looks at every unsettled text: none is due yet
    assert sms.sent == []
    clock.now = MORNING
    await restarted.retry_due()  # five minutes on, not a rescan: the text is found by its minute
    assert [to for to, _ in sms.sent] == [event.customer.phone]
