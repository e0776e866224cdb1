from datetime import UTC, datetime

import pytest

from contracts.envelope import UndecodableMessage, decode, encode, source_uri
from contracts.events import ContactReceivedV1, WorkOrderCreatedV1


def a_contact() -> ContactReceivedV1:
    return ContactReceivedV1(
        contact_id="C-42",
        channel="web",
        received_at=datetime(2026, 11, 22, 8, 0, tzinfo=UTC),
        province="gd",
        phone="+8613926012345",
        description="家里停电了",
    )


def test_an_event_travels_as_a_binary_mode_cloudevent_keyed_by_its_aggregate():
    message = encode(a_contact(), source_uri("province", "gd", "gateway"), event_id="e-1")
    headers = {name: value.decode() for name, value in message.headers.items()}
    assert headers["ce_specversion"] == "1.0"
    assert headers["ce_id"] == "e-1"
    assert headers["ce_type"] == "hotline.contact.received.v1"
    assert headers["ce_source"] == "/hotline/province/gd/gateway"
    assert headers["ce_subject"] == "C-42"
    version = ContactReceivedV1.schema_version()
    assert headers["ce_dataschema"] == f"urn:hotline:schema:hotline.contact.received.v1:{version}"
    assert headers["content-type"] == "application/json"
    assert headers["ce_time"].endswith("Z")
    assert message.key == b"C-42"


def test_a_decoded_event_equals_the_one_sent():
    message = encode(a_contact(), "/hotline/province/gd/gateway")
    envelope = decode(message.headers, message.key, message.value)
    assert envelope.data == a_contact()
    assert envelope.subject == "C-42"


def test_a_record_without_cloudevents_headers_is_refused_with_the_reason():
    with pytest.raises(UndecodableMessage, match="no ce_specversion"):
        decode({"content-type": b"application/json"}, None, b"{}")


def test_a_record_whose_body_is_not_json_is_refused():
    message = encode(a_contact(), "/s")
    with pytest.raises(UndecodableMessage, match="body is not a JSON object"):
        decode(message.headers, message.key, b"{not json")


def test_a_record_whose_data_breaks_the_schema_names_the_fields():
    message = encode(a_contact(), "/s")
    with pytest.raises(UndecodableMessage, match=r"phone: Field required"):
        decode(message.headers, message.key, b'{"contact_id": "C-1"}')


def test_a_record_of_an_unknown_type_is_refused():
    message = encode(a_contact(), "/s")
    headers = dict(message.headers) | {"ce_type": b"com.example.other"}
    with pytest.raises(UndecodableMessage, match="unsupported event type"):
        decode(headers, message.key, message.value, {WorkOrderCreatedV1.ce_type: WorkOrderCreatedV1})


def test_a_cloudevent_of_spec_version_0_3_is_refused_with_the_reason():
    message = encode(a_contact(), "/s")
    headers = dict(message.headers) | {"ce_specversion": b"0.3"}
    with pytest.raises(UndecodableMessage) as refused:
        decode(headers, message.key, message.value)
    assert str(refused.value) == "unsupported CloudEvents specversion '0.3' (only 1.0 is taken)"
