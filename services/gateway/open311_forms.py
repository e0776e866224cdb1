"""An Open311 POST requests form, read into the contact every channel posts (schemas.WebContact), strictly:
a parameter this hotline does not take is refused, not dropped, so the client knows it was not kept.

Taken: service_code, lat and long, address_string, first_name and last_name (the customer's name),
phone, description, and attribute[<code>] for the service definition's attributes; api_key and
jurisdiction_id are the API's. Refused: email, device_id, account_id, media_url and address_id (the
contact has no place for them). The phone is required: the hotline calls the customer back, and a
contact is one customer's. Open311 wants a location: lat and long, or address_string.
"""

import math
import re
from collections.abc import Iterable

from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError

from contracts.events import WorkOrderFieldsInForceV1
from services.gateway.open311_services import ServiceCode, attributes_of, find
from services.gateway.schemas import WebContact

OWN = {"service_code", "lat", "long", "address_string", "first_name", "last_name", "phone", "description"}
THE_APIS = {"api_key", "jurisdiction_id"}
NOT_TAKEN = {"email", "device_id", "account_id", "media_url", "address_id"}
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
        elif name in NOT_TAKEN:
            errors.append((name, "not taken by this hotline: leave it out"))
        elif name not in OWN | THE_APIS and not ATTRIBUTE.match(name):
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
    latitude, longitude = (_coordinate(n, given.get(n), errors) for n in ("lat", "long"))
    if "address" in rules.required and not given.get("address_string", "").strip():
        # Intake places the work order by its address: a point alone would leave it waiting for one.
        errors.append(("address_string", f"{service.code} needs the address, not only lat and long"))
    elif latitude is None and longitude is None and not given.get("address_string", "").strip():
        errors.append(("address_string", "a request gives its place: lat and long, or address_string"))
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
            details={code: value for code, value in values.items() if code in attributes},
            description=given.get("description", ""),
            latitude=latitude,
            longitude=longitude,
        )
    except ValidationError as error:
        raise _refused([(_parameter(e["loc"]), e["msg"]) for e in error.errors()]) from error
    return service, contact


def _parameter(loc: tuple[int | str, ...]) -> str:
    if not loc:
        return "request"
    if loc[0] == "details" and len(loc) > 1:
        return f"attribute[{loc[1]}]"
    return PARAMETERS.get(str(loc[0]), str(loc[0]))
