from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest
from faststream.kafka import TestKafkaBroker
from faststream.kafka.annotations import KafkaMessage

from contracts.envelope import Envelope, decode
from deploy.local.callers import LocalCaller
from deploy.local.credentials import SEAL_KEYS, SIGNING_KEYS, ensure_local_credentials
from plumbing.runtime import build_runtime
from services.gateway.access import load_access
from services.gateway.app import Readers, create_app
from services.gateway.bootstrap import bootstrap
from services.gateway.fields_copy import InMemoryFieldsCopy
from services.gateway.kannel_api import KannelSettings
from services.gateway.password_book import InMemoryPasswordBook
from services.gateway.privacy import FieldAccess
from services.gateway.routing_copy import InMemoryRoutingCopy
from services.gateway.service_passwords import ServicePasswords
from services.gateway.settings import GatewaySettings
from services.gateway.voice_routing.feeds import VoiceRouting
from services.gateway.voice_routing.table import VoiceRoutingTable
from services.intake.domain.type_fields import FieldRules
from services.intake.fields_announcer import in_force
from tests.fake_case_files import (
    NEEDS_INFO_CASE,
    REPAIR_CASE,
    TIANHE_OUTAGE,
    InMemoryCaseFiles,
    InMemoryOutageBook,
)
from tests.fakes import InMemoryAuditTrail

PRINCIPALS = ensure_local_credentials()


def local_settings(**overrides: object) -> GatewaySettings:
    values: dict[str, object] = {
        "kafka_bootstrap_servers": "127.0.0.1:1",
        "mongodb_uri": "mongodb://127.0.0.1:1/",
        "hotline_province": "gd",
        "hotline_environment": "local",
        "gateway_principals_path": PRINCIPALS,
        "gateway_signing_keys_path": SIGNING_KEYS,
        "gateway_seal_keys_path": SEAL_KEYS,
    }
    return GatewaySettings(**(values | overrides))  # type: ignore[arg-type]


def announced_fields() -> InMemoryFieldsCopy:
    """Intake's shipped field rules as a running province's gateway holds them once announced."""
    return InMemoryFieldsCopy(in_force(FieldRules.load(), "gd", datetime(2026, 12, 1, tzinfo=UTC)))


ANNOUNCED_FIELDS = announced_fields()


def app_with(
    publisher: object,
    trail=None,
    cases=None,
    outages=None,
    routing=None,
    passwords=None,
    keys=None,
    voice=None,
    fields=None,
    **overrides: object,
):
    """The gateway's app on the local principals, publishing through `publisher`."""
    settings = local_settings(**overrides)
    runtime = build_runtime(settings, "gateway", store=False)
    access = load_access(settings, issuer=runtime.source)
    return create_app(
        runtime,
        publisher,  # type: ignore[arg-type]
        access,
        trail or InMemoryAuditTrail(),
        Readers(
            cases or InMemoryCaseFiles(REPAIR_CASE, NEEDS_INFO_CASE),
            FieldAccess.load(settings.gateway_field_access_path),
            settings.gateway_lookup_attempts_rate,
            outages or InMemoryOutageBook(TIANHE_OUTAGE),
            routing or InMemoryRoutingCopy(),
            ServicePasswords(passwords or InMemoryPasswordBook(), access.password_keys),
            voice or VoiceRouting(VoiceRoutingTable.for_province(settings.hotline_province)),
            fields or ANNOUNCED_FIELDS,
        ),
        max_body_bytes=settings.gateway_max_body_bytes,
        max_import_bytes=settings.gateway_max_import_bytes,
        dispatch_patience=0.0,
        trusted_proxies=settings.trusted_proxies,
        twilio_auth_token=settings.gateway_twilio_auth_token,
        kannel=KannelSettings(settings.gateway_kannel_password, settings.gateway_kannel_number),
        keys=keys,
    )


class Gateway:
    def __init__(self, client: httpx.AsyncClient, received: dict[str, list[Envelope]]) -> None:
        self.client = client
        self.received = received


