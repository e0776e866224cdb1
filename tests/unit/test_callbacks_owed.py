"""The callbacks a call owes, put on the CTI's list by notify from the call's events."""

from datetime import UTC, datetime, timedelta
from uuid import uuid4

from contracts.events import CallbackScheduledV1, CallEventKind, VoiceCallEventV1
from services.notify.bootstrap import bootstrap
from services.notify.callback_handlers import CallbackHandlers
from services.notify.domain.callbacks import WatchedCall
from services.notify.domain.notification import Notification
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

AT = datetime(2026, 12, 8, 2, 0, tzinfo=UTC)


class CallbackList:
    """Notify with its store in memory: what it put on the CTI's callback list, and what it kept."""

    def __init__(self, now: datetime = AT + timedelta(minutes=1), **settings: object) -> None:
        self.calls: InMemoryStore[WatchedCall] = InMemoryStore()
        notifications: InMemoryStore[Notification] = InMemoryStore()
        self.handlers: CallbackHandlers = bootstrap(
            NotifySettings(**UNIT_SETTINGS | settings),
            unit=lambda: _unit(notifications),
            links=InMemoryLinkedContacts(),
            deliveries=InMemoryDeliveries(),
            callbacks=lambda: CallbackUnit(source_of("notify"), InMemoryRepository(self.calls)),
            sms=FakeSmsGateway(),
            clock=FakeClock(now),
        ).handlers.callbacks

    async def hear(self, *events: VoiceCallEventV1) -> None:
        await self.handlers.calls_heard([envelope_of(event) for event in events])

    def scheduled(self) -> list[CallbackScheduledV1]:
        return [
            sent.data
            for topic, sent in self.calls.bus.published
            if topic == "gd.callbacks" and isinstance(sent.data, CallbackScheduledV1)
        ]


def _unit(store: InMemoryStore[Notification]) -> NotifyUnit:
    return NotifyUnit(source_of("notify"), InMemoryNotifications(store))


class Call:
    """One call's events, a second apart, as the CTI posts them."""

    def __init__(self) -> None:
        self.call_id = f"CALL-{uuid4().hex[:12]}"
        self._n = 0

    def event(self, kind: CallEventKind, **fields: object) -> VoiceCallEventV1:
        self._n += 1
        return VoiceCallEventV1(
            call_id=self.call_id,
            cti_event_id=f"{self.call_id}-{self._n}",
            source="cti",
            province="gd",
            kind=kind,
            at=AT + timedelta(seconds=self._n),
            received_at=AT + timedelta(seconds=self._n),
            **fields,
        )

    def offered(self, owed: bool | None, priority: int | None = None) -> VoiceCallEventV1:
        return self.event(
            CallEventKind.OFFERED, sealed_caller="sealed", callback_if_abandoned=owed, queue_priority=priority
        )

    def queued(self, group: str = "gd-foshan") -> VoiceCallEventV1:
        return self.event(CallEventKind.QUEUED, queue_id="q1", group_id=group)


async def test_a_mid_tier_caller_who_hangs_up_queueing_is_owed_a_callback_within_24_hours():
    callbacks, call = CallbackList(), Call()
    await callbacks.hear(
        call.offered(owed=True), call.queued(), abandoned := call.event(CallEventKind.ABANDONED)
    )
    [owed] = callbacks.scheduled()
    assert (owed.call_id, owed.reason, owed.number) == (call.call_id, "abandoned", "caller")
    assert owed.group_id == "gd-foshan"
    assert owed.due_by == abandoned.at + timedelta(hours=24)


async def test_a_caller_not_owed_one_who_hangs_up_queueing_gets_no_callback_and_nothing_is_kept():
    callbacks, call = CallbackList(), Call()
    await callbacks.hear(call.offered(owed=False), call.queued(), call.event(CallEventKind.ABANDONED))
    assert callbacks.scheduled() == []
    assert len(callbacks.calls) == 0


async def test_hanging_up_in_the_ivr_before_any_queue_owes_no_callback():
    callbacks, call = CallbackList(), Call()
    await callbacks.hear(call.offered(owed=True), call.event(CallEventKind.ABANDONED))
    assert callbacks.scheduled() == []


async def test_a_call_an_agent_answered_owes_no_callback_when_the_cti_later_says_abandoned():
    callbacks, call = CallbackList(), Call()
    offered, queued = call.offered(owed=True), call.queued()
    answered = call.event(CallEventKind.ANSWERED, group_id="gd-foshan", agent_id="A1")
    await callbacks.hear(offered, queued, answered, call.event(CallEventKind.ABANDONED))
    assert callbacks.scheduled() == []


