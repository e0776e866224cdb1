"""SMS through Kannel: smsbox calls the gateway with each text a customer sends (its get-url) and each
delivery report of notify's texts (the dlr-url notify gives them), under Kannel's password. A text
becomes a contact on the SMS channel, Chinese intact whichever coding it came in, and one sent back to a
work order's reply code names it; a report goes to notify's topic; a call smsbox repeats repeats nothing."""

from collections.abc import AsyncIterator
from urllib.parse import quote_from_bytes

import httpx
import pytest

from contracts.events import ContactReceivedV1, DeliveryState, SmsDeliveryReportedV1
from contracts.ids import reply_code_for
from deploy.local.stack.kannel import GATEWAY_PORT
from services.registry import BY_NAME
from tests.fakes import RecordingPublisher
from tests.unit.test_gateway import app_with

PASSWORD = "e1c0a3b5d7f9"
KANNEL = httpx.BasicAuth("kannel", PASSWORD)
HOTLINE = "10690000"
KANNEL_ID = "0b7c6f5e-1d2a-4c3b-9e8f-7a6b5c4d3e2f"
SMS, DLR = "/v1/channels/kannel/sms", "/v1/channels/kannel/dlr"


def ucs2(text: str) -> str:
    return quote_from_bytes(text.encode("utf-16-be"))


def utf8(text: str) -> str:
    return quote_from_bytes(text.encode())


def mo(text: str, coding: int = 2, to: str = HOTLINE, charset: str = "UTF-16BE", id: str = KANNEL_ID) -> str:
    return (
        f"{SMS}?id={id}&from=13926012345&to={to}&text={text}&coding={coding}&charset={charset}&at=1796693006"
    )


@pytest.fixture
def publisher() -> RecordingPublisher:
    return RecordingPublisher()


@pytest.fixture
async def kannel(publisher) -> AsyncIterator[httpx.AsyncClient]:
    app = app_with(publisher, gateway_kannel_password=PASSWORD, gateway_kannel_number=HOTLINE)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://gw", auth=KANNEL) as client:
        yield client


def contacts(publisher: RecordingPublisher) -> list[ContactReceivedV1]:
    return [e for e in publisher.published if isinstance(e, ContactReceivedV1)]


async def test_a_chinese_text_in_ucs2_becomes_an_sms_contact_intact_with_an_empty_answer(kannel, publisher):
    answer = await kannel.get(mo(ucs2("电表坏了，家里停电")))
    assert (answer.status_code, answer.content) == (200, b"")
    [contact] = contacts(publisher)
    assert (contact.channel, contact.phone, contact.description) == (
        "sms",
        "+8613926012345",
        "电表坏了，家里停电",
    )
    assert contact.external_ref == f"kannel:{KANNEL_ID}"
    assert contact.reply_code is None
    assert publisher.topics == ["gd.contacts"]
    assert [r.outcome for r in publisher.audited] == ["accepted"]


async def test_a_text_kannel_recoded_to_utf8_reads_the_same(kannel, publisher):
    await kannel.get(mo(utf8("电表坏了"), coding=0, charset="UTF-8"))
    assert contacts(publisher)[0].description == "电表坏了"


async def test_a_text_sent_again_by_smsbox_is_the_same_event(kannel, publisher):
    for _ in range(2):
        assert (await kannel.get(mo(ucs2("停电")))).status_code == 200
    first, second = contacts(publisher)
    assert first.contact_id == second.contact_id
    assert publisher.event_ids[0] == publisher.event_ids[1]


async def test_a_text_sent_back_to_a_work_orders_reply_code_names_that_code(kannel, publisher):
    code = reply_code_for("WO-0123456789ABCDEF0123")
    await kannel.get(mo(ucs2("还没修好"), to=HOTLINE + code))
    assert contacts(publisher)[0].reply_code == code


@pytest.mark.parametrize(
    ("auth", "status"),
    [(None, 401), (httpx.BasicAuth("kannel", "guess"), 401), (httpx.BasicAuth("someone", PASSWORD), 401)],
    ids=["no credentials", "wrong password", "wrong user"],
)
async def test_a_call_without_kannels_password_is_refused_and_publishes_nothing(
    kannel, publisher, auth, status
):
    answer = (
        await kannel.get(mo(ucs2("停电")), auth=auth)
        if auth
        else await kannel.get(mo(ucs2("停电")), auth=None)
    )
    assert answer.status_code == status
    assert answer.headers["www-authenticate"] == 'Basic realm="kannel"'
    assert answer.headers["content-type"] == "application/problem+json"
    assert publisher.published == []
    assert [r.outcome for r in publisher.audited] == ["refused"]


async def test_without_a_kannel_password_set_the_routes_are_not_there(publisher):
    app = app_with(publisher)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw") as client:
        answer = await client.get(mo(ucs2("停电")), auth=KANNEL)
    assert answer.status_code == 404
    assert publisher.published == []


