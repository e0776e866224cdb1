"""Open311's optional parameters of a posted request: what city apps send with every report is taken, the
email and the photo's link kept with the contact, the reporter's device and app account never; a
malformed one is refused as an Open311 error naming it; and no public read shows any of them."""

from collections.abc import AsyncIterator
from datetime import timedelta
from uuid import uuid4

import httpx
import pytest

from tests.fake_case_files import InMemoryCaseFiles
from tests.fakes import RecordingPublisher
from tests.support.open311_shapes import valid, valid_xml
from tests.unit.test_gateway import app_with
from tests.unit.test_open311_channel import BASE, NOW, a_case, a_request, contacts

FROM_AN_APP = {
    "email": "zhang.sanfeng@example.org",
    "media_url": "https://photos.example.org/reports/7f3a.jpg",
    "device_id": "6F9619FF-8B86-D011-B42D-00C04FC964FF",
    "account_id": "app-user-88412",
    "address_id": "GZ-TH-000123",
}


@pytest.fixture
def publisher() -> RecordingPublisher:
    return RecordingPublisher()


@pytest.fixture
def cases() -> InMemoryCaseFiles:
    return InMemoryCaseFiles()


@pytest.fixture
async def open311(publisher, cases) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app_with(publisher, cases=cases))
    async with httpx.AsyncClient(transport=transport, base_url="http://gw") as client:
        yield client


async def test_a_report_from_an_app_is_taken_keeping_the_email_and_photo_link_but_not_the_device_or_account(
    open311, publisher
):
    answer = await open311.post(f"{BASE}/requests.json", data=a_request(**FROM_AN_APP))
    assert answer.status_code == 200, answer.text
    valid(answer.json(), "request-response")
    [contact] = contacts(publisher)
    assert contact.details == {
        "meter_number": "M-1234",
        "email": "zhang.sanfeng@example.org",
        "media_url": "https://photos.example.org/reports/7f3a.jpg",
    }
    carried = contact.model_dump_json()
    for dropped in ("device_id", "account_id", "address_id"):
        assert FROM_AN_APP[dropped] not in carried


async def test_optional_parameters_an_app_sends_empty_are_as_if_not_given(open311, publisher):
    form = a_request() | {"email": "", "media_url": " ", "device_id": "", "account_id": "", "address_id": ""}
    answer = await open311.post(f"{BASE}/requests.xml", data=form)
    assert answer.status_code == 200, answer.text
    [contact] = contacts(publisher)
    assert contact.details == {"meter_number": "M-1234"}


@pytest.mark.parametrize(
    ("name", "value", "said"),
    [
        ("email", "zhang.sanfeng", "not an email address"),
        ("email", "zhang@localhost", "not an email address"),
        ("email", "zhang@example.org\u0000", "control characters"),
        ("email", f"{'z' * 250}@example.org", "at most 254 characters"),
        ("media_url", "javascript:alert(1)", "http or https URL"),
        ("media_url", "ftp://photos.example.org/7f3a.jpg", "http or https URL"),
        ("media_url", "photos/7f3a.jpg", "http or https URL"),
        ("media_url", "https://photos.example.org/a b.jpg", "http or https URL"),
        ("media_url", "https://photos.example.org/" + "a" * 500, "at most 500 characters"),
        ("device_id", "6F9619FF\u0007", "control characters"),
        ("account_id", "a" * 201, "at most 200 characters"),
    ],
)
async def test_a_malformed_optional_parameter_is_refused_as_an_open311_error_naming_it(
    open311, publisher, name, value, said
):
    answer = await open311.post(f"{BASE}/requests.json", data=a_request(**{name: value}))
    assert answer.status_code == 400
    [error] = valid(answer.json(), "errors")
    assert f"{name}: " in error["description"]
    assert said in error["description"]
    assert contacts(publisher) == []


async def test_what_is_not_open311s_or_a_required_attribute_missing_is_refused_each_named(open311, publisher):
    form = a_request(service_code="report", email="zhang.sanfeng", phone="", photo="7f3a.jpg")
    answer = await open311.post(f"{BASE}/requests.json", data=form | {"attribute[meter_number]": "M-1"})
    assert answer.status_code == 400
    [error] = valid(answer.json(), "errors")
    for named in (
        "email: not an email address",
        "photo: not an Open311 parameter",
        "phone",
        "attribute[reported_party]: report needs it",
        "attribute[meter_number]",
    ):
        assert named in error["description"]
    assert contacts(publisher) == []


async def test_an_address_id_alone_is_no_place_the_hotline_can_find(open311, publisher):
    form = a_request(service_code="query", address_string="", address_id="GZ-TH-000123")
    answer = await open311.post(f"{BASE}/requests.json", data=form)
    assert answer.status_code == 400
    [error] = valid(answer.json(), "errors")
    assert "address_string" in error["description"]
    assert "cannot look up an address_id" in error["description"]
    assert contacts(publisher) == []


async def test_a_request_read_publicly_shows_neither_the_email_nor_the_photo(open311, cases):
    case = a_case(
        f"WO-{uuid4().hex[:8]}",
        NOW - timedelta(hours=1),
        details={"email": FROM_AN_APP["email"], "media_url": FROM_AN_APP["media_url"]},
    )
    cases.add(case)
    one = await open311.get(f"{BASE}/requests/{case.facts.work_order_id}.json")
    listed = await open311.get(f"{BASE}/requests.xml")
    [shown] = valid(one.json(), "requests")
    assert valid_xml(listed.content, "requests") == [shown]
    assert shown["media_url"] is None  # a photo can show a face or a house
    for private in ("zhang.sanfeng", "example.org", "7f3a"):
        assert private not in one.text
        assert private not in listed.text
