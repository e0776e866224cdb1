"""The CTI's callback list: the callbacks notify scheduled and that are still open, in the order to dial
them, and each dial's outcome told back through the gateway until notify says the callback is over."""

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import httpx

from contracts.events import (
    CallbackAttemptedV1,
    CallbackScheduledV1,
    CallbackState,
    CallbackUpdatedV1,
    CallEventKind,
)
from deploy.local.credentials import local_keys
from services.gateway.voice_routing.callbacks import CallbackList
from services.gateway.voice_routing.feeds import VoiceRouting
from services.gateway.voice_routing.table import VoiceRoutingTable
from services.notify.domain.callbacks import WatchedCall
from tests.fakes import RecordingPublisher, envelope_of
from tests.unit.test_callbacks_owed import Call
from tests.unit.test_callbacks_owed import CallbackList as NotifysCallbacks
from tests.unit.test_gateway import app_with

CTI = {"Authorization": f"Bearer {local_keys()['gd.channel.voice']}"}
NOW = datetime.now(UTC)


def scheduled(
    due_in_hours: float, group: str = "gd-foshan", priority: int | None = None
) -> CallbackScheduledV1:
    call_id = f"CALL-{uuid4().hex[:10]}"
    return CallbackScheduledV1(
        callback_id=f"CB-{call_id}",
        call_id=call_id,
        province="gd",
        reason="abandoned",
        number="caller",
        group_id=group,
        due_by=NOW + timedelta(hours=due_in_hours),
        scheduled_at=NOW,
        priority=priority,
    )


def updated(callback: CallbackScheduledV1, state: str, attempts: int, outcome: str) -> CallbackUpdatedV1:
    return CallbackUpdatedV1(
        callback_id=callback.callback_id,
        call_id=callback.call_id,
        province="gd",
        state=state,
        attempts=attempts,
        last_outcome=outcome,
        at=NOW,
    )


def the_list(*events: CallbackScheduledV1 | CallbackUpdatedV1) -> CallbackList:
    callbacks = CallbackList()
    for event in events:
        callbacks.take(envelope_of(event))
    return callbacks


def test_callbacks_are_dialled_soonest_due_first_and_one_that_rang_out_goes_to_the_end():
    later, sooner, rang_out = scheduled(20), scheduled(2), scheduled(1)
    callbacks = the_list(later, sooner, rang_out, updated(rang_out, "open", 1, "no_answer"))
    listed, count = callbacks.to_call(NOW)
    assert [c.callback_id for c in listed] == [sooner.callback_id, later.callback_id, rang_out.callback_id]
    assert (count, listed[-1].attempts, listed[-1].last_outcome) == (3, 1, "no_answer")


def test_a_callback_done_or_given_up_on_leaves_the_list_and_a_late_repeat_does_not_bring_it_back():
    done, given_up = scheduled(3), scheduled(4)
    callbacks = the_list(
        done,
        given_up,
        updated(done, "done", 1, "answered"),
        updated(given_up, "unreachable", 2, "busy"),
        done,
    )
    assert callbacks.to_call(NOW) == ([], 0)


def test_a_groups_agents_see_their_groups_callbacks():
    foshan, public = scheduled(3), scheduled(3, group="gd-public")
    listed, count = the_list(foshan, public).to_call(NOW, "gd-public")
    assert ([c.callback_id for c in listed], count) == ([public.callback_id], 1)


def a_gateway(
    *events: CallbackScheduledV1 | CallbackUpdatedV1,
) -> tuple[httpx.AsyncClient, RecordingPublisher]:
    routing = VoiceRouting(VoiceRoutingTable.for_province("gd", None), callbacks=the_list(*events))
    publisher = RecordingPublisher()
    transport = httpx.ASGITransport(app=app_with(publisher, voice=routing))
    return httpx.AsyncClient(transport=transport, base_url="http://gw", headers=CTI), publisher


async def test_the_cti_reads_its_list_which_names_the_call_and_which_number_to_dial_but_no_number():
    owed = scheduled(5)
    client, _ = a_gateway(owed)
    async with client:
        answer = await client.get("/v1/voice/callbacks")
    assert answer.status_code == 200, answer.text
    [listed] = answer.json()["callbacks"]
    assert (listed["call_id"], listed["number"], listed["attempts"]) == (owed.call_id, "caller", 0)
    assert not any(str(value).startswith("+86") for value in listed.values())


async def test_a_dials_outcome_goes_on_the_calls_key_and_a_retry_of_it_is_the_same_event():
    owed = scheduled(5)
    client, publisher = a_gateway(owed)
    attempt = {"attempt_id": "DIAL-1", "outcome": "no_answer", "at": NOW.isoformat(), "agent_id": "A-7"}
    async with client:
        first = await client.post(f"/v1/voice/callbacks/{owed.callback_id}/attempts", json=attempt)
        again = await client.post(f"/v1/voice/callbacks/{owed.callback_id}/attempts", json=attempt)
    assert (first.status_code, again.status_code) == (202, 202), first.text
    told = [e for e in publisher.published if isinstance(e, CallbackAttemptedV1)]
    assert {(e.call_id, e.outcome) for e in told} == {(owed.call_id, "no_answer")}
    assert set(publisher.topics) == {"gd.voice"}
    assert len(set(publisher.event_ids)) == 1


