"""Voice and SMS through Twilio: every webhook is checked by Twilio's signature over the public URL it
called, so a forged, altered, unsigned or replayed-elsewhere one gets 403 and nothing reaches the bus;
an SMS becomes a contact, a call walks the IVR menu into a queue, and a retried webhook repeats nothing."""

from collections.abc import AsyncIterator

import httpx
import pytest
from twilio.request_validator import RequestValidator

from contracts.events import CallEventKind, Channel, ContactReceivedV1, VoiceCallEventV1
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
CALL = {"CallSid": "CA0123456789abcdef0123456789abcdef", "From": "+8613926012345", "To": "+8695598"}


def signature(url: str, form: dict[str, str], token: str = TOKEN) -> str:
    return RequestValidator(token).compute_signature(url, form)


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
    assert answer.headers["content-type"].startswith("application/xml")
    assert "<Response />" in answer.text or "<Response/>" in answer.text
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


async def test_a_call_hears_the_menu_then_its_digit_puts_it_in_that_kinds_queue(twilio, publisher):
    menu = await signed_post(twilio, "/v1/channels/twilio/voice", CALL)
    chosen = await signed_post(twilio, "/v1/channels/twilio/voice", CALL | {"Digits": "1"})
    ended = await signed_post(twilio, "/v1/channels/twilio/voice/status", CALL | {"CallStatus": "completed"})
    assert "<Gather" in menu.text
    assert "故障报修请按1" in menu.text
    assert "<Enqueue>gd-fault_repair</Enqueue>" in chosen.text
    assert ended.status_code == 200
    events = [e for e in publisher.published if isinstance(e, VoiceCallEventV1)]
    assert [e.kind for e in events] == [
        CallEventKind.OFFERED,
        CallEventKind.IVR_DIGITS,
        CallEventKind.QUEUED,
        CallEventKind.ENDED,
    ]
    assert {e.call_id for e in events} == {CALL["CallSid"]}
    assert (events[0].caller_number, events[2].queue_id) == ("+8613926012345", "gd-fault_repair")


async def test_a_call_that_hangs_up_before_an_agent_is_abandoned(twilio, publisher):
    await signed_post(twilio, "/v1/channels/twilio/voice/status", CALL | {"CallStatus": "no-answer"})
    (event,) = [e for e in publisher.published if isinstance(e, VoiceCallEventV1)]
    assert (event.kind, event.reason) == (CallEventKind.ABANDONED, "no-answer")


async def test_a_digit_not_on_the_menu_hears_the_menu_again(twilio, publisher):
    answer = await signed_post(twilio, "/v1/channels/twilio/voice", CALL | {"Digits": "9"})
    assert "<Redirect" in answer.text
    assert not [e for e in publisher.published if isinstance(e, VoiceCallEventV1)]


async def test_without_a_twilio_token_the_webhooks_are_not_there(publisher):
    transport = httpx.ASGITransport(app=app_with(publisher))
    async with httpx.AsyncClient(transport=transport, base_url=BASE) as client:
        answer = await signed_post(client, "/v1/channels/twilio/sms", SMS)
    assert answer.status_code == 404
    assert not publisher.published
