import itertools
import json

import pytest

from contracts.compatibility import incompatibilities
from contracts.events import ALL_EVENTS, ContactReceivedV1, WorkOrderCreatedV1
from contracts.schemas import current_schema, history, render, schema_path


@pytest.mark.parametrize("event", ALL_EVENTS, ids=lambda e: e.ce_type)
def test_every_event_has_its_current_schema_committed_unchanged(event):
    path = schema_path(event)
    assert path.exists(), f"run `python -m contracts.schemas` to write {path.name} for {event.ce_type}"
    assert path.read_text() == render(current_schema(event)), (
        f"{event.ce_type} changed without a new version: raise minor_version (or publish a new major type)"
    )


@pytest.mark.parametrize("event", ALL_EVENTS, ids=lambda e: e.ce_type)
def test_every_committed_version_is_compatible_with_the_one_before(event):
    versions = history(event.ce_type)
    for (older, old_schema), (newer, new_schema) in itertools.pairwise(versions):
        assert older[0] == newer[0], "a new major version is a new CloudEvents type, not a new file"
        assert incompatibilities(old_schema, new_schema) == [], f"{event.ce_type} {older} -> {newer}"


def test_event_types_carry_their_major_version():
    for event in ALL_EVENTS:
        assert event.ce_type.startswith("hotline.")
        assert event.ce_type.rsplit(".", 1)[1] == "v1"
        assert event.schema_version().startswith("1.")


def _base() -> dict:
    return json.loads(json.dumps(current_schema(WorkOrderCreatedV1)))


def test_adding_an_optional_field_is_a_compatible_minor_change():
    newer = _base()
    newer["properties"]["priority"] = {"type": "string", "default": "normal"}
    assert incompatibilities(_base(), newer) == []


def test_rewording_a_description_is_a_compatible_minor_change():
    newer = _base()
    newer["properties"]["description"]["description"] = "What the customer said, in their words."
    assert incompatibilities(_base(), newer) == []


def test_removing_a_field_is_a_breaking_change():
    newer = _base()
    del newer["properties"]["address"]
    assert incompatibilities(_base(), newer) == ["address: removed"]


def test_making_a_new_field_required_is_a_breaking_change():
    newer = _base()
    newer["properties"]["priority"] = {"type": "string"}
    newer["required"].append("priority")
    assert incompatibilities(_base(), newer) == ["priority: became required"]


def test_changing_a_field_type_is_a_breaking_change():
    newer = _base()
    newer["properties"]["anonymous"] = {"type": "string"}
    assert incompatibilities(_base(), newer) == ["anonymous: definition changed"]


def test_changing_a_nested_definition_is_a_breaking_change():
    newer = _base()
    del newer["$defs"]["Customer"]["properties"]["home_region"]
    assert incompatibilities(_base(), newer) == ["$defs.Customer.home_region: removed"]


def test_a_consumer_on_the_older_model_reads_a_message_with_added_fields():
    newer_payload = {
        "contact_id": "C-1",
        "channel": "web",
        "received_at": "2026-11-22T08:00:00Z",
        "province": "gd",
        "phone": "+8613926012345",
        "description": "停电了",
        "attachments": ["photo.jpg"],
    }
    assert ContactReceivedV1.model_validate(newer_payload).contact_id == "C-1"
