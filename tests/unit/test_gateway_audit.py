"""Object-level checks on a department's reply, and the audit trail an auditor reads."""

from datetime import UTC, datetime

import httpx

from contracts.envelope import Envelope
from contracts.events import WorkOrderDispatchedV1
from deploy.local.callers import signed_as
from services.gateway.dispatch_lookup import DispatchLookup
from services.gateway.handlers import GatewayHandlers
from tests.fake_case_files import InMemoryCaseFiles
from tests.fakes import InMemoryAuditTrail, RecordingPublisher, envelope_of
from tests.unit.test_gateway import app_with

CONTACT = {"phone": "13926012345", "description": "停电", "type": "fault_repair"}
REPLY = {"work_order_id": "WO-1", "dispatch_id": "WO-1-D1", "kind": "final", "message": "已修复"}


def client(app) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway")


async def test_a_department_replying_to_a_dispatch_sent_to_another_is_403_and_nothing_is_published():
    publisher = RecordingPublisher()
    async with client(app_with(publisher)) as gateway:
        answer = await gateway.post(
            "/v1/departments/billing/replies", json=REPLY, headers=signed_as("gd.department.billing")
        )
    assert answer.status_code == 403
    assert answer.json()["detail"] == "this dispatch was sent to another department"
    assert publisher.published == []
    [refusal] = publisher.audited
    assert (refusal.principal_id, refusal.action, refusal.outcome, refusal.status) == (
        "gd.department.billing",
        "reply.post",
        "refused",
        403,
    )


async def test_a_dispatch_this_province_never_sent_or_of_another_work_order_is_404():
    publisher = RecordingPublisher()
    async with client(app_with(publisher)) as gateway:
        unknown = await gateway.post(
            "/v1/departments/repair/replies",
            json=REPLY | {"dispatch_id": "WO-BJ-D1"},
            headers=signed_as("gd.department.repair"),
        )
        mismatched = await gateway.post(
            "/v1/departments/repair/replies",
            json=REPLY | {"work_order_id": "WO-2"},
            headers=signed_as("gd.department.repair"),
        )
    assert (unknown.status_code, mismatched.status_code) == (404, 404)
    assert unknown.headers["content-type"] == "application/problem+json"
    assert publisher.published == []


async def test_the_gateway_learns_whose_each_dispatch_is_from_the_progress_topic():
    cases = InMemoryCaseFiles()
    dispatched = WorkOrderDispatchedV1(
        work_order_id="WO-7",
        dispatch_id="WO-7-D1",
        province="gd",
        department="water",
        type="fault_repair",
        dispatched_at=datetime.now(UTC),
        reply_due_at=datetime.now(UTC),
        customer={"phone": "+8613926012345"},
        description="停水",
    )
    await GatewayHandlers(InMemoryAuditTrail(), cases).progress([envelope_of(dispatched)])
    seen = await DispatchLookup(cases, patience=0).find("WO-7", "WO-7-D1")
    assert seen is not None
    assert seen.department == "water"


async def test_an_auditor_reads_who_did_what_from_where_and_its_reading_is_recorded_too():
    publisher, trail = RecordingPublisher(), InMemoryAuditTrail()
    handlers = GatewayHandlers(trail, InMemoryCaseFiles())
    app = app_with(publisher, trail=trail)
    async with client(app) as gateway:
        posted = await gateway.post("/v1/contacts/web", json=CONTACT, headers=signed_as("gd.channel.web"))
        await handlers.audits_recorded([envelope(e) for e in publisher.audited])
        minute = publisher.audited[0].at.strftime("%Y-%m-%dT%H:%MZ")
        page = await gateway.get(f"/v1/audit?from={minute}&minutes=1", headers=signed_as("gd.auditor"))
        theirs = await gateway.get(
            f"/v1/audit?from={minute}&minutes=1&principal=gd.department.repair",
            headers=signed_as("gd.auditor"),
        )
        agent = await gateway.get(f"/v1/audit?from={minute}", headers=signed_as("gd.agent"))
    assert page.status_code == 200
    [record] = page.json()["records"]
    assert (record["principal_id"], record["role"], record["action"]) == (
        "gd.channel.web",
        "channel_adapter",
        "contact.post",
    )
    assert (record["resource"], record["outcome"], record["status"]) == (posted.json()["id"], "accepted", 202)
    assert record["client"] == "127.0.0.1"
    assert "13926012345" not in page.text, "the trail holds ids, never the request's personal data"
    assert theirs.json()["records"] == []
    assert agent.status_code == 403
    reads = [e for e in publisher.audited if e.action == "audit.read"]
    assert [(e.principal_id, e.outcome) for e in reads] == [("gd.auditor", "accepted")] * 2 + [
        ("gd.agent", "refused")
    ]
    assert page.json()["next_from"] > minute[:-1]


def envelope(event) -> Envelope:
    return envelope_of(event, source="/hotline/province/gd/gateway")


async def test_the_audit_trail_keeps_a_redelivered_record_once():
    trail, publisher = InMemoryAuditTrail(), RecordingPublisher()
    async with client(app_with(publisher)) as gateway:
        await gateway.post("/v1/contacts/web", json=CONTACT, headers=signed_as("gd.channel.web"))
    handlers = GatewayHandlers(trail, InMemoryCaseFiles())
    batch = [envelope(e) for e in publisher.audited]
    await handlers.audits_recorded(batch)
    await handlers.audits_recorded(batch)
    assert len(trail.records) == 1


async def test_a_retry_with_the_same_key_is_the_same_contact_and_the_same_audit_record():
    publisher = RecordingPublisher()
    key = {"Idempotency-Key": "order-1"}
    async with client(app_with(publisher)) as gateway:
        web = await gateway.post("/v1/contacts/web", json=CONTACT, headers=signed_as("gd.channel.web") | key)
        again = await gateway.post(
            "/v1/contacts/web", json=CONTACT, headers=signed_as("gd.channel.web") | key
        )
    assert web.json()["id"] == again.json()["id"]
    assert len({e.audit_id for e in publisher.audited}) == 1, "a retry is the same audit record"


class AuditDown(RecordingPublisher):
    async def publish(self, event, topic, **options):
        from aiokafka.errors import KafkaTimeoutError

        from contracts.events import AuditRecordedV1

        if isinstance(event, AuditRecordedV1):
            raise KafkaTimeoutError("no acknowledgement")
        return await super().publish(event, topic, **options)


async def test_a_call_taken_whose_audit_record_is_not_is_503_and_says_so():
    publisher = AuditDown()
    async with client(app_with(publisher)) as gateway:
        answer = await gateway.post(
            "/v1/contacts/web", json=CONTACT, headers=signed_as("gd.channel.web") | {"Idempotency-Key": "k-9"}
        )
    assert answer.status_code == 503
    assert "was taken but its audit record was not" in answer.json()["detail"]
    assert len(publisher.published) == 1, "the event went first; its retry with the key is the same one"
