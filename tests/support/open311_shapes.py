"""Checks an Open311 answer against the open311 project's published schemas (tests/support/open311/).

JSON answers are validated as they are. XML answers are read back into the JSON shape the same schema
describes, guided by it (a number's text as a number, `true` as true, an empty element of a nullable
field as null, a list's members as its items), then validated by that schema: one set of schemas checks
both formats, and an XML answer whose text is not what its field's type says fails.
"""

import json
import xml.etree.ElementTree as ElementTree
from datetime import datetime
from pathlib import Path
from typing import Any

from jsonschema import Draft7Validator, FormatChecker
from referencing import Registry
from referencing.jsonschema import DRAFT7

HERE = Path(__file__).with_name("open311")
SCHEMAS = {path.name: json.loads(path.read_text()) for path in HERE.glob("*.json")}
SWAGGER = SCHEMAS["swagger.json"]["definitions"]
# The item schemas by the names the list schemas refer to them by ("$ref": "request.json").
REGISTRY: Registry = Registry().with_resources(
    (name, DRAFT7.create_resource(schema)) for name, schema in SCHEMAS.items() if name != "swagger.json"
)


# Open311 has no schema file for its errors nor for POST's and tokens' answers: the Swagger's
# definitions say them (errors as the spec's wiki does).
EXTRA = {
    "errors": {
        "type": "array",
        "minItems": 1,
        "items": {
            "type": "object",
            "required": ["code", "description"],
            "properties": {"code": {"type": "integer"}, "description": {"type": "string"}},
        },
    },
    "request-response": {"type": "array", "items": SWAGGER["RequestResponse"]},
    "token-response": {"type": "array", "items": SWAGGER["TokenResponse"]},
}
CHECKER = FormatChecker()


def _date_time(text: object) -> bool:
    if not isinstance(text, str):
        return True
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment.tzinfo is not None and "T" in text


CHECKER.checks("date-time", raises=ValueError)(_date_time)  # RFC 3339, with its offset


def schema_of(name: str) -> dict[str, Any]:
    return EXTRA[name] if name in EXTRA else SCHEMAS[f"{name}.json"]


def valid(document: object, name: str) -> object:
    """`document` if it is valid by the schema named (`services`, `request`, `errors`, ...); else raises."""
    Draft7Validator(schema_of(name), registry=REGISTRY, format_checker=CHECKER).validate(document)
    return document


def _resolved(schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = SCHEMAS[schema["$ref"]]
    return schema


def _read(element: ElementTree.Element, schema: dict[str, Any]) -> object:
    schema = _resolved(schema)
    if "anyOf" in schema:
        if not len(element) and not (element.text or "").strip():
            return None
        schema = next(s for s in schema["anyOf"] if s.get("type") != "null")
    kind = schema.get("type")
    if kind == "array":
        return [_read(child, schema.get("items", {})) for child in element]
    if kind == "object" or "properties" in schema:
        properties = schema.get("properties", {})
        return {child.tag: _read(child, properties.get(child.tag, {})) for child in element}
    text = element.text or ""
    try:
        if kind == "number":
            return float(text)
        if kind == "integer":
            return int(text)
    except ValueError:
        return text  # left as text: the schema refuses it
    if kind == "boolean":
        return {"true": True, "false": False}.get(text, text)
    return text


# The XML elements Open311 names each answer and its items with (wiki.open311.org/GeoReport_v2).
ELEMENTS = {
    "services": ("services", "service"),
    "service-definition": ("service_definition", None),
    "requests": ("service_requests", "request"),
    "request-response": ("service_requests", "request"),
    "token-response": ("service_requests", "request"),
    "errors": ("errors", "error"),
    "discovery": ("discovery", None),
}


def from_xml(text: bytes | str, name: str) -> object:
    """An XML answer in the JSON shape of the schema named, once its elements are named as Open311 names
    them (a wrong root or item element fails here, which the JSON shape alone would not show)."""
    root = ElementTree.fromstring(text)
    wanted_root, wanted_item = ELEMENTS[name]
    assert root.tag == wanted_root, f"the answer is <{root.tag}>, Open311's is <{wanted_root}>"
    if wanted_item is not None:
        items = {child.tag for child in root}
        assert items <= {wanted_item}, f"<{wanted_root}> holds {sorted(items)}, Open311's <{wanted_item}>"
    return _read(root, schema_of(name))


def valid_xml(text: bytes | str, name: str) -> object:
    return valid(from_xml(text, name), name)
