"""Voice and SMS through Twilio: every webhook is checked by Twilio's signature over the public URL it
called, so a forged, altered, unsigned or replayed-elsewhere one gets 403 and nothing reaches the bus;
an SMS becomes a contact, a call walks the IVR menu into a queue, and a retried webhook repeats nothing."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from xml.etree import ElementTree

import httpx
import pytest
from twilio.request_validator import RequestValidator

from contracts.events import CallEventKind, Channel, ContactReceivedV1, CustomerStandingV1, VoiceCallEventV1
from deploy.local.credentials import SEAL_KEYS
from services.gateway.seal import load_seal
from services.gateway.voice_routing.feeds import VoiceRouting
from services.gateway.voice_routing.standings import StandingTable
from services.gateway.voice_routing.table import VoiceRoutingTable
from tests.fakes import RecordingPublisher
from tests.unit.test_gateway import app_with

TOKEN = "3f1c0e7d9b2a4c6e8f0a1b2c3d4e5f60"
BASE = "http://gw"
SMS = {
    "MessageSid": "SM0123456789abcdef0123456789abcdef",
    "AccountSid": "AC0123456789abcdef0123456789abcdef",
    "From": "+8613926012345",
    "To": "+8695598",
    "Body": "家里停电了，天河区体育西路100号",
}
VOICE, QUEUE = "/v1/channels/twilio/voice", "/v1/channels/twilio/voice/queue"
STATUS = "/v1/channels/twilio/voice/status"
SEAL = load_seal(SEAL_KEYS, local=True)
CALL = {"CallSid": "CA0123456789abcdef0123456789abcdef", "From": "+8613926012345", "To": "+8695598"}


def twiml(answer: httpx.Response) -> ElementTree.Element:
    assert answer.headers["content-type"].startswith("application/xml")
    return ElementTree.fromstring(answer.text)


def signature(url: str, form: dict[str, str], token: str = TOKEN) -> str:
    return RequestValidator(token).compute_signature(url, form)


def voice_events(publisher: RecordingPublisher) -> list[VoiceCallEventV1]:
    return [e for e in publisher.published if isinstance(e, VoiceCallEventV1)]


@pytest.fixture
def publisher() -> RecordingPublisher:
    return RecordingPublisher()


@pytest.fixture
async def twilio(publisher) -> AsyncIterator[httpx.AsyncClient]:
    app = app_with(publisher, gateway_twilio_auth_token=TOKEN, gateway_trusted_proxies="10.0.0.0/8")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as client:
        yield client


async def signed_post(client: httpx.AsyncClient, path: str, form: dict[str, str]) -> httpx.Response:
    headers = {"X-Twilio-Signature": signature(BASE + path, form)}
    return await client.post(path, data=form, headers=headers)


async def test_a_signed_sms_becomes_a_contact_on_the_sms_channel_with_an_empty_twiml_answer(
    twilio, publisher
):
    answer = await signed_post(twilio, "/v1/channels/twilio/sms", SMS)
    assert answer.status_code == 200, answer.text
    response = twiml(answer)
    assert (response.tag, list(response)) == ("Response", [])
    (contact,) = [e for e in publisher.published if isinstance(e, ContactReceivedV1)]
    assert (contact.channel, contact.phone, contact.external_ref) == (
        Channel.SMS,
        SMS["From"],
        SMS["MessageSid"],
    )
    assert contact.description == SMS["Body"]


async def test_a_retried_sms_is_the_same_contact(twilio, publisher):
    for _ in range(2):
        await signed_post(twilio, "/v1/channels/twilio/sms", SMS)
    assert len(set(publisher.event_ids)) == 1


@pytest.mark.parametrize(
    "tampering",
    [
        "no signature",
        "another token's signature",
        "the body altered after signing",
        "signed for another URL",
    ],
)
async def test_a_webhook_not_signed_by_twilio_for_this_url_is_refused_and_stores_nothing(
    twilio, publisher, tampering
):
    path, form = "/v1/channels/twilio/sms", dict(SMS)
    headers = {
        "no signature": {},
        "another token's signature": {"X-Twilio-Signature": signature(BASE + path, form, "0" * 32)},
        "the body altered after signing": {"X-Twilio-Signature": signature(BASE + path, form)},
        "signed for another URL": {"X-Twilio-Signature": signature("https://elsewhere.example" + path, form)},
    }[tampering]
    if tampering == "the body altered after signing":
        form["Body"] = "改过的内容"
    answer = await twilio.post(path, data=form, headers=headers)
    assert answer.status_code == 403
    assert not publisher.published
    assert [(a.outcome, a.status) for a in publisher.audited] == [("refused", 403)]


async def test_behind_a_trusted_proxy_the_url_twilio_called_is_rebuilt_from_the_forwarded_headers(publisher):
    app = app_with(publisher, gateway_twilio_auth_token=TOKEN, gateway_trusted_proxies="127.0.0.0/8")
    public = "https://hotline.gd.example/v1/channels/twilio/sms"
    forwarded = {
        "X-Forwarded-Proto": "https",
        "X-Forwarded-Host": "hotline.gd.example",
        "X-Forwarded-For": "1.2.3.4",
    }
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 5000))
    async with httpx.AsyncClient(transport=transport, base_url=BASE) as behind:
        answer = await behind.post(
            "/v1/channels/twilio/sms",
            data=SMS,
            headers=forwarded | {"X-Twilio-Signature": signature(public, SMS)},
        )
    assert answer.status_code == 200, answer.text


async def test_forwarded_headers_from_a_peer_no_one_trusts_change_nothing(twilio, publisher):
    public = "https://hotline.gd.example/v1/channels/twilio/sms"
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "hotline.gd.example"}
    answer = await twilio.post(
        "/v1/channels/twilio/sms",
        data=SMS,
        headers=forwarded | {"X-Twilio-Signature": signature(public, SMS)},
    )
    assert answer.status_code == 403


async def test_a_call_hears_the_menu_and_its_digit_puts_it_in_that_kinds_queue(twilio, publisher):
    menu = twiml(await signed_post(twilio, VOICE, CALL))
    chosen = twiml(await signed_post(twilio, f"{VOICE}?round=2", CALL | {"Digits": "1"}))
    gather = menu.find("Gather")
    assert gather is not None
    assert (gather.get("numDigits"), gather.get("action")) == ("1", f"{VOICE}?round=2")
    assert "故障报修请按1" in (gather.findtext("Say") or "")
    assert menu.findtext("Redirect") == f"{VOICE}?round=2"
    queue = chosen.find("Enqueue")
    assert queue is not None
    assert (queue.text, queue.get("action")) == ("gd-fault_repair", QUEUE)
    events = voice_events(publisher)
    assert [e.kind for e in events] == [CallEventKind.OFFERED, CallEventKind.IVR_DIGITS, CallEventKind.QUEUED]
    assert {e.call_id for e in events} == {CALL["CallSid"]}
    assert (events[0].called_number, events[2].queue_id) == ("95598", "gd-fault_repair")
    assert SEAL.unseal(events[0].sealed_caller or "") == "+8613926012345"


async def test_the_queues_result_says_whether_an_agent_took_the_call_or_the_caller_gave_up(twilio, publisher):
    await signed_post(twilio, QUEUE, CALL | {"QueueResult": "bridged", "QueueTime": "12"})
    other = CALL | {"CallSid": "CA" + "f" * 32}
    await signed_post(twilio, QUEUE, other | {"QueueResult": "hangup", "QueueTime": "95"})
    ended = await signed_post(twilio, STATUS, CALL | {"CallStatus": "completed"})
    assert ended.status_code == 200
    assert [(e.call_id, e.kind) for e in voice_events(publisher)] == [
        (CALL["CallSid"], CallEventKind.ANSWERED),
        (other["CallSid"], CallEventKind.ABANDONED),
        (CALL["CallSid"], CallEventKind.ENDED),
    ]


async def test_a_full_queue_is_told_to_the_caller_and_counted_as_abandoned(twilio, publisher):
    answer = twiml(await signed_post(twilio, QUEUE, CALL | {"QueueResult": "queue-full"}))
    assert answer.find("Hangup") is not None
    assert [e.kind for e in voice_events(publisher)] == [CallEventKind.ABANDONED]


async def test_a_caller_who_picks_nothing_three_times_waits_in_the_general_queue(twilio, publisher):
    rounds = [twiml(await signed_post(twilio, f"{VOICE}?round={n}", CALL)) for n in (1, 2, 3, 4)]
    assert [r.find("Gather") is not None for r in rounds] == [True, True, True, False]
    last = rounds[-1].find("Enqueue")
    assert last is not None
    assert last.text == "gd-general"
    assert [e.kind for e in voice_events(publisher)] == [CallEventKind.OFFERED, CallEventKind.QUEUED]


async def test_a_digit_not_on_the_menu_hears_the_menu_again(twilio, publisher):
    answer = twiml(await signed_post(twilio, f"{VOICE}?round=2", CALL | {"Digits": "9"}))
    assert answer.find("Gather") is not None
    assert not voice_events(publisher)


@pytest.mark.parametrize("path", [VOICE, QUEUE, STATUS])
async def test_a_voice_webhook_not_signed_by_twilio_is_refused_and_tells_nothing(twilio, publisher, path):
    headers = {"X-Twilio-Signature": signature(BASE + path, CALL, "0" * 32)}
    answer = await twilio.post(path, data=CALL | {"CallStatus": "completed"}, headers=headers)
    assert answer.status_code == 403
    assert not publisher.published


async def test_a_signed_call_without_a_call_sid_is_refused_naming_it(twilio, publisher):
    answer = await signed_post(twilio, VOICE, {"From": "+8613926012345"})
    assert answer.status_code == 422
    assert [e["field"] for e in answer.json()["errors"]] == ["CallSid"]
    assert not publisher.published


async def test_a_text_keeps_its_words_without_control_characters(twilio, publisher):
    await signed_post(twilio, "/v1/channels/twilio/sms", SMS | {"Body": "停电\x00了\x07"})
    (contact,) = [e for e in publisher.published if isinstance(e, ContactReceivedV1)]
    assert contact.description == "停电了"


async def test_only_the_forwarded_host_the_trusted_proxy_added_counts(publisher):
    app = app_with(publisher, gateway_twilio_auth_token=TOKEN, gateway_trusted_proxies="127.0.0.0/8")
    claimed = "https://attacker.example/v1/channels/twilio/sms"
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "attacker.example, hotline.gd.example"}
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 5000))
    async with httpx.AsyncClient(transport=transport, base_url=BASE) as behind:
        answer = await behind.post(
            "/v1/channels/twilio/sms",
            data=SMS,
            headers=forwarded | {"X-Twilio-Signature": signature(claimed, SMS)},
        )
    assert answer.status_code == 403


async def test_without_a_twilio_token_the_webhooks_are_not_there(publisher):
    transport = httpx.ASGITransport(app=app_with(publisher))
    async with httpx.AsyncClient(transport=transport, base_url=BASE) as client:
        answer = await signed_post(client, "/v1/channels/twilio/sms", SMS)
    assert answer.status_code == 404
    assert not publisher.published


async def test_a_mid_tier_callers_twilio_call_is_marked_owed_a_callback_should_they_hang_up_waiting(
    publisher,
):
    table = StandingTable()
    table.announced(
        CustomerStandingV1(
            phone=CALL["From"],
            province="gd",
            tier="mid",
            red_list=False,
            blacklisted=False,
            priority=2,
            as_of=datetime.now(UTC),
        )
    )
    voice = VoiceRouting(VoiceRoutingTable.for_province("gd", None), standings=table)
    app = app_with(
        publisher, voice=voice, gateway_twilio_auth_token=TOKEN, gateway_trusted_proxies="10.0.0.0/8"
    )
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as client:
        await signed_post(client, VOICE, CALL)
    [offered] = voice_events(publisher)
    assert offered.callback_if_abandoned is True
