"""Voice through a generic CTI: each event of a call goes on the voice topic keyed by the call, checked for
the fields its kind needs; a call an agent records becomes a contact on the voice channel; the CTI's own
ids make a retry the same event or contact."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from contracts.events import CallEventKind, Channel, ContactReceivedV1, VoiceCallEventV1
from deploy.local.credentials import SEAL_KEYS, local_keys
from services.gateway.seal import load_seal
from tests.fakes import RecordingPublisher
from tests.unit.test_gateway import app_with

SEAL = load_seal(SEAL_KEYS, local=True)
CTI = {"Authorization": f"Bearer {local_keys()['gd.channel.voice']}"}
AT = "2026-12-02T09:00:00+08:00"
# A call answered after a minute in the Guangzhou group's queue, a transfer, then the end of it all.
ANSWERED_CALL = [
    {"event_id": "E1", "kind": "offered", "at": AT, "caller_number": "13926012345", "called_number": "95598"},
    {"event_id": "E2", "kind": "ivr_digits", "at": AT, "digits": "1"},
    {"event_id": "E3", "kind": "queued", "at": AT, "queue_id": "Q-gz", "group_id": "G-gz"},
    {"event_id": "E4", "kind": "answered", "at": AT, "group_id": "G-gz", "agent_id": "A-1001"},
    {"event_id": "E5", "kind": "transferred", "at": AT, "agent_id": "A-1001", "to_group_id": "G-public"},
    {"event_id": "E6", "kind": "ended", "at": AT, "agent_id": "A-2001", "reason": "caller hung up"},
    {"event_id": "E7", "kind": "acw_ended", "at": AT, "agent_id": "A-2001"},
]
CONTACT = {"call_id": "CALL-1", "phone": "13926012345", "type": "fault_repair", "description": "家里停电了"}


@pytest.fixture
def publisher() -> RecordingPublisher:
    return RecordingPublisher()


@pytest.fixture
async def cti(publisher) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app_with(publisher))
    async with httpx.AsyncClient(transport=transport, base_url="http://gw", headers=CTI) as client:
        yield client


def calls(publisher: RecordingPublisher) -> list[VoiceCallEventV1]:
    return [e for e in publisher.published if isinstance(e, VoiceCallEventV1)]


async def test_each_event_of_a_call_goes_on_the_voice_topic_in_order_keyed_by_the_call(cti, publisher):
    answers = [await cti.post("/v1/voice/calls/CALL-1/events", json=event) for event in ANSWERED_CALL]
    assert [a.status_code for a in answers] == [202] * 7
    published = calls(publisher)
    assert [e.kind for e in published] == [CallEventKind(event["kind"]) for event in ANSWERED_CALL]
    assert {e.subject() for e in published} == {"CALL-1"}
    assert set(publisher.topics) == {"gd.voice"}
    assert SEAL.unseal(published[0].sealed_caller or "") == "+8613926012345"
    assert "13926012345" not in published[0].model_dump_json()
    assert {e.source for e in published} == {"gd.channel.voice"}
    assert (published[3].group_id, published[3].agent_id) == ("G-gz", "A-1001")
    assert published[4].to_group_id == "G-public"


async def test_a_retried_event_is_the_same_event(cti, publisher):
    for _ in range(2):
        await cti.post("/v1/voice/calls/CALL-1/events", json=ANSWERED_CALL[0])
    assert len(set(publisher.event_ids)) == 1


async def test_an_event_missing_what_its_kind_needs_or_carrying_what_it_does_not_is_refused_listing_both(cti):
    answer = await cti.post(
        "/v1/voice/calls/CALL-1/events",
        json={"event_id": "E9", "kind": "answered", "at": AT, "group_id": "G-gz", "digits": "1"},
    )
    assert answer.status_code == 422
    assert answer.headers["content-type"].startswith("application/problem+json")
    message = answer.json()["errors"][0]["message"]
    assert "agent_id is needed" in message
    assert "digits is not part of it" in message


async def test_a_transfer_says_where_it_went(cti):
    answer = await cti.post(
        "/v1/voice/calls/CALL-1/events", json={"event_id": "E9", "kind": "transferred", "at": AT}
    )
    assert answer.status_code == 422
    assert "to_group_id, to_agent_id or to_queue_id is needed" in answer.text


async def test_an_event_dated_ahead_of_the_gateways_clock_is_refused(cti):
    ahead = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    answer = await cti.post(
        "/v1/voice/calls/CALL-1/events", json={"event_id": "E9", "kind": "abandoned", "at": ahead}
    )
    assert answer.status_code == 422
    assert [e["field"] for e in answer.json()["errors"]] == ["at"]


async def test_a_call_recorded_by_an_agent_becomes_a_voice_contact_known_by_its_call(cti, publisher):
    first = await cti.post("/v1/contacts/voice", json=CONTACT)
    again = await cti.post("/v1/contacts/voice", json=CONTACT)
    second_record = await cti.post("/v1/contacts/voice", json=CONTACT, headers={"Idempotency-Key": "r2"})
    contacts = [e for e in publisher.published if isinstance(e, ContactReceivedV1)]
    assert first.json()["id"] == again.json()["id"] != second_record.json()["id"]
    assert (contacts[0].channel, contacts[0].external_ref) == (Channel.VOICE, "CALL-1")
    assert publisher.topics == ["gd.contacts"] * 3


async def test_the_web_channels_key_may_not_post_calls(publisher):
    web = {"Authorization": f"Bearer {local_keys()['gd.channel.web']}"}
    transport = httpx.ASGITransport(app=app_with(publisher))
    async with httpx.AsyncClient(transport=transport, base_url="http://gw", headers=web) as client:
        event = await client.post("/v1/voice/calls/CALL-1/events", json=ANSWERED_CALL[0])
        contact = await client.post("/v1/contacts/voice", json=CONTACT)
    assert (event.status_code, contact.status_code) == (403, 403)
    assert not publisher.published


async def test_an_id_with_a_colon_is_refused_so_no_two_calls_events_share_a_key(cti, publisher):
    colon_call = await cti.post("/v1/voice/calls/A:B/events", json=ANSWERED_CALL[0] | {"event_id": "C"})
    colon_event = await cti.post("/v1/voice/calls/A/events", json=ANSWERED_CALL[0] | {"event_id": "B:C"})
    assert (colon_call.status_code, colon_event.status_code) == (422, 422)
    assert not publisher.published


async def test_an_idempotency_key_given_for_one_calls_record_never_names_anothers(cti):
    one = await cti.post("/v1/contacts/voice", json=CONTACT, headers={"Idempotency-Key": "2"})
    other = await cti.post(
        "/v1/contacts/voice", json=CONTACT | {"call_id": "CALL-2"}, headers={"Idempotency-Key": "2"}
    )
    plain = await cti.post("/v1/contacts/voice", json=CONTACT | {"call_id": "CALL-2"})
    assert len({one.json()["id"], other.json()["id"], plain.json()["id"]}) == 3


async def test_an_anonymous_report_by_phone_is_tied_to_no_call(cti, publisher):
    await cti.post("/v1/contacts/voice", json=CONTACT | {"type": "report", "anonymous": True})
    (contact,) = [e for e in publisher.published if isinstance(e, ContactReceivedV1)]
    assert (contact.phone, contact.external_ref) == ("sealed", None)


async def test_more_than_two_keys_are_no_menu_choice_and_are_refused(cti, publisher):
    answer = await cti.post(
        "/v1/voice/calls/CALL-1/events",
        json={"event_id": "E9", "kind": "ivr_digits", "at": AT, "digits": "520131"},
    )
    assert answer.status_code == 422
    assert not publisher.published