def collector(bucket: list[Envelope]):
    async def collect(message: KafkaMessage) -> None:
        record = message.raw_message
        bucket.append(decode(dict(record.headers), record.key, record.value))

    return collect


@pytest.fixture
async def gateway() -> AsyncIterator[Gateway]:
    service = bootstrap(local_settings(), audit=InMemoryAuditTrail(), cases=InMemoryCaseFiles(REPAIR_CASE))
    runtime, app = service.runtime, service.app
    received: dict[str, list[Envelope]] = {"gd.contacts": [], "gd.dispatch.replies": []}

    for topic, bucket in received.items():
        runtime.broker.subscriber(topic, decoder=lambda m: m.body)(collector(bucket))

    async with TestKafkaBroker(runtime.broker):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://gateway", auth=LocalCaller("gd")
        ) as client:
            yield Gateway(client, received)


async def test_a_web_contact_is_accepted_once_it_is_on_the_contacts_topic(gateway: Gateway):
    response = await gateway.client.post(
        "/v1/contacts/web",
        json={
            "phone": "139 2601 2345",
            "customer_name": "张三",
            "description": "家里停电了",
            "type": "fault_repair",
        },
    )
    assert response.status_code == 202
    contact_id = response.json()["id"]
    [envelope] = gateway.received["gd.contacts"]
    assert envelope.subject == contact_id
    assert envelope.source == "/hotline/province/gd/gateway"
    assert envelope.data.phone == "+8613926012345"
    assert envelope.data.requested_type == "fault_repair"


async def test_a_contact_with_a_bad_phone_and_no_description_gets_422_with_each_field_named(gateway: Gateway):
    response = await gateway.client.post("/v1/contacts/web", json={"phone": "12", "type": "no-such-type"})
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == 422
    assert {error["field"] for error in body["errors"]} == {"phone", "description", "type"}
    assert gateway.received["gd.contacts"] == []


async def test_control_characters_in_a_contacts_text_are_refused_here_not_lost_at_intake(gateway: Gateway):
    contact = {
        "phone": "13926012345",
        "description": "停电\u0000",
        "address": "体育西路\u0007",
        "customer_name": "张\n三",
    }
    response = await gateway.client.post("/v1/contacts/web", json=contact)
    assert response.status_code == 422
    assert {error["field"] for error in response.json()["errors"]} == {"description", "address"}
    assert gateway.received["gd.contacts"] == []
    multi_line = await gateway.client.post(
        "/v1/contacts/web", json={"phone": "13926012345", "description": "停电了\n楼道灯也不亮"}
    )
    assert multi_line.status_code == 202, "line breaks are text"


