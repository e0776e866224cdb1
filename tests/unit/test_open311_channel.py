"""Open311 GeoReport v2 at /open311/v2: services from intake's announced rules, requests posted by the web
channel's adapter as contacts, public reads that show no one's personal data; every answer, JSON and XML,
checked against the open311 project's schemas (tests/support/open311_shapes.py)."""

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import httpx
import pytest

from contracts.events import Area, AreaKind, Channel, ContactReceivedV1, WorkOrderType
from contracts.ids import work_order_id_for
from deploy.local.credentials import local_keys
from services.gateway.case_files import CaseFacts, CaseFile, DispatchNote
from services.gateway.fields_copy import InMemoryFieldsCopy
from services.gateway.open311_requests import requested, wanted_from
from tests.fake_case_files import InMemoryCaseFiles
from tests.fakes import RecordingPublisher
from tests.support.open311_shapes import from_xml, valid, valid_xml
from tests.unit.test_gateway import app_with

BASE = "/open311/v2"
WEB_KEY = local_keys()["gd.channel.web"]
NOW = datetime.now(UTC).replace(microsecond=0)
TIANHE = Area(code="GZ-TH", name="天河供电所", city="广州", district="天河区", kind=AreaKind.URBAN)


def a_request(**changes: str) -> dict[str, str]:
    form = {
        "api_key": WEB_KEY,
        "service_code": "fault_repair.no_power",
        "address_string": "广州市天河区体育西路 100 号",
        "first_name": "三丰",
        "last_name": "张",
        "phone": "13926012345",
        "description": f"家里停电了 {uuid4().hex[:6]}",
        "attribute[meter_number]": "M-1234",
    }
    return {name: value for name, value in (form | changes).items() if value != ""}


def a_case(work_order_id: str, at: datetime, **facts: object) -> CaseFile:
    known = CaseFacts(
        work_order_id=work_order_id,
        province="gd",
        type=WorkOrderType.FAULT_REPAIR,
        category="no_power",
        description="家里停电了，张三丰 13926012345",
        phone="+8613926012345",
        customer_name="张三丰",
        address="广州市天河区体育西路 100 号",
        account_number="0200123456",
        channel="web",
        created_at=at,
        anonymous=False,
        area=TIANHE,
    )
    dispatch = DispatchNote(f"{work_order_id}-D1", "repair-tianhe", at, at + timedelta(hours=2))
    return CaseFile(replace(known, **facts), dispatches=(dispatch,))  # type: ignore[arg-type]


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


def contacts(publisher: RecordingPublisher) -> list[ContactReceivedV1]:
    return [e for e in publisher.published if isinstance(e, ContactReceivedV1)]


async def test_discovery_names_this_endpoint_and_the_formats_it_speaks(open311):
    found = (await open311.get(f"{BASE}/discovery.json")).json()
    [endpoint] = found["endpoints"]
    assert endpoint["url"] == f"http://gw{BASE}"
    assert endpoint["formats"] == ["application/json", "text/xml"]
    xml = await open311.get(f"{BASE}/discovery.xml")
    assert xml.headers["content-type"].startswith("text/xml")
    assert b"<specification>http://wiki.open311.org/GeoReport_v2</specification>" in xml.content


async def test_services_are_each_type_with_its_categories_valid_in_json_and_in_xml(open311):
    as_json = await open311.get(f"{BASE}/services.json")
    as_xml = await open311.get(f"{BASE}/services.xml")
    services = valid(as_json.json(), "services")
    assert valid_xml(as_xml.content, "services") == services
    codes = {service["service_code"]: service for service in services}
    assert {"fault_repair.no_power", "fault_repair.line_down", "report", "query", "query.bill"} <= set(codes)
    assert "fault_repair" not in codes  # its category is required: one service per category
    assert codes["fault_repair.no_power"]["group"] == "fault_repair"
    assert codes["praise"]["metadata"] is True  # praised_party


async def test_a_service_definition_asks_for_what_intakes_rules_require_of_its_type(open311):
    report = valid((await open311.get(f"{BASE}/services/report.json")).json(), "service-definition")
    attributes = {a["code"]: a for a in report["attributes"]}
    assert attributes["reported_party"]["required"] is True
    assert attributes["happened_at"] == attributes["happened_at"] | {
        "datatype": "datetime",
        "required": False,
    }
    xml = await open311.get(f"{BASE}/services/service_application.new_connection.xml")
    definition = valid_xml(xml.content, "service-definition")
    assert [(a["code"], a["required"]) for a in definition["attributes"]] == [("account_number", True)]


