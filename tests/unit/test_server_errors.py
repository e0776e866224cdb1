"""A route that fails unexpectedly answers 500 as every refusal is answered, problem+json (under Open311,
Open311's error list), saying nothing of what failed; the log has the exception for whoever mends it."""

from collections.abc import AsyncIterator

import httpx
import pytest
from structlog.testing import capture_logs

from deploy.local.callers import signed_as
from services.gateway.case_files import CaseFile
from tests.fake_case_files import REPAIR_CASE, InMemoryCaseFiles
from tests.fakes import RecordingPublisher
from tests.support.open311_shapes import valid, valid_xml
from tests.unit.test_gateway import app_with

# What a failing library might say: a customer's number and the gateway's insides, for no caller's eyes.
FAILURE = RuntimeError("cursor lost while reading +8613926012345 from case_files")


class FailingCaseFiles(InMemoryCaseFiles):
    async def find(self, work_order_id: str) -> CaseFile | None:
        raise FAILURE


@pytest.fixture
def logged() -> AsyncIterator[list[dict[str, object]]]:
    with capture_logs() as entries:
        yield entries


@pytest.fixture
async def gateway(logged) -> AsyncIterator[httpx.AsyncClient]:
    app = app_with(RecordingPublisher(), cases=FailingCaseFiles(REPAIR_CASE))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw") as client:
        yield client


def the_failure_logged(logged: list[dict[str, object]], path: str) -> dict[str, object]:
    [entry] = [e for e in logged if e.get("path") == path and e.get("exc_info") is FAILURE]
    assert entry["log_level"] == "error"
    return entry


async def test_a_route_that_fails_answers_problem_json_500_and_logs_the_exception(gateway, logged):
    answer = await gateway.get("/v1/work-orders/WO-1", headers=signed_as("gd.agent"))
    assert answer.status_code == 500
    assert answer.headers["content-type"] == "application/problem+json"
    problem = answer.json()
    assert (problem["status"], problem["title"]) == (500, "Internal Server Error")
    for leaked in ("13926012345", "case_files", "RuntimeError", "Traceback"):
        assert leaked not in answer.text
    entry = the_failure_logged(logged, "/v1/work-orders/WO-1")
    assert entry["event"] == "unexpected error; answered 500"
    assert entry["service"] == "gateway"


async def test_an_open311_route_that_fails_answers_open311s_error_500_in_the_format_asked(gateway, logged):
    as_json = await gateway.get("/open311/v2/requests/WO-1.json")
    as_xml = await gateway.get("/open311/v2/requests/WO-1.xml")
    assert (as_json.status_code, as_xml.status_code) == (500, 500)
    assert as_json.headers["content-type"] == "application/json"
    [error] = valid(as_json.json(), "errors")
    assert error["code"] == 500
    assert valid_xml(as_xml.content, "errors") == [error]
    for leaked in ("13926012345", "case_files", "RuntimeError"):
        assert leaked not in as_json.text
        assert leaked not in as_xml.text
    the_failure_logged(logged, "/open311/v2/requests/WO-1.json")
