"""Billing keeping the customer directory through the gateway: a profile at a time, or a CSV export whose
good rows load and whose bad rows come back with every problem, line by line."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from contracts.events import CustomerProfileUpdatedV1
from deploy.local.credentials import local_keys
from services.gateway.customer_import import COLUMNS
from tests.fakes import RecordingPublisher
from tests.unit.test_gateway import app_with

BILLING = {"Authorization": f"Bearer {local_keys()['gd.billing']}"}
CSV = BILLING | {"Content-Type": "text/csv"}
HEADER = ",".join(COLUMNS)
CHANGED = "2026-12-01T08:00:00+08:00"
PROFILE = {
    "account_number": "4401000123",
    "name": "张三",
    "phones": ["13926012345", "020 8123 4567"],
    "monthly_spend": 186.5,
    "customer_since": "2019-03-01",
    "credit_score": 720,
    "updated_at": CHANGED,
}


def row(account: str, phones: str = "13926012345", **cells: str) -> str:
    values = {
        "account_number": account,
        "name": "",
        "phones": phones,
        "kind": "resident",
        "address": "",
        "monthly_spend": "120",
        "customer_since": "2019-03-01",
        "credit_score": "600",
        "red_list": "no",
        "blacklisted": "no",
        "updated_at": CHANGED,
    } | cells
    return ",".join(values[column] for column in COLUMNS)


def export(*rows: str) -> bytes:
    return "\n".join([HEADER, *rows]).encode()


@pytest.fixture
def publisher() -> RecordingPublisher:
    return RecordingPublisher()


@pytest.fixture
async def billing(publisher: RecordingPublisher) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app_with(publisher))
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
        yield client


def profiles(publisher: RecordingPublisher) -> list[CustomerProfileUpdatedV1]:
    return [event for event in publisher.published if isinstance(event, CustomerProfileUpdatedV1)]


async def test_a_profile_posted_by_billing_is_published_with_its_numbers_in_e164(billing, publisher):
    answer = await billing.post("/v1/customer-profiles", json=PROFILE, headers=BILLING)
    assert answer.status_code == 202, answer.text
    [event] = profiles(publisher)
    assert (event.account_number, event.province, event.name) == ("4401000123", "gd", "张三")
    assert event.phones == ["+8613926012345", "+862081234567"]
    assert (publisher.audited[-1].action, publisher.audited[-1].resource) == ("customer.post", "4401000123")


@pytest.mark.parametrize(
    ("changes", "fields"),
    [
        ({"phones": ["12"], "credit_score": 2000, "customer_since": "soon"}, {"phones.0", "credit_score"}),
        ({"updated_at": 0}, {"updated_at"}),  # seconds since 1970 are not a date
        ({"updated_at": "20260101"}, {"updated_at"}),
        ({"customer_since": "1551398400"}, {"customer_since"}),
        ({"updated_at": "2999-01-01T00:00:00Z"}, {"updated_at"}),  # would freeze the account for good
        ({"updated_at": "2026-12-01T08:00:00"}, {"updated_at"}),  # no zone: which 08:00?
        ({"name": "a\u0000b", "address": "x\u0007"}, {"name", "address"}),  # the store cannot keep NUL
        ({"account_number": "44 01"}, {"account_number"}),
        ({"monthly_spend": "186.5"}, {"monthly_spend"}),  # a number, not text, in JSON
    ],
)
async def test_a_profile_with_problems_is_refused_with_each_of_them_and_nothing_is_published(
    billing, publisher, changes, fields
):
    answer = await billing.post("/v1/customer-profiles", json=PROFILE | changes, headers=BILLING)
    assert answer.status_code == 422
    assert answer.headers["content-type"] == "application/problem+json"
    assert fields <= {error["field"] for error in answer.json()["errors"]}
    assert profiles(publisher) == []
    [record] = publisher.audited  # refused, in the trail by field name, never by what was sent
    assert (record.outcome, record.status) == ("refused", 422)
    assert all(field in (record.detail or "") for field in fields)
    assert "13926012345" not in (record.detail or "")


async def test_the_same_profile_sent_twice_is_one_event_id(billing, publisher):
    for _ in range(2):
        await billing.post("/v1/customer-profiles", json=PROFILE, headers=BILLING)
    first, again = publisher.event_ids
    assert first is not None
    assert first == again


async def test_an_export_loads_its_good_rows_and_reports_each_bad_one_with_the_line_it_starts_on(
    billing, publisher
):
    body = export(
        row("4401000001", "13926012345;13926012346", name="张三", monthly_spend="186.5"),
        row("4401000002", "12", monthly_spend="-5", customer_since="2019-13-01", red_list="maybe"),
        row("4401000003", "02081234567", name="某某公司", kind="business", red_list="yes"),
        "",  # a blank line is no row
        row("4401000004", address='"广州市\n天河区"'),  # a quoted cell over two lines
        row("4401000005", monthly_spend="1_000"),
        row("4401000001", name="again"),
        row("4401000006") + ",,",  # empty cells past the last column are no problem
        row("4401000007") + ",surplus",
    )
    answer = await billing.post("/v1/customer-imports", content=body, headers=CSV)
    assert answer.status_code == 200, answer.text
    report = answer.json()
    assert (report["rows"], report["loaded"]) == (8, 4), report
    rejected = {
        r["line"]: (r["account_number"], [p.split(":")[0] for p in r["problems"]]) for r in report["rejected"]
    }
    assert rejected == {
        3: ("4401000002", ["phones.0", "monthly_spend", "customer_since", "red_list"]),
        8: ("4401000005", ["monthly_spend"]),
        9: ("4401000001", ["account_number"]),  # on line 2 already: which of the two is right?
        11: ("4401000007", ["12 fields where the header has 11"]),
    }
    loaded = {event.account_number: event for event in profiles(publisher)}
    assert sorted(loaded) == ["4401000001", "4401000003", "4401000004", "4401000006"]
    assert loaded["4401000003"].red_list
    assert loaded["4401000003"].kind == "business"
    assert loaded["4401000001"].name == "张三"
    assert loaded["4401000004"].address == "广州市\n天河区"


async def test_the_same_export_posted_twice_is_the_same_events(billing, publisher):
    for _ in range(2):
        answer = await billing.post("/v1/customer-imports", content=export(row("4401000001")), headers=CSV)
        assert answer.json()["loaded"] == 1
    first, again = publisher.event_ids
    assert first is not None
    assert first == again


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ("", "no header line"),
        ("account,phone\n1,13926012345\n", "missing column account_number"),
        (f"{HEADER},colour\n", "unknown column 'colour'"),
        (f"{HEADER},phones\n", "column phones twice"),
        (HEADER.replace(",updated_at", "") + "\n", "missing column updated_at"),
        (f"{HEADER}\n{row('4401000001', name=chr(34) + 'unclosed')}\n" + row("4401000002") * 400, "line 2"),
    ],
)
async def test_a_file_that_is_not_an_export_is_refused_whole(billing, publisher, body, problem):
    answer = await billing.post("/v1/customer-imports", content=body.encode(), headers=CSV)
    assert answer.status_code == 422, answer.text
    assert problem in answer.json()["detail"]
    assert profiles(publisher) == []
    assert publisher.audited[-1].outcome == "refused"


async def test_an_export_in_another_encoding_is_refused_whole(billing, publisher):
    body = export(row("4401000001", name="张三")).decode().encode("gb18030")
    answer = await billing.post("/v1/customer-imports", content=body, headers=CSV)
    assert answer.status_code == 422
    assert "not UTF-8" in answer.json()["detail"]


async def test_an_export_sent_as_json_is_refused_as_the_wrong_media_type(billing, publisher):
    answer = await billing.post("/v1/customer-imports", json={"rows": []}, headers=BILLING)
    assert answer.status_code == 415


async def test_a_row_changed_in_the_future_is_refused_not_loaded(billing, publisher):
    ahead = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    answer = await billing.post(
        "/v1/customer-imports", content=export(row("4401000001", updated_at=ahead)), headers=CSV
    )
    assert (answer.json()["loaded"], answer.json()["rejected"][0]["problems"][0].split(":")[0]) == (
        0,
        "updated_at",
    )


async def test_an_export_may_be_larger_than_other_requests_but_not_without_limit(publisher):
    app = app_with(publisher, gateway_max_body_bytes=1024, gateway_max_import_bytes=8192)
    rows = [row(f"44010{n:05d}") for n in range(40)]

    async def streamed(body: bytes) -> AsyncIterator[bytes]:  # no Content-Length: read as it comes
        for start in range(0, len(body), 512):
            yield body[start : start + 512]

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway") as client:
        fits = await client.post("/v1/customer-imports", content=export(*rows), headers=CSV)
        declared = await client.post("/v1/customer-imports", content=export(*rows * 3), headers=CSV)
        too_big = await client.post("/v1/customer-imports", content=streamed(export(*rows * 3)), headers=CSV)
        stranger = await client.post(
            "/v1/customer-imports", content=streamed(export(*rows * 3)), headers={"Content-Type": "text/csv"}
        )
    assert (fits.status_code, fits.json()["loaded"]) == (200, 40)
    assert (declared.status_code, too_big.status_code) == (413, 413)
    assert stranger.status_code == 401, "refused before its body is read"
    assert len(profiles(publisher)) == 40