async def test_an_unknown_service_is_an_open311_error_404_in_the_format_asked(open311):
    as_json = await open311.get(f"{BASE}/services/no_such.json")
    as_xml = await open311.get(f"{BASE}/services/no_such.xml")
    assert (as_json.status_code, as_xml.status_code) == (404, 404)
    assert as_json.headers["content-type"] == "application/json"
    [error] = valid(as_json.json(), "errors")
    assert error["code"] == 404
    assert "no_such" in error["description"]
    assert valid_xml(as_xml.content, "errors") == as_json.json()


async def test_before_intake_announces_its_rules_the_services_answer_503_with_a_retry_after(publisher):
    transport = httpx.ASGITransport(app=app_with(publisher, fields=InMemoryFieldsCopy()))
    async with httpx.AsyncClient(transport=transport, base_url="http://gw") as client:
        answer = await client.get(f"{BASE}/services.json")
    assert answer.status_code == 503
    assert answer.headers["retry-after"] == "30"
    assert valid(answer.json(), "errors")


async def test_a_posted_request_is_a_web_contact_naming_open311_and_answers_its_ids_at_once(
    open311, publisher
):
    answer = await open311.post(f"{BASE}/requests.json", data=a_request(lat="23.13", long="113.32"))
    assert answer.status_code == 200, answer.text
    [taken] = valid(answer.json(), "request-response")
    [contact] = contacts(publisher)
    assert taken["token"] == contact.contact_id
    assert taken["service_request_id"] == work_order_id_for(contact.contact_id)
    assert contact.channel is Channel.WEB
    assert contact.external_ref == f"open311:{taken['service_request_id']}"
    assert (contact.requested_type, contact.category) == (WorkOrderType.FAULT_REPAIR, "no_power")
    assert (contact.customer_name, contact.phone) == ("三丰 张", "+8613926012345")
    assert (contact.details, contact.latitude, contact.longitude) == (
        {"meter_number": "M-1234"},
        23.13,
        113.32,
    )
    assert publisher.audited[-1].status == 200


async def test_the_answer_to_a_post_in_xml_is_open311s_service_requests(open311):
    answer = await open311.post(f"{BASE}/requests.xml", data=a_request())
    assert answer.content.startswith(b"<?xml")
    [taken] = valid_xml(answer.content, "request-response")
    assert taken["service_request_id"].startswith("WO-")


async def test_the_api_key_may_come_in_the_form_in_the_query_or_as_a_header(open311, publisher):
    form = a_request()
    del form["api_key"]
    by_query = await open311.post(f"{BASE}/requests.json?api_key={WEB_KEY}", data=form)
    by_header = await open311.post(
        f"{BASE}/requests.json", data=a_request(description="另一户"), headers={"X-API-Key": WEB_KEY}
    )
    assert (by_query.status_code, by_header.status_code) == (200, 200)
    assert len(contacts(publisher)) == 2


async def test_a_retried_post_is_the_same_contact_and_a_key_reused_for_another_form_is_refused(
    open311, publisher
):
    form = a_request()
    first, again = [await open311.post(f"{BASE}/requests.json", data=form) for _ in range(2)]
    assert first.json() == again.json()
    assert len(set(publisher.event_ids)) == 1
    key = {"Idempotency-Key": f"K-{uuid4().hex}"}
    kept = await open311.post(f"{BASE}/requests.json", data=a_request(), headers=key)
    other = await open311.post(f"{BASE}/requests.json", data=a_request(description="别的事"), headers=key)
    assert (kept.status_code, other.status_code) == (200, 409)
    assert valid(other.json(), "errors")[0]["code"] == 409


async def test_the_same_form_again_after_ten_minutes_is_a_new_report_and_within_them_a_retry(
    open311, publisher, monkeypatch
):
    form, clock = a_request(), [1_800_000_000.0]
    monkeypatch.setattr("services.gateway.open311_api.time.time", lambda: clock[0])
    first = (await open311.post(f"{BASE}/requests.json", data=form)).json()
    clock[0] += 60
    retried = (await open311.post(f"{BASE}/requests.json", params=dict(reversed(form.items())))).json()
    clock[0] += 600
    next_week = (await open311.post(f"{BASE}/requests.json", data=form)).json()
    assert retried == first  # the same parameters, sent in the query and in another order
    assert next_week[0]["token"] != first[0]["token"]