async def test_an_unknown_field_is_refused_rather_than_silently_dropped(gateway: Gateway):
    response = await gateway.client.post(
        "/v1/contacts/web", json={"phone": "13926012345", "description": "x", "priority": "high"}
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "priority"


async def test_a_retried_post_with_the_same_idempotency_key_keeps_its_contact_id(gateway: Gateway):
    contact = {"phone": "13926012345", "description": "宽带断了"}
    first = await gateway.client.post(
        "/v1/contacts/web", json=contact, headers={"Idempotency-Key": "portal-77"}
    )
    second = await gateway.client.post(
        "/v1/contacts/web", json=contact, headers={"Idempotency-Key": "portal-77"}
    )
    assert first.json()["id"] == second.json()["id"]


async def test_a_retried_post_with_the_same_key_is_the_same_event_on_the_bus(gateway: Gateway):
    reply = {"work_order_id": "WO-1", "dispatch_id": "WO-1-D1", "kind": "interim", "message": "已出发"}
    for _ in range(2):
        response = await gateway.client.post(
            "/v1/departments/repair/replies", json=reply, headers={"Idempotency-Key": "crew-7-msg-3"}
        )
        assert response.status_code == 202
    first, retried = gateway.received["gd.dispatch.replies"]
    assert retried.id == first.id
    assert retried.data.reply_id == first.data.reply_id


async def test_posts_without_a_key_are_distinct_events(gateway: Gateway):
    for _ in range(2):
        await gateway.client.post("/v1/contacts/web", json={"phone": "13926012345", "description": "停电"})
    first, second = gateway.received["gd.contacts"]
    assert (first.id, first.subject) != (second.id, second.subject)


async def test_a_department_reply_is_put_on_the_replies_topic(gateway: Gateway):
    response = await gateway.client.post(
        "/v1/departments/repair/replies",
        json={
            "work_order_id": "WO-1",
            "dispatch_id": "WO-1-D1",
            "kind": "interim",
            "message": "抢修队已出发",
        },
    )
    assert response.status_code == 202
    [envelope] = gateway.received["gd.dispatch.replies"]
    assert (envelope.data.department, envelope.data.kind) == ("repair", "interim")


async def test_a_reply_with_a_nul_in_its_message_gets_422(gateway: Gateway):
    response = await gateway.client.post(
        "/v1/departments/repair/replies",
        json={"work_order_id": "WO-1", "dispatch_id": "WO-1-D1", "kind": "final", "message": "已修复\u0000"},
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "message"


async def test_a_reply_of_an_unknown_kind_gets_422(gateway: Gateway):
    response = await gateway.client.post(
        "/v1/departments/repair/replies",
        json={"work_order_id": "WO-1", "dispatch_id": "WO-1-D1", "kind": "maybe", "message": "?"},
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "kind"


CONTACT = {"phone": "13926012345", "description": "停电", "type": "fault_repair"}
REPLY = {
    "work_order_id": "WO-1",
    "dispatch_id": "WO-1-D1",
    "kind": "final",
    "message": "已修复",
    "responder": "王工",
}


def keyed(principal_id: str) -> dict[str, str]:
    from deploy.local.credentials import local_keys

    return {"Authorization": f"Bearer {local_keys()[principal_id]}"}


async def test_a_call_without_a_key_or_with_an_unknown_one_is_401_and_nothing_is_published(gateway: Gateway):
    without = await gateway.client.post("/v1/contacts/web", json=CONTACT, auth=None)
    unknown = await gateway.client.post(
        "/v1/contacts/web", json=CONTACT, headers={"X-API-Key": "guessed"}, auth=None
    )
    assert (without.status_code, unknown.status_code) == (401, 401)
    assert without.headers["content-type"] == "application/problem+json"
    assert without.headers["www-authenticate"].startswith('Bearer realm="hotline"')
    assert unknown.json()["detail"] == "unknown API key"
    assert gateway.received["gd.contacts"] == []


async def test_a_department_replying_for_another_department_is_403_and_nothing_is_published(gateway: Gateway):
    response = await gateway.client.post(
        "/v1/departments/repair/replies", json=REPLY, headers=keyed("gd.department.billing")
    )
    assert response.status_code == 403
    assert response.json()["detail"] == "a department replies for itself only"
    assert gateway.received["gd.dispatch.replies"] == []


async def test_another_provinces_channel_key_and_a_departments_key_may_not_post_contacts(gateway: Gateway):
    other_province = await gateway.client.post(
        "/v1/contacts/web", json=CONTACT, headers=keyed("bj.channel.web")
    )
    department = await gateway.client.post(
        "/v1/contacts/web", json=CONTACT, headers=keyed("gd.department.repair")
    )
    assert (other_province.status_code, department.status_code) == (403, 403)
    assert other_province.json()["detail"] == "this key posts web contacts for bj only"
    assert gateway.received["gd.contacts"] == []


async def test_the_key_may_come_as_a_bearer_token_or_in_x_api_key(gateway: Gateway):
    from deploy.local.credentials import local_keys

    key = local_keys()["gd.channel.web"]
    bearer = await gateway.client.post(
        "/v1/contacts/web", json=CONTACT, headers={"Authorization": f"Bearer {key}"}
    )
    header = await gateway.client.post(
        "/v1/contacts/web", json=CONTACT, headers={"X-API-Key": key}, auth=None
    )
    assert (bearer.status_code, header.status_code) == (202, 202)