async def test_a_dial_of_a_callback_not_listed_is_404_and_a_retry_of_the_one_that_closed_it_the_same_202():
    done = scheduled(5)
    client, publisher = a_gateway(done)
    attempt = {"attempt_id": "DIAL-2", "outcome": "answered", "at": NOW.isoformat()}
    async with client:
        first = await client.post(f"/v1/voice/callbacks/{done.callback_id}/attempts", json=attempt)
        listed = (await client.get("/v1/voice/callbacks")).json()
        retried = await client.post(f"/v1/voice/callbacks/{done.callback_id}/attempts", json=attempt)
        unknown = await client.post("/v1/voice/callbacks/CB-CALL-nowhere/attempts", json=attempt)
    assert (first.status_code, retried.status_code, unknown.status_code) == (202, 202, 404)
    assert first.json() == retried.json()
    assert listed == {"callbacks": [], "open": 0}  # off this replica's list at once
    assert unknown.headers["content-type"] == "application/problem+json"
    assert (
        len(
            {
                id
                for id, e in zip(publisher.event_ids, publisher.published, strict=True)
                if isinstance(e, CallbackAttemptedV1)
            }
        )
        == 1
    )


def test_a_callback_owed_more_than_a_week_ago_leaves_the_list_as_a_replica_starting_now_would_read_it():
    old = scheduled(-7 * 24)
    callbacks = the_list(old)
    assert callbacks.to_call(old.scheduled_at + timedelta(days=6))[1] == 1
    assert callbacks.to_call(old.scheduled_at + timedelta(days=7, minutes=1)) == ([], 0)


def test_notify_keeps_a_call_whose_callback_is_open_for_as_long_as_the_list_shows_it():
    call = Call()
    offered = call.offered(owed=True)
    watched = WatchedCall.first_heard(offered)
    for event in (offered, call.queued(), abandoned := call.event(CallEventKind.ABANDONED)):
        watched.heard(event, abandoned.at)
    assert watched.forget_on == (abandoned.at + timedelta(days=8)).date()
    watched.attempted(attempt_of(watched, "answered"))
    assert watched.forget_on == (abandoned.at + timedelta(days=2)).date()


def attempt_of(watched: WatchedCall, outcome: str) -> CallbackAttemptedV1:
    return CallbackAttemptedV1(
        callback_id=watched.callback_id or "",
        call_id=watched.call_id,
        attempt_id="DIAL-1",
        source="gd.channel.voice",
        province="gd",
        outcome=outcome,
        at=watched.last_at,
    )


async def attempted(notify: NotifysCallbacks, owed: CallbackScheduledV1, n: int, outcome: str) -> None:
    attempt = CallbackAttemptedV1(
        callback_id=owed.callback_id,
        call_id=owed.call_id,
        attempt_id=f"DIAL-{n}",
        source="gd.channel.voice",
        province="gd",
        outcome=outcome,
        at=owed.scheduled_at + timedelta(minutes=10 * n),
    )
    await notify.handlers.calls_heard([envelope_of(attempt)])


def updates(notify: NotifysCallbacks) -> list[CallbackUpdatedV1]:
    return [sent.data for _, sent in notify.calls.bus.published if isinstance(sent.data, CallbackUpdatedV1)]


async def owed_callback(notify: NotifysCallbacks) -> CallbackScheduledV1:
    call = Call()
    offered, queued = call.offered(owed=True), call.queued()
    await notify.hear(offered, queued, call.event(CallEventKind.ABANDONED))
    [owed] = notify.scheduled()
    return owed


async def test_notify_closes_a_callback_once_the_customer_is_reached():
    notify = NotifysCallbacks()
    owed = await owed_callback(notify)
    await attempted(notify, owed, 1, "answered")
    await attempted(notify, owed, 1, "answered")  # the CTI's retry
    [done] = updates(notify)
    assert (done.state, done.attempts) == (CallbackState.DONE, 1)


async def test_notify_gives_a_callback_up_after_it_rang_out_and_was_dialled_once_more():
    notify = NotifysCallbacks()
    owed = await owed_callback(notify)
    await attempted(notify, owed, 1, "no_answer")
    await attempted(notify, owed, 2, "busy")
    await attempted(notify, owed, 3, "answered")  # the list no longer shows it: nothing changes
    assert [(u.state, u.attempts) for u in updates(notify)] == [
        (CallbackState.OPEN, 1),
        (CallbackState.UNREACHABLE, 2),
    ]


def test_a_blacklisted_caller_who_asked_is_called_back_after_everyone_else():
    blacklisted, vip, unknown = scheduled(1, priority=9), scheduled(5, priority=1), scheduled(3)
    listed, _ = the_list(blacklisted, vip, unknown).to_call(NOW)
    assert [c.callback_id for c in listed] == [vip.callback_id, unknown.callback_id, blacklisted.callback_id]