async def test_a_key_reused_with_other_query_parameters_is_refused(open311):
    key = {"Idempotency-Key": f"K-{uuid4().hex}"}
    kept = await open311.post(f"{BASE}/requests.json", params=a_request(), headers=key)
    other = await open311.post(f"{BASE}/requests.json", params=a_request(description="别的事"), headers=key)
    assert (kept.status_code, other.status_code) == (200, 409)


async def test_a_post_without_a_key_is_401_and_with_another_channels_key_403_as_open311_errors(
    open311, publisher
):
    anonymous = await open311.post(f"{BASE}/requests.json", data=a_request(api_key=""))
    sms = await open311.post(f"{BASE}/requests.xml", data=a_request(api_key=local_keys()["gd.channel.sms"]))
    assert (anonymous.status_code, sms.status_code) == (401, 403)
    assert valid(anonymous.json(), "errors")
    assert valid_xml(sms.content, "errors")[0]["code"] == 403  # type: ignore[index]
    assert contacts(publisher) == []


async def test_a_request_read_publicly_shows_no_name_phone_account_street_or_description(open311, cases):
    case = a_case(f"WO-{uuid4().hex[:8]}", NOW - timedelta(hours=1))
    cases.add(case)
    as_json = await open311.get(f"{BASE}/requests/{case.facts.work_order_id}.json")
    as_xml = await open311.get(f"{BASE}/requests/{case.facts.work_order_id}.xml")
    [shown] = valid(as_json.json(), "requests")
    assert valid_xml(as_xml.content, "requests") == [shown]
    assert (shown["status"], shown["service_code"], shown["address"]) == (
        "open",
        "fault_repair.no_power",
        "天河区, 广州",
    )
    assert shown["agency_responsible"] == "repair-tianhe"
    for private in ("张三丰", "13926012345", "0200123456", "体育西路", "家里停电了"):
        assert private not in as_json.text
        assert private not in as_xml.text


async def test_an_anonymous_report_or_a_discipline_report_is_never_read_publicly(open311, cases):
    hidden = [
        a_case(f"WO-{uuid4().hex[:8]}", NOW - timedelta(hours=1), anonymous=True),
        a_case(f"WO-{uuid4().hex[:8]}", NOW - timedelta(hours=1), type=WorkOrderType.REPORT, category=None),
    ]
    for case in hidden:
        cases.add(case)
        assert (await open311.get(f"{BASE}/requests/{case.facts.work_order_id}.json")).status_code == 404
    listed = await open311.get(f"{BASE}/requests.json")
    assert listed.json() == []


async def test_the_token_of_a_hidden_report_never_says_its_work_order_exists(open311, cases):
    [taken] = (await open311.post(f"{BASE}/requests.json", data=a_request())).json()
    cases.add(a_case(taken["service_request_id"], NOW, anonymous=True))
    answered = await open311.get(f"{BASE}/tokens/{taken['token']}.json")
    assert valid(answered.json(), "token-response") == [{"token": taken["token"]}]


async def test_requests_are_listed_by_window_service_and_status_the_newest_first(open311, cases):
    older, newer = a_case("WO-OLDER", NOW - timedelta(days=3)), a_case("WO-NEWER", NOW - timedelta(hours=2))
    closed = replace(a_case("WO-ANSWERED", NOW - timedelta(hours=5), answer="已答复"), dispatches=())
    query = a_case("WO-QUERY", NOW - timedelta(hours=1), type=WorkOrderType.QUERY, category="bill")
    for case in (older, newer, closed, query):
        cases.add(case)

    async def ids(query_string: str, format: str = "json") -> list[str]:
        answer = await open311.get(f"{BASE}/requests.{format}?{query_string}")
        assert answer.status_code == 200, answer.text
        found = (
            valid(answer.json(), "requests") if format == "json" else valid_xml(answer.content, "requests")
        )
        return [request["service_request_id"] for request in found]  # type: ignore[union-attr]

    assert await ids("") == ["WO-QUERY", "WO-NEWER", "WO-ANSWERED", "WO-OLDER"]
    assert await ids("service_code=fault_repair.no_power&status=open", "xml") == ["WO-NEWER", "WO-OLDER"]
    assert await ids("status=closed") == ["WO-ANSWERED"]
    since = (NOW - timedelta(days=1)).isoformat()
    assert await ids(f"service_code=query&start_date={since.replace('+', '%2B')}") == ["WO-QUERY"]
    assert await ids("service_request_id=WO-OLDER,WO-NONE,WO-QUERY&status=closed") == ["WO-OLDER", "WO-QUERY"]


