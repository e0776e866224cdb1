"""The gateway's API as schemathesis explores it from the OpenAPI document: with a valid credential no
input makes it fail or answer outside its documented schema; without one every endpoint but the public
ones answers 401 problem+json (Open311's, its own 401 error)."""

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from deploy.local.credentials import local_keys
from tests.fakes import RecordingPublisher
from tests.unit.test_gateway import app_with
from tests.unit.test_isolation_matrix import PUBLIC

schema = schemathesis.openapi.from_asgi("/openapi.json", app_with(RecordingPublisher()))

CREDENTIAL = {
    "/v1/audit": "gd.auditor",
    "/v1/contacts/web": "gd.channel.web",
    "/open311/v2/requests.{response_format}": "gd.channel.web",
    "/v1/departments/{department}/replies": "gd.department.repair",
    "/v1/customer-profiles": "gd.billing",
    "/v1/customer-imports": "gd.billing",
}
FUZZED = settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))


@schema.parametrize()
@FUZZED
def test_with_a_valid_credential_no_input_makes_the_gateway_fail(case):
    if case.path == "/readyz":
        return  # no bus in this test: not ready, rightly 503 (tests/unit/test_probes.py)
    principal = CREDENTIAL.get(case.path)
    headers = {"Authorization": f"Bearer {local_keys()[principal]}"} if principal else {}
    # A phone number's validity (libphonenumber's rules) is beyond what JSON Schema can say, so a
    # string the schema allows may still be refused: that one check would fault the schema for it.
    # Raises on a server error or an answer outside the documented statuses, types and schemas.
    response = case.call_and_validate(headers=headers, excluded_checks=[positive_data_acceptance])
    assert response.status_code < 500, response.text


@schema.parametrize()
@FUZZED
def test_without_a_credential_every_endpoint_but_the_public_ones_answers_401(case):
    if (case.method.upper(), case.path) in PUBLIC or case.method.upper() != case.operation.method.upper():
        return  # public, or a method the path does not serve (405 for anyone)
    response = case.call(headers={"Authorization": "", "X-API-Key": ""})
    assert response.status_code == 401, response.text
    if case.path.startswith("/open311/"):  # Open311's own errors, in the format its path asks for
        assert response.headers["content-type"] in (["application/json"], ["text/xml; charset=utf-8"])
    else:
        assert response.headers["content-type"] == ["application/problem+json"]
