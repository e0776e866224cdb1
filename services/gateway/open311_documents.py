"""What the OpenAPI document says Open311's answers are: the open311 project's GeoReport v2 schemas
(schema-validation, schema/georeport-v2/), restated here so that the document, and the fuzzing that
checks answers against it, hold the gateway to them. Their XML is described as text (OpenAPI has no
schema for it); tests/unit/test_open311_channel.py reads it back into these shapes and checks it."""

from typing import Any

from services.gateway.open311_formats import JSON, XML, Open311Error

Schema = dict[str, Any]


def _nullable(schema: Schema) -> Schema:
    return {"anyOf": [schema, {"type": "null"}]}


TEXT, NUMBER, MOMENT = {"type": "string"}, {"type": "number"}, {"type": "string", "format": "date-time"}
SERVICE: Schema = {
    "type": "object",
    "required": ["service_code", "service_name", "metadata", "type"],
    "properties": {
        "service_code": TEXT,
        "service_name": TEXT,
        "description": _nullable(TEXT),
        "metadata": {"type": "boolean"},
        "type": {"type": "string", "enum": ["realtime", "batch", "blackbox"]},
        "keywords": _nullable(TEXT),
        "group": _nullable(TEXT),
    },
}
ATTRIBUTE: Schema = {
    "type": "object",
    "required": ["variable", "code", "datatype", "required"],
    "properties": {
        "variable": {"type": "boolean"},
        "code": TEXT,
        "datatype": {
            "type": "string",
            "enum": ["string", "number", "datetime", "text", "singlevaluelist", "multivaluelist"],
        },
        "required": {"type": "boolean"},
        "datatype_description": _nullable(TEXT),
        "order": _nullable({"type": "integer"}),
        "description": _nullable(TEXT),
    },
}
SERVICE_DEFINITION: Schema = {
    "type": "object",
    "required": ["service_code", "attributes"],
    "properties": {"service_code": TEXT, "attributes": {"type": "array", "items": ATTRIBUTE}},
}
REQUEST: Schema = {
    "type": "object",
    "required": ["service_request_id", "status", "service_code", "requested_datetime"],
    "properties": {
        "service_request_id": TEXT,
        "status": {"type": "string", "enum": ["open", "closed"]},
        "service_code": TEXT,
        "requested_datetime": MOMENT,
        **{
            name: _nullable(TEXT)
            for name in ("status_notes", "service_name", "agency_responsible", "service_notice")
        },
        "description": _nullable({"type": "string", "maxLength": 4000}),
        **{name: _nullable(MOMENT) for name in ("updated_datetime", "expected_datetime")},
        **{name: _nullable(TEXT) for name in ("address", "address_id", "zipcode", "media_url")},
        "lat": _nullable(NUMBER),
        "long": _nullable(NUMBER),
    },
}
TAKEN: Schema = {  # Swagger's RequestResponse
    "type": "object",
    "properties": {name: TEXT for name in ("service_request_id", "token", "service_notice", "account_id")},
}
TOKEN: Schema = {"type": "object", "properties": {"service_request_id": TEXT, "token": TEXT}}
DISCOVERY: Schema = {"type": "object", "required": ["endpoints"]}


def listed(item: Schema) -> Schema:
    return {"type": "array", "items": item}


def documented(ok: str, schema: Schema, *refusals: int) -> dict[int | str, dict[str, Any]]:
    """A route's answers: `schema` in JSON or its XML for 200, Open311 errors for each refusal."""
    answers: dict[int | str, dict[str, Any]] = {
        status: {"model": list[Open311Error], "description": "Open311 errors"} for status in refusals
    }
    answers[200] = {"description": ok, "content": {JSON: {"schema": schema}, XML: {"schema": TEXT}}}
    return answers
