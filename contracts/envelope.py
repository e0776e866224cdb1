"""CloudEvents 1.0 in Kafka binary content mode: attributes in ce_* headers, the event data as JSON value."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

from cloudevents.core.bindings.kafka import KafkaMessage, from_binary, to_binary
from cloudevents.core.exceptions import BaseCloudEventException
from cloudevents.core.formats.json import JSONFormat
from cloudevents.core.v1.event import CloudEvent
from pydantic import ValidationError

from contracts.events import EVENTS_BY_TYPE, Event

CONTENT_TYPE = "application/json"
TRACE_HEADERS = ("traceparent", "tracestate")
_FORMAT = JSONFormat()


def source_uri(tier: str, province: str, service: str) -> str:
    """ce_source names who emitted the event: tier, province (or hub) and service."""
    return f"/hotline/{tier}/{province}/{service}"


def dataschema_uri(event_type: type[Event]) -> str:
    return f"urn:hotline:schema:{event_type.ce_type}:{event_type.schema_version()}"


@dataclass(frozen=True)
class Envelope:
    id: str
    type: str
    source: str
    subject: str
    time: datetime
    data: Event
    # The W3C trace context the record arrived with (CloudEvents distributed tracing): what a handler
    # publishes because of this event continues its trace, also when it came in a batch.
    trace: Mapping[str, str] = field(default_factory=dict)


class UndecodableMessage(Exception):
    """A record that is not one of our CloudEvents; the reason goes to the dead-letter headers."""


class UnsupportedEventType(UndecodableMessage):
    """A well-formed CloudEvent of a type the reader does not take."""

    def __init__(self, event_type: str) -> None:
        super().__init__(f"unsupported event type {event_type!r}")
        self.event_type = event_type


def encode(
    event: Event, source: str, *, event_id: str | None = None, time: datetime | None = None
) -> KafkaMessage:
    cloud_event = CloudEvent(
        attributes={
            "id": event_id or str(uuid4()),
            "source": source,
            "type": event.ce_type,
            "specversion": "1.0",
            "time": time or datetime.now(UTC),
            "subject": event.subject(),
            "dataschema": dataschema_uri(type(event)),
            "datacontenttype": CONTENT_TYPE,
        },
        data=event.model_dump(mode="json"),
    )
    return to_binary(cloud_event, _FORMAT, key_mapper=lambda e: str(e.get_subject()).encode())


def decode(
    headers: Mapping[str, bytes],
    key: bytes | None,
    value: bytes,
    accepted: Mapping[str, type[Event]] = EVENTS_BY_TYPE,
) -> Envelope:
    """Parse a record, or raise UndecodableMessage saying why it cannot be taken."""
    ce_headers = {
        name: raw for name, raw in headers.items() if name.startswith("ce_") or name == "content-type"
    }
    if "ce_specversion" not in ce_headers:
        raise UndecodableMessage("not a CloudEvent in binary mode: no ce_specversion header")
    # The SDK would also parse 0.3, whose attributes differ; we only ever publish and read 1.0.
    specversion = ce_headers["ce_specversion"].decode(errors="backslashreplace")
    if specversion != "1.0":
        raise UndecodableMessage(f"unsupported CloudEvents specversion {specversion!r} (only 1.0 is taken)")
    try:
        cloud_event = from_binary(KafkaMessage(headers=ce_headers, key=key, value=value), _FORMAT)
    except (BaseCloudEventException, ValueError, UnicodeDecodeError) as error:
        raise UndecodableMessage(f"invalid CloudEvent: {error}") from error
    event_type = cloud_event.get_type()
    model = accepted.get(event_type)
    if model is None:
        raise UnsupportedEventType(event_type)
    data: Any = cloud_event.get_data()
    if not isinstance(data, dict):
        raise UndecodableMessage(f"{event_type}: body is not a JSON object")
    try:
        payload = model.model_validate(data)
    except ValidationError as error:
        raise UndecodableMessage(f"{event_type}: invalid data: {_summarise(error)}") from error
    return Envelope(
        id=cloud_event.get_id(),
        type=event_type,
        source=cloud_event.get_source(),
        subject=str(cloud_event.get_subject() or ""),
        time=cloud_event.get_time() or datetime.now(UTC),
        data=payload,
        trace={
            name: headers[name].decode(errors="replace")
            for name in TRACE_HEADERS
            if isinstance(headers.get(name), bytes)
        },
    )


def _summarise(error: ValidationError) -> str:
    return "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in error.errors())
