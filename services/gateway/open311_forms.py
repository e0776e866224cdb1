"""An Open311 POST requests form, read into the contact every channel posts (schemas.WebContact), strictly:
a parameter that is not Open311's, or is malformed, is refused, not dropped, so the client knows.

Taken: service_code, lat and long, address_string, first_name and last_name (the customer's name),
phone, description, and attribute[<code>] for the service definition's attributes; api_key and
jurisdiction_id are the API's. The spec's optional email, media_url, device_id, account_id and
address_id are taken too, as the city apps send them with every report: checked (bounded, no control
characters, an email's shape, an http(s) URL) and, blank, left out. email and media_url go into the
contact's details, where intake keeps them with the work order and tells no reader of them (its type's
rules do not name them); device_id, account_id and address_id are dropped (OPTIONAL says why). The
phone is required: the hotline calls the customer back, and a contact is one customer's. Open311 wants
a location: lat and long, or address_string.
"""

import math
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError

from contracts.events import WorkOrderFieldsInForceV1
from services.gateway.open311_services import ServiceCode, attributes_of, find
from services.gateway.schemas import WebContact

OWN = {"service_code", "lat", "long", "address_string", "first_name", "last_name", "phone", "description"}
THE_APIS = {"api_key", "jurisdiction_id"}
EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s.]+(\.[^@\s.]+)+$")


def _an_email(text: str) -> str | None:
    return None if EMAIL.match(text) else "not an email address (name@example.org)"


def _a_web_link(text: str) -> str | None:
    try:
        link = urlsplit(text)
    except ValueError:
        return "not a URL"
    if link.scheme not in ("http", "https") or not link.hostname or any(c.isspace() for c in text):
        return "an http or https URL of the photo"
    return None


@dataclass(frozen=True)
class OptionalParameter:
    """One of the spec's optional parameters: its longest value, what its shape must be, whether kept."""

    longest: int
    fault: Callable[[str], str | None] = lambda _: None
    kept: bool = False


# Kept in details, no longer than a detail may be (schemas.Details). Dropped: device_id and account_id
# name the reporter's phone and their account with the city's app, which follow a person and serve no
# work order (the hotline calls back by phone); address_id is a key into the city's address register,
# which the hotline cannot look up (intake places by address_string).
OPTIONAL = {
    "email": OptionalParameter(254, _an_email, kept=True),
    "media_url": OptionalParameter(500, _a_web_link, kept=True),
    "device_id": OptionalParameter(200),
    "account_id": OptionalParameter(200),
    "address_id": OptionalParameter(200),
}
FORM = "application/x-www-form-urlencoded"
REQUEST_FORM = {  # as Open311 posts it; attribute[<code>] for the service definition's attributes
    "type": "object",
    "required": ["service_code", "phone", "description"],
    "properties": {
        "api_key": {"type": "string"},
        "jurisdiction_id": {"type": "string"},
        "service_code": {"type": "string"},
        "lat": {"type": "number"},
        "long": {"type": "number"},
        "address_string": {"type": "string"},
        "first_name": {"type": "string"},
        "last_name": {"type": "string"},
        "phone": {"type": "string"},
        "description": {"type": "string"},
        "email": {"type": "string", "format": "email", "maxLength": 254},
        "media_url": {"type": "string", "format": "uri", "maxLength": 500},
        **{name: {"type": "string", "maxLength": 200} for name in ("device_id", "account_id", "address_id")},
    },
    "additionalProperties": {"type": "string"},
}
ATTRIBUTE = re.compile(r"^attribute\[([a-z][a-z0-9_]{0,39})\]$")
# The contact's fields by the Open311 parameter they come from, to name the parameter at fault.
PARAMETERS = {
    "phone": "phone",
    "customer_name": "first_name",
    "address": "address_string",
    "latitude": "lat",
    "longitude": "long",
    "description": "description",
    "account_number": "attribute[account_number]",
}


def _refused(errors: list[tuple[str, str]]) -> RequestValidationError:
    return RequestValidationError(
        [{"loc": (name,), "msg": message, "type": "value_error"} for name, message in errors]
    )