async def test_a_caller_transferred_to_a_queue_who_hangs_up_waiting_there_is_owed_a_callback():
    callbacks, call = CallbackList(), Call()
    offered, queued = call.offered(owed=True), call.queued()
    answered = call.event(CallEventKind.ANSWERED, group_id="gd-foshan", agent_id="A1")
    transferred = call.event(CallEventKind.TRANSFERRED, to_group_id="gd-public", to_queue_id="q9")
    await callbacks.hear(offered, queued, answered, transferred, call.event(CallEventKind.ABANDONED))
    [owed] = callbacks.scheduled()
    assert owed.group_id == "gd-public"


async def test_any_caller_who_asks_for_a_callback_gets_one_to_the_number_they_keyed_in():
    callbacks, call = CallbackList(), Call()
    offered, queued = call.offered(owed=False), call.queued()
    asked = call.event(CallEventKind.CALLBACK_REQUESTED, sealed_callback="sealed", group_id="gd-foshan")
    await callbacks.hear(offered, queued, asked)
    [owed] = callbacks.scheduled()
    assert (owed.reason, owed.number, owed.due_by) == ("requested", "given", asked.at + timedelta(hours=24))


async def test_a_caller_who_asks_and_then_hangs_up_is_owed_one_callback_not_two():
    callbacks, call = CallbackList(), Call()
    offered, queued = call.offered(owed=True), call.queued()
    asked = call.event(CallEventKind.CALLBACK_REQUESTED, sealed_callback="sealed")
    await callbacks.hear(offered, queued, asked, call.event(CallEventKind.ABANDONED))
    [owed] = callbacks.scheduled()
    assert owed.reason == "requested"


async def test_events_delivered_twice_put_the_callback_on_the_list_once():
    callbacks, call = CallbackList(), Call()
    events = (call.offered(owed=True), call.queued(), call.event(CallEventKind.ABANDONED))
    await callbacks.hear(*events)
    await callbacks.hear(*events)
    assert len(callbacks.scheduled()) == 1


async def test_the_callback_is_due_as_soon_as_the_operator_sets():
    callbacks, call = CallbackList(callback_within_hours=4), Call()
    await callbacks.hear(
        call.offered(owed=True), call.queued(), abandoned := call.event(CallEventKind.ABANDONED)
    )
    [owed] = callbacks.scheduled()
    assert owed.due_by == abandoned.at + timedelta(hours=4)


async def test_a_call_notify_has_not_followed_owes_nothing_when_it_is_abandoned():
    callbacks, call = CallbackList(), Call()
    await callbacks.hear(call.queued(), call.event(CallEventKind.ABANDONED))  # its offer came before
    assert callbacks.scheduled() == []


async def test_a_caller_transferred_into_a_queue_by_the_ivr_who_hangs_up_there_is_owed_a_callback():
    callbacks, call = CallbackList(), Call()
    offered = call.offered(owed=True)
    transferred = call.event(CallEventKind.TRANSFERRED, to_queue_id="Q-jn")
    await callbacks.hear(offered, transferred, call.event(CallEventKind.ABANDONED))
    [owed] = callbacks.scheduled()
    assert owed.reason == "abandoned"


async def test_a_ctis_retry_of_an_earlier_queued_event_does_not_make_an_answered_call_owe_one():
    callbacks, call = CallbackList(), Call()
    queued = call.queued()
    answered = call.event(CallEventKind.ANSWERED, group_id="gd-foshan", agent_id="A1")
    await callbacks.hear(
        call.offered(owed=True), queued, answered, queued, call.event(CallEventKind.ABANDONED)
    )
    assert callbacks.scheduled() == []


async def test_calls_from_before_the_callback_window_read_again_owe_nothing():
    callbacks, call = CallbackList(now=AT + timedelta(days=3)), Call()
    offered, queued = call.offered(owed=True), call.queued()
    asked = call.event(CallEventKind.CALLBACK_REQUESTED, sealed_callback="sealed")
    await callbacks.hear(offered, queued, asked, call.event(CallEventKind.ABANDONED))
    assert callbacks.scheduled() == []
    assert len(callbacks.calls) == 0


async def test_a_twilio_caller_who_leaves_the_queue_unanswered_is_owed_a_callback_with_no_group():
    callbacks, call = CallbackList(), Call()
    offered = call.offered(owed=True)
    queued = call.event(CallEventKind.QUEUED, queue_id="gd-fault_repair")  # Twilio's queues name no group
    left = call.event(CallEventKind.ABANDONED, reason="left the queue: hangup")
    await callbacks.hear(offered, queued, left)
    [owed] = callbacks.scheduled()
    assert (owed.reason, owed.group_id) == ("abandoned", None)


async def test_a_callback_carries_the_callers_queue_priority_from_the_offer():
    callbacks, call = CallbackList(), Call()
    offered, queued = call.offered(owed=False, priority=9), call.queued()
    asked = call.event(CallEventKind.CALLBACK_REQUESTED, sealed_callback="sealed")
    await callbacks.hear(offered, queued, asked)
    [owed] = callbacks.scheduled()
    assert owed.priority == 9