async def test_a_window_over_90_days_a_date_without_its_offset_or_a_parameter_given_twice_is_refused(open311):
    too_long = await open311.get(
        f"{BASE}/requests.json?start_date=2026-01-01T00:00:00Z&end_date=2026-06-01T00:00:00Z"
    )
    no_offset = await open311.get(f"{BASE}/requests.xml?start_date=2026-12-01T00:00:00")
    assert (too_long.status_code, no_offset.status_code) == (400, 400)
    assert "90 days" in valid(too_long.json(), "errors")[0]["description"]  # type: ignore[index]
    assert "offset" in str(from_xml(no_offset.content, "errors"))
    twice = await open311.get(f"{BASE}/requests.json?status=open&status=closed")
    assert twice.status_code == 400
    assert "each parameter once" in valid(twice.json(), "errors")[0]["description"]  # type: ignore[index]


async def test_a_token_names_its_request_once_the_work_order_is_open(open311, cases):
    [taken] = (await open311.post(f"{BASE}/requests.json", data=a_request())).json()
    token, work_order_id = taken["token"], taken["service_request_id"]
    pending = valid((await open311.get(f"{BASE}/tokens/{token}.json")).json(), "token-response")
    assert pending == [{"token": token}]
    cases.add(a_case(work_order_id, NOW))
    opened = await open311.get(f"{BASE}/tokens/{token}.xml")
    assert valid_xml(opened.content, "token-response") == [
        {"service_request_id": work_order_id, "token": token}
    ]
    assert (await open311.get(f"{BASE}/tokens/not-a-token.json")).status_code == 404


async def test_another_jurisdiction_is_not_served_here(open311):
    answer = await open311.get(f"{BASE}/services.json?jurisdiction_id=bj")
    assert answer.status_code == 404
    assert "bj" in valid(answer.json(), "errors")[0]["description"]  # type: ignore[index]


async def test_more_ids_than_one_answer_reads_or_a_body_over_the_limit_is_refused_as_open311_errors(open311):
    many = ",".join(f"WO-{n}" for n in range(51))
    too_many = await open311.get(f"{BASE}/requests.json?service_request_id={many}")
    too_large = await open311.post(f"{BASE}/requests.xml", data=a_request(description="停" * 70_000))
    wrong_method = await open311.delete(f"{BASE}/requests.json")
    assert (too_many.status_code, too_large.status_code, wrong_method.status_code) == (400, 413, 405)
    assert "50 at most" in valid(too_many.json(), "errors")[0]["description"]  # type: ignore[index]
    assert valid_xml(too_large.content, "errors")[0]["code"] == 413  # type: ignore[index]
    assert "GET" in wrong_method.headers["allow"]
    assert valid(wrong_method.json(), "errors")


async def test_a_fault_with_only_a_point_is_refused_as_intake_places_faults_by_their_address(
    open311, publisher
):
    answer = await open311.post(
        f"{BASE}/requests.json", data=a_request(address_string="", lat="23.1372", long="113.3206")
    )
    assert answer.status_code == 400
    assert "address_string" in valid(answer.json(), "errors")[0]["description"]
    assert publisher.published == []


async def test_one_public_list_request_reads_a_bounded_number_of_work_orders(cases):
    for hours_ago in range(40):
        cases.add(a_case(f"WO-{uuid4().hex[:8]}", NOW - timedelta(hours=hours_ago)))
    wanted = wanted_from(None, None, None, None)
    assert len(await requested(cases, wanted)) == 40
    newest = await requested(cases, wanted, read_at_most=10)
    assert 1 <= len(newest) < 40
    assert newest[0]["requested_datetime"] >= newest[-1]["requested_datetime"]


async def test_a_public_read_is_in_the_trail_with_how_it_was_answered(open311, publisher):
    missing = await open311.get(f"{BASE}/requests/WO-{uuid4().hex[:8]}.json")
    assert missing.status_code == 404
    assert [(r.outcome, r.status, r.principal_id) for r in publisher.audited] == [("refused", 404, "public")]
