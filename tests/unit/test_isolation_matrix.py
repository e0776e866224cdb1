"""Who may call what, generated from the gateway's route table: every endpoint x every role x its own
province and unit, another province, another unit of its province -> the expected answer. A new endpoint
without a rule here, or one that takes no credential without being listed as public, fails the suite."""

from dataclasses import dataclass, field

import httpx
import pytest
from fastapi.routing import APIRoute
from starlette.routing import Route

from deploy.local.credentials import local_keys
from tests.fakes import RecordingPublisher
from tests.unit.test_gateway import app_with

# Served to anyone: the probes, the API's description, the OAuth2 token endpoint and its public keys,
# and a customer's lookup of their own work order's status (its number and phone are the proof).
PUBLIC = {
    ("POST", "/v1/public/work-order-status"),
    ("GET", "/healthz"),
    ("GET", "/readyz"),
    ("GET", "/openapi.json"),
    ("GET", "/docs"),
    ("GET", "/docs/oauth2-redirect"),
    ("GET", "/redoc"),
    ("POST", "/oauth/token"),
    ("GET", "/.well-known/jwks.json"),
    # Twilio's webhooks: no credential, Twilio's signature instead (tests/unit/test_twilio_channel.py).
    ("POST", "/v1/channels/twilio/sms"),
    ("POST", "/v1/channels/twilio/voice"),
    ("POST", "/v1/channels/twilio/voice/queue"),
    ("POST", "/v1/channels/twilio/voice/status"),
    # Kannel's calls: no principal's credential, Kannel's own password instead (test_kannel_channel.py).
    ("GET", "/v1/channels/kannel/sms"),
    ("GET", "/v1/channels/kannel/dlr"),
    # Open311's reads are public by its spec (a city's map of reports): they show no personal data
    # (services/gateway/open311_requests.py); its POST takes the web channel adapter's key.
    ("GET", "/open311/v2/discovery.{response_format}"),
    ("GET", "/open311/v2/services.{response_format}"),
    ("GET", "/open311/v2/services/{service_code}.{response_format}"),
    ("GET", "/open311/v2/requests.{response_format}"),
    ("GET", "/open311/v2/requests/{service_request_id}.{response_format}"),
    ("GET", "/open311/v2/tokens/{token}.{response_format}"),
}
CONTACT = {"phone": "13926012345", "description": "停电", "type": "fault_repair"}
REPLY = {"work_order_id": "WO-1", "dispatch_id": "WO-1-D1", "kind": "final", "message": "已修复"}
LOOKUP = {"work_order_id": "WO-1", "caller_number": "13926012345"}
PROFILE = {
    "account_number": "4401000123",
    "phones": ["13926012345"],
    "monthly_spend": 120,
    "customer_since": "2020-01-01",
    "credit_score": 600,
    "updated_at": "2026-12-01T08:00:00+08:00",
}
OUTAGE = {
    "outage_id": "OUT-2",
    "kind": "planned",
    "areas": ["gz-tianhe"],
    "cause": "计划检修",
    "starts_at": "2026-12-02T09:00:00+08:00",
    "expected_restoration_at": "2026-12-02T17:00:00+08:00",
}
EXPORT = (
    "account_number,name,phones,kind,address,monthly_spend,customer_since,credit_score,red_list,blacklisted,"
    "updated_at\n4401,,13926012345,resident,,120,2020-01-01,600,no,no,2026-12-01T08:00:00+08:00\n"
)

# The voice channel's own adapter; the web channel's is the other unit of its province.
VOICE_CALLERS = {
    ("channel_adapter", "own"): "gd.channel.voice",
    ("channel_adapter", "other_province"): "bj.channel.voice",
    ("channel_adapter", "other_unit"): "gd.channel.web",
}