def _coordinate(name: str, text: str | None, errors: list[tuple[str, str]]) -> float | None:
    if text is None:
        return None
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        errors.append((name, "not a number"))
        return None
    return value


def read_request(
    form: Iterable[tuple[str, str]], announced: WorkOrderFieldsInForceV1
) -> tuple[ServiceCode, WebContact]:
    """The service asked for and the contact; RequestValidationError naming each parameter at fault."""
    given: dict[str, str] = {}
    errors: list[tuple[str, str]] = []
    for name, value in form:
        if name in given:
            errors.append((name, "given twice"))
        elif name not in OWN | THE_APIS | OPTIONAL.keys() and not ATTRIBUTE.match(name):
            errors.append((name, "not an Open311 parameter of a request"))
        given[name] = value
    found = find(announced, given.get("service_code", ""))
    if found is None:
        errors.append(("service_code", "not one of this hotline's services (GET services)"))
        raise _refused(errors)
    service, rules = found
    attributes = {a.code: a for a in attributes_of(rules)}
    values = {ATTRIBUTE.match(n).group(1): v for n, v in given.items() if ATTRIBUTE.match(n)}  # type: ignore[union-attr]
    errors += [
        (f"attribute[{code}]", f"not an attribute of {service.code}")
        for code in values
        if code not in attributes
    ]
    errors += [
        (f"attribute[{code}]", f"{service.code} needs it")
        for code, attribute in attributes.items()
        if attribute.required and not values.get(code, "").strip()
    ]
    kept = _optional(given, errors)
    # A service whose rules name an email (or media_url) detail: the one value would replace the other.
    errors += [(name, f"given twice: also as attribute[{name}]") for name in kept if name in values]
    latitude, longitude = (_coordinate(n, given.get(n), errors) for n in ("lat", "long"))
    if "address" in rules.required and not given.get("address_string", "").strip():
        # Intake places the work order by its address: a point alone would leave it waiting for one.
        errors.append(("address_string", f"{service.code} needs the address, not only lat and long"))
    elif latitude is None and longitude is None and not given.get("address_string", "").strip():
        unread = " (this hotline cannot look up an address_id)" if given.get("address_id", "").strip() else ""
        errors.append(
            ("address_string", f"a request gives its place: lat and long, or address_string{unread}")
        )
    if "phone" not in given:
        errors.append(("phone", "required: the hotline calls the customer back"))
    if errors:
        raise _refused(errors)
    name = " ".join(given[n].strip() for n in ("first_name", "last_name") if given.get(n, "").strip())
    try:
        contact = WebContact(
            phone=given["phone"],
            customer_name=name or None,
            address=given.get("address_string") or None,
            account_number=values.pop("account_number", None),
            type=service.type,
            category=service.category,
            details={code: value for code, value in values.items() if code in attributes} | kept,
            description=given.get("description", ""),
            latitude=latitude,
            longitude=longitude,
        )
    except ValidationError as error:
        raise _refused([(_parameter(e["loc"]), e["msg"]) for e in error.errors()]) from error
    return service, contact


def _optional(given: dict[str, str], errors: list[tuple[str, str]]) -> dict[str, str]:
    """The optional parameters the contact keeps, each given one checked (OPTIONAL)."""
    kept: dict[str, str] = {}
    for name, parameter in OPTIONAL.items():
        value = given.get(name, "").strip()
        if not value:  # apps send the field empty when the customer left it so: not given
            continue
        if len(value) > parameter.longest:
            errors.append((name, f"at most {parameter.longest} characters"))
        elif any(unicodedata.category(c) == "Cc" for c in value):
            errors.append((name, "control characters are not allowed"))
        elif fault := parameter.fault(value):
            errors.append((name, fault))
        elif parameter.kept:
            kept[name] = value
    return kept


def _parameter(loc: tuple[int | str, ...]) -> str:
    if not loc:
        return "request"
    if loc[0] == "details" and len(loc) > 1:
        return str(loc[1]) if loc[1] in OPTIONAL else f"attribute[{loc[1]}]"
    return PARAMETERS.get(str(loc[0]), str(loc[0]))
