"""What a consumer outside Hotline sees on the wire: CloudEvents 1.0, Kafka binary mode, W3C trace context."""

from uuid import uuid4

from cloudevents.core.bindings.kafka import KafkaMessage, from_binary
from cloudevents.core.formats.json import JSONFormat

from contracts.events import ContactReceivedV1
from contracts.topics import Topics
from tests.support.running import Tap, running_subsystem

PROVINCE = "hb"


async def test_a_contact_read_back_from_the_broker_decodes_with_the_cloudevents_sdk(stack):
    async with (
        running_subsystem(stack, PROVINCE, services=["gateway"]) as subsystem,
        Tap(stack, Topics(PROVINCE).contacts) as contacts,
    ):
        response = await subsystem.gateway.post(
            "/v1/contacts/web", json={"phone": "13871234567", "description": f"路灯不亮 {uuid4().hex}"}
        )
        contact_id = response.json()["id"]
        record = await contacts.find(lambda r: r.key == contact_id.encode())

    headers = dict(record.headers)
    event = from_binary(KafkaMessage(headers=headers, key=record.key, value=record.value), JSONFormat())
    assert event.get_specversion() == "1.0"
    assert event.get_type() == "hotline.contact.received.v1"
    assert event.get_source() == "/hotline/province/hb/gateway"
    assert event.get_subject() == contact_id
    version = ContactReceivedV1.schema_version()
    assert event.get_dataschema() == f"urn:hotline:schema:hotline.contact.received.v1:{version}"
    assert event.get_time() is not None
    assert event.get_data()["phone"] == "+8613871234567"
    assert headers["content-type"] == b"application/json"
    version, trace_id, span_id, _flags = headers["traceparent"].decode().split("-")
    assert (version, len(trace_id), len(span_id)) == ("00", 32, 16)