@dataclass(frozen=True)
class Rule:
    path: str  # the route's path with its parameters filled in for the caller's own unit
    body: dict[str, object] | None
    allowed: frozenset[tuple[str, str]] = field(default_factory=frozenset)  # (role, relation)
    status: int = 202
    publishes: int = 1  # events put on the bus when allowed, beside the call's audit record
    # Refused as if the object were not there (another province's, another department's): 404, not 403.
    not_found: frozenset[tuple[str, str]] = field(default_factory=frozenset)
    callers: dict[tuple[str, str], str] = field(default_factory=dict)  # in place of CALLERS' for this rule
    csv: str | None = None  # sent as text/csv in place of a JSON body
    form: dict[str, str] | None = None  # sent as a form in place of a JSON body (Open311's)
    refusal_type: str = "application/problem+json"  # Open311 answers its own errors in JSON


RULES = {
    ("POST", "/v1/contacts/web"): Rule("/v1/contacts/web", CONTACT, frozenset({("channel_adapter", "own")})),
    ("POST", "/v1/departments/{department}/replies"): Rule(
        "/v1/departments/repair/replies", REPLY, frozenset({("department", "own")})
    ),
    ("POST", "/v1/departments/{department}/actions"): Rule(
        "/v1/departments/repair/actions",
        {"work_order_id": "WO-1", "dispatch_id": "WO-1-D1", "action": "accept"},
        frozenset({("department", "own")}),
    ),
    ("POST", "/v1/work-orders/{work_order_id}/dispatch-actions"): Rule(
        "/v1/work-orders/WO-1/dispatch-actions",
        {"action": "chase", "reason": "客户来电询问进度"},
        frozenset({("agent", "own"), ("supervisor", "own")}),
        not_found=frozenset({("agent", "other_province"), ("supervisor", "other_province")}),
    ),
    ("GET", "/v1/audit"): Rule(
        "/v1/audit?from=2026-12-02T01:00Z", None, frozenset({("auditor", "own")}), status=200, publishes=0
    ),
    # WO-1 is a gd fault repair sent to the repair department.
    ("GET", "/v1/work-orders/{work_order_id}"): Rule(
        "/v1/work-orders/WO-1",
        None,
        frozenset({("agent", "own"), ("supervisor", "own"), ("department", "own")}),
        status=200,
        publishes=0,
        not_found=frozenset(
            {
                ("agent", "other_province"),
                ("supervisor", "other_province"),
                ("department", "other_province"),
                ("department", "other_unit"),
                ("inspector", "own"),  # not a report
                ("inspector", "other_province"),
            }
        ),
    ),
    # A list of the repair department's: its own, any reader's of the province (the inspector's reports).
    ("GET", "/v1/work-orders"): Rule(
        "/v1/work-orders?department=repair",
        None,
        frozenset({("agent", "own"), ("supervisor", "own"), ("department", "own"), ("inspector", "own")}),
        status=200,
        publishes=0,
    ),
    ("GET", "/v1/handover"): Rule(
        "/v1/handover?department=repair",
        None,
        frozenset({("agent", "own"), ("supervisor", "own"), ("department", "own"), ("inspector", "own")}),
        status=200,
        publishes=0,
    ),
    ("POST", "/v1/customer-profiles"): Rule(
        "/v1/customer-profiles", PROFILE, frozenset({("billing", "own")})
    ),
    ("POST", "/v1/customer-imports"): Rule(
        "/v1/customer-imports", None, frozenset({("billing", "own")}), status=200, csv=EXPORT
    ),
    # WO-2 is a gd fault repair gd.agent owns, waiting for its fault category.
    ("GET", "/v1/owners/{owner}/work-orders"): Rule(
        "/v1/owners/gd.agent/work-orders",
        None,
        frozenset({("agent", "own"), ("supervisor", "own")}),
        status=200,
        publishes=0,
    ),
    ("POST", "/v1/work-orders/{work_order_id}/info"): Rule(
        "/v1/work-orders/WO-2/info",
        {"category": "no_power"},
        frozenset({("agent", "own"), ("supervisor", "own")}),
        not_found=frozenset({("agent", "other_province"), ("supervisor", "other_province")}),
    ),
    ("POST", "/v1/work-orders/{work_order_id}/classification"): Rule(
        "/v1/work-orders/WO-2/classification",
        {"type": "complaint", "category": "billing", "reason": "客户反映的是电费问题"},
        frozenset({("agent", "own"), ("supervisor", "own")}),
        not_found=frozenset({("agent", "other_province"), ("supervisor", "other_province")}),
    ),
    ("POST", "/v1/work-orders/{work_order_id}/owner"): Rule(
        "/v1/work-orders/WO-2/owner",
        {"to": "gd.agent", "reason": "换班"},
        frozenset({("agent", "own"), ("supervisor", "own")}),
        not_found=frozenset({("agent", "other_province"), ("supervisor", "other_province")}),
    ),
    # OUT-1 is a gd outage of the Tianhe area, not ended; the control room (supervisors) keeps outages.
    ("POST", "/v1/outages"): Rule(
        "/v1/outages",
        OUTAGE,
        frozenset({("supervisor", "own")}),
        not_found=frozenset({("supervisor", "other_province")}),
    ),
    ("PATCH", "/v1/outages/{outage_id}"): Rule(
        "/v1/outages/OUT-1",
        {"expected_restoration_at": "2026-12-02T20:00:00+08:00"},
        frozenset({("supervisor", "own")}),
        not_found=frozenset({("supervisor", "other_province")}),
    ),
    ("POST", "/v1/outages/{outage_id}/end"): Rule(
        "/v1/outages/OUT-1/end",
        None,
        frozenset({("supervisor", "own")}),
        not_found=frozenset({("supervisor", "other_province")}),
    ),
    ("GET", "/v1/outages"): Rule(
        "/v1/outages",
        None,
        frozenset({("agent", "own"), ("supervisor", "own")}),
        status=200,
        publishes=0,
        not_found=frozenset({("agent", "other_province"), ("supervisor", "other_province")}),
    ),
    # Only an adapter that hears the caller's number from the network may vouch for it: voice or SMS.
    ("POST", "/v1/contacts/voice"): Rule(
        "/v1/contacts/voice",
        CONTACT | {"call_id": "CALL-1"},
        frozenset({("channel_adapter", "own")}),
        callers=VOICE_CALLERS,
    ),
    ("POST", "/v1/voice/calls/{call_id}/events"): Rule(
        "/v1/voice/calls/CALL-1/events",
        {
            "event_id": "E-1",
            "kind": "offered",
            "at": "2026-12-02T09:00:00+08:00",
            "caller_number": "13926012345",
        },
        frozenset({("channel_adapter", "own")}),
        callers=VOICE_CALLERS,
    ),
    # Answered from memory; audited as one record a minute per principal, with the count.
    ("POST", "/v1/voice/routing-decisions"): Rule(
        "/v1/voice/routing-decisions",
        {"call_id": "CALL-1", "caller_number": "13926012345"},
        frozenset({("channel_adapter", "own")}),
        status=200,
        publishes=0,
        callers=VOICE_CALLERS,
    ),
    ("GET", "/v1/voice/callbacks"): Rule(
        "/v1/voice/callbacks",
        None,
        frozenset({("channel_adapter", "own")}),
        status=200,
        publishes=0,
        callers=VOICE_CALLERS,
    ),
    # An empty list here: the voice adapter's own attempt is told no such callback is open.
    ("POST", "/v1/voice/callbacks/{callback_id}/attempts"): Rule(
        "/v1/voice/callbacks/CB-CALL-1/attempts",
        {"attempt_id": "A-1", "outcome": "answered", "at": "2026-12-02T09:00:00+08:00"},
        frozenset({("channel_adapter", "own")}),
        status=404,
        publishes=0,
        callers=VOICE_CALLERS,
    ),
    ("POST", "/open311/v2/requests.{response_format}"): Rule(
        "/open311/v2/requests.json",
        None,
        frozenset({("channel_adapter", "own")}),
        status=200,
        form={
            "service_code": "query.bill",
            "phone": "13926012345",
            "description": "电费",
            "address_string": "天河",
        },
        refusal_type="application/json",
    ),
    ("POST", "/v1/customer-lookups"): Rule(
        "/v1/customer-lookups",
        LOOKUP,
        frozenset({("channel_adapter", "own")}),
        status=200,
        publishes=0,
        callers=VOICE_CALLERS,
    ),
}

