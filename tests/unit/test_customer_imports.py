"""Billing keeping the customer directory through the gateway: a profile at a time, or a CSV export whose
good rows load and whose bad rows come back with every problem, line by line."""

from collections.abc import AsyncIterator

import httpx
import pytest

from contracts.events import CustomerProfileUpdatedV1
from deploy.local.credentials import local_keys
from tests.fakes import RecordingPublisher
from tests.unit.test_gateway import app_with

BILLING = {"Authorization": f"Bearer {local_keys()['gd.billing']}"}
CSV = BILLING | {"Content-Type": "text/csv"}
HEADER = "account_number,name,phones,kind,monthly_spend,customer_since,credit_score,red_list,blacklisted"
PROFILE = {
    "name": "张三",
    "phones": ["13926012345", "020 8123 4567"],
    "monthly_spend": 186.5,
    "customer_since": "2019-03-01",
    "credit_score": 720,
}


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


async def test_a_profile_put_by_billing_is_published_with_its_numbers_in_e164(billing, publisher):
    answer = await billing.put("/v1/customers/4401000123", json=PROFILE, headers=BILLING)
    assert answer.status_code == 202, answer.text
    [event] = profiles(publisher)
    assert (event.account_number, event.province) == ("4401000123", "gd")
    assert event.phones == ["+8613926012345", "+862081234567"]
    assert event.updated_at is not None
    assert publisher.audited[-1].action == "customer.put"


async def test_a_profile_with_problems_is_refused_with_each_of_them_and_nothing_is_published(
    billing, publisher
):
    wrong = PROFILE | {"phones": ["12"], "credit_score": 2000, "customer_since": "soon"}
    answer = await billing.put("/v1/customers/4401000123", json=wrong, headers=BILLING)
    assert answer.status_code == 422
    assert answer.headers["content-type"] == "application/problem+json"
    fields = {error["field"] for error in answer.json()["errors"]}
    assert {"phones.0", "credit_score", "customer_since"} <= fields
    assert profiles(publisher) == []


async def test_an_account_number_that_is_not_one_is_refused(billing, publisher):
    answer = await billing.put("/v1/customers/44 01", json=PROFILE, headers=BILLING)
    assert answer.status_code == 422
    assert profiles(publisher) == []


async def test_an_export_loads_its_good_rows_and_reports_each_bad_one_with_its_line(billing, publisher):
    export = "\n".join(
        [
            HEADER,
            "4401000001,张三,13926012345;13926012346,resident,186.5,2019-03-01,720,no,no",
            "4401000002,,12,resident,-5,2019-13-01,720,maybe,no",  # four problems
            "4401000003,某某公司,02081234567,business,9000,2001-06-30,990,yes,",
            "",  # a blank line is no row
            "4401000004,,13926012347,resident,50,2024-02-29,300,,",
        ]
    )
    answer = await billing.post("/v1/customer-imports", content=export.encode(), headers=CSV)
    assert answer.status_code == 200, answer.text
    report = answer.json()
    assert (report["rows"], report["loaded"]) == (4, 3)
    [rejected] = report["rejected"]
    assert (rejected["line"], rejected["account_number"]) == (3, "4401000002")
    assert [problem.split(":")[0] for problem in rejected["problems"]] == [
        "phones.0",
        "monthly_spend",
        "customer_since",
        "red_list",
    ]
    loaded = {event.account_number: event for event in profiles(publisher)}
    assert sorted(loaded) == ["4401000001", "4401000003", "4401000004"]
    assert loaded["4401000003"].red_list
    assert loaded["4401000003"].kind == "business"
    assert loaded["4401000001"].phones == ["+8613926012345", "+8613926012346"]


async def test_the_same_export_posted_twice_is_the_same_events(billing, publisher):
    row = "4401000001,,13926012345,resident,1,2019-03-01,1,,,2026-12-01T08:00:00+08:00"
    export = f"{HEADER},updated_at\n{row}\n".encode()
    for _ in range(2):
        answer = await billing.post("/v1/customer-imports", content=export, headers=CSV)
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
    ],
)
async def test_a_file_that_is_not_an_export_is_refused_whole(billing, publisher, body, problem):
    answer = await billing.post("/v1/customer-imports", content=body.encode(), headers=CSV)
    assert answer.status_code == 422
    assert problem in answer.json()["detail"]
    assert profiles(publisher) == []
    assert publisher.audited[-1].outcome == "refused"


async def test_an_export_in_another_encoding_is_refused_whole(billing, publisher):
    body = f"{HEADER}\n4401000001,张三,13926012345,resident,1,2019-03-01,1,,\n".encode("gb18030")
    answer = await billing.post("/v1/customer-imports", content=body, headers=CSV)
    assert answer.status_code == 422
    assert "not UTF-8" in answer.json()["detail"]


async def test_an_export_sent_as_json_is_refused_as_the_wrong_media_type(billing, publisher):
    answer = await billing.post("/v1/customer-imports", json={"rows": []}, headers=BILLING)
    assert answer.status_code == 415


async def test_an_export_may_be_larger_than_other_requests_but_not_without_limit(publisher):
    app = app_with(publisher, gateway_max_body_bytes=1024, gateway_max_import_bytes=4096)
    rows = "".join(f"44010{n:05d},,13926012345,resident,1,2019-03-01,1,,\n" for n in range(40))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway") as client:
        fits = await client.post("/v1/customer-imports", content=f"{HEADER}\n{rows}".encode(), headers=CSV)
        too_big = await client.post(
            "/v1/customer-imports", content=(HEADER + "\n" + rows * 3).encode(), headers=CSV
        )
    assert (fits.status_code, fits.json()["loaded"]) == (200, 40)
    assert too_big.status_code == 413