@pytest.mark.parametrize(
    ("path", "field"),
    [
        (mo(utf8("停电"), coding=5), "coding"),
        (mo(ucs2("停电"), id="not-kannels-id"), "id"),
        (mo(ucs2("停电"), to="hotline"), "to"),
    ],
    ids=["unknown coding", "bad id", "bad receiver"],
)
async def test_a_call_that_is_not_kannels_text_is_refused_naming_the_field(kannel, publisher, path, field):
    answer = await kannel.get(path)
    assert answer.status_code == 422
    assert field in {error["field"].removeprefix("query.") for error in answer.json()["errors"]}
    assert publisher.published == []


async def test_control_characters_are_taken_out_of_a_text(kannel, publisher):
    await kannel.get(mo(utf8("停\x00电\x07"), coding=0, charset="UTF-8"))
    assert contacts(publisher)[0].description == "停电"


@pytest.mark.parametrize(
    ("query", "taken_as"),
    [
        ("text=%D8%00&coding=2&charset=UTF-16BE", "\ufffd"),  # half a UTF-16 surrogate pair
        ("text=%4E%C0%4E&coding=2", "什\ufffd"),  # an odd number of bytes
        ("text=%01%02%FF&coding=1&charset=8-BIT", "(8-bit data, not text: 0102ff)"),
        ("text=abc&coding=0&charset=no-such-charset", "abc"),
        ("text=abc&coding=0&charset=UTF-8&at=", "abc"),  # Kannel's %T empty
    ],
    ids=["broken ucs-2", "odd-length ucs-2", "8-bit data", "unknown charset", "no time"],
)
async def test_a_text_that_cannot_be_read_whole_is_still_taken_never_lost_to_smsboxs_retries(
    kannel, publisher, query, taken_as
):
    answer = await kannel.get(f"{SMS}?id={KANNEL_ID}&from=13926012345&to={HOTLINE}&{query}")
    assert answer.status_code == 200, answer.text
    assert contacts(publisher)[0].description == taken_as


async def test_a_text_longer_than_ten_parts_is_taken_cut(kannel, publisher):
    assert (await kannel.get(mo(ucs2("停" * 2000)))).status_code == 200
    description = contacts(publisher)[0].description
    assert (len(description), description[-1]) == (1600, "…")


async def test_a_text_from_a_short_code_is_answered_200_audited_and_opens_nothing(kannel, publisher):
    answer = await kannel.get(f"{SMS}?id={KANNEL_ID}&from=10086&to={HOTLINE}&text=x&coding=0")
    assert (answer.status_code, publisher.published) == (200, [])
    assert [(r.outcome, r.status) for r in publisher.audited] == [("refused", 200)]


async def test_a_reply_code_is_read_with_the_countrys_code_in_front(kannel, publisher):
    await kannel.get(mo(ucs2("好"), to=f"86{HOTLINE}4821"))
    assert contacts(publisher)[0].reply_code == "4821"


async def test_a_text_starts_its_clock_when_the_smsc_took_it(kannel, publisher):
    await kannel.get(mo(ucs2("停电")))  # at=1796693006, a moment in the past
    assert contacts(publisher)[0].received_at.timestamp() == 1796693006


REFERENCE = "0123456789abcdef01234567"


@pytest.mark.parametrize(
    ("status", "state"),
    [(1, "delivered"), (2, "undeliverable"), (4, "buffered"), (8, "submitted"), (16, "rejected")],
)
async def test_a_delivery_report_goes_to_notify_as_what_happened_to_the_text(
    kannel, publisher, status, state
):
    answer = await kannel.get(f"{DLR}?reference={REFERENCE}&status={status}&answer=ACK%2F&at=1796693029")
    assert (answer.status_code, answer.content) == (200, b"")
    [report] = publisher.published
    assert isinstance(report, SmsDeliveryReportedV1)
    assert (report.reference, report.state, report.gateway_status) == (
        REFERENCE,
        DeliveryState(state),
        status,
    )
    assert report.gateway_answer == "ACK/"
    assert publisher.topics == ["gd.sms-reports"]


async def test_a_report_repeated_by_smsbox_is_the_same_event(kannel, publisher):
    for _ in range(2):
        await kannel.get(f"{DLR}?reference={REFERENCE}&status=1&at=1796693029")
    assert publisher.event_ids[0] == publisher.event_ids[1]


@pytest.mark.parametrize(
    "query", ["reference=short&status=1", f"reference={REFERENCE}&status=3", f"reference={REFERENCE}"]
)
async def test_a_report_that_names_no_text_or_no_known_status_is_refused(kannel, publisher, query):
    assert (await kannel.get(f"{DLR}?{query}")).status_code == 422
    assert publisher.published == []


def test_the_stacks_kannel_calls_the_stacks_gateway_port():
    assert BY_NAME["gateway"].http_port == GATEWAY_PORT