ONE_PER_PROVINCE = ("agent", "supervisor", "auditor", "inspector", "billing")

# The caller for each role and relation to the gd gateway's resource named in the rule's path (the web
# channel, the repair department). A role without units of its own has no "other unit".
CALLERS = {
    ("channel_adapter", "own"): "gd.channel.web",
    ("channel_adapter", "other_province"): "bj.channel.web",
    ("channel_adapter", "other_unit"): "gd.channel.sms",
    ("department", "own"): "gd.department.repair",
    ("department", "other_province"): "bj.department.repair",
    ("department", "other_unit"): "gd.department.billing",
    **{(role, "own"): f"gd.{role}" for role in ONE_PER_PROVINCE},
    **{(role, "other_province"): f"bj.{role}" for role in ONE_PER_PROVINCE},
    ("hub", "own"): "hub.hub",
}


def routes() -> list[tuple[str, str, bool]]:
    """(method, path, takes a credential) for every route the gateway serves."""
    found = []
    for route in app_with(RecordingPublisher()).routes:
        if isinstance(route, APIRoute):
            authenticated = any(d.call.__name__ == "authenticated" for d in route.dependant.dependencies)
            found += [(method, route.path, authenticated) for method in sorted(route.methods)]
        elif isinstance(route, Route):
            found += [
                (method, route.path, False) for method in sorted(route.methods or ()) if method != "HEAD"
            ]
    return found


def test_every_endpoint_takes_a_credential_unless_it_is_listed_as_public():
    open_routes = {(method, path) for method, path, authenticated in routes() if not authenticated}
    assert open_routes == PUBLIC


def test_every_endpoint_that_takes_a_credential_has_a_rule_in_the_matrix():
    guarded = {(method, path) for method, path, authenticated in routes() if authenticated}
    assert guarded == set(RULES), "add the new endpoint's rule to RULES"


MATRIX = [(route, role_relation) for route in sorted(RULES) for role_relation in sorted(CALLERS)]


@pytest.mark.parametrize(
    ("route", "caller"), MATRIX, ids=[f"{r[0]} {r[1]} as {c[0]} ({c[1]})" for r, c in MATRIX]
)
async def test_the_isolation_matrix(route: tuple[str, str], caller: tuple[str, str]):
    rule = RULES[route]
    publisher = RecordingPublisher()
    expected = rule.status if caller in rule.allowed else 404 if caller in rule.not_found else 403
    principal = rule.callers.get(caller, CALLERS[caller])
    app = app_with(publisher)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
        key = {"Authorization": f"Bearer {local_keys()[principal]}"}
        body: dict[str, object] = {"json": rule.body}
        if rule.csv is not None:
            body = {"content": rule.csv.encode()}
            csv = {"Content-Type": "text/csv"}
        else:
            csv = {}
        if rule.form is not None:
            body = {"data": rule.form}
        answer = await client.request(route[0], rule.path, **body, headers=key | csv)  # type: ignore[arg-type]
        anonymous = await client.request(route[0], rule.path, **body, headers=csv)  # type: ignore[arg-type]
    if route == ("POST", "/v1/voice/routing-decisions"):
        await app.state.routing_tally.record()  # counted into one record a minute: the minute is up
    assert answer.status_code == expected, answer.text
    assert anonymous.status_code == 401
    assert len(publisher.published) == (rule.publishes if expected < 300 else 0), (
        "a refusal publishes nothing"
    )
    [audited] = publisher.audited  # the anonymous call has no principal to record
    assert (audited.principal_id, audited.status) == (principal, expected)
    assert audited.outcome == ("accepted" if expected < 300 else "refused")
    if expected >= 400:
        assert answer.headers["content-type"] == rule.refusal_type
