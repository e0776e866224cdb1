"""Open311's services and service definitions, made from intake's field rules as last announced
(services/gateway/fields_copy.py): the gateway describes what intake will ask for, never its own guess.

A service is a work-order type with one of its categories (`fault_repair.no_power`), or the type alone
where its rules list no categories or leave the category optional (`report`, `query`). A definition's
attributes are the type's fields that Open311 has no parameter of its own for: the account number and
the type's details (`reported_party`, `appointment_time`, ...). The address is Open311's address_string,
the location its lat and long, the category the service itself, the customer's name its first_name and
last_name.
"""

from dataclasses import dataclass
from typing import Any

from contracts.events import TypeFieldsAnnounced, WorkOrderFieldsInForceV1, WorkOrderType

# The fields Open311 posts as its own parameters, not as attributes.
CARRIED_BY_OPEN311 = {"address", "location", "category", "customer_name"}
TYPE_NAMES = {
    WorkOrderType.FAULT_REPAIR: "Fault repair",
    WorkOrderType.COMPLAINT: "Complaint",
    WorkOrderType.REPORT: "Report of misconduct",
    WorkOrderType.QUERY: "Query",
    WorkOrderType.CONSULTATION: "Consultation",
    WorkOrderType.SERVICE_APPLICATION: "Service application",
    WorkOrderType.SUGGESTION: "Suggestion",
    WorkOrderType.PRAISE: "Praise",
    WorkOrderType.VALUE_ADDED_SERVICE: "Value-added service",
    WorkOrderType.APPOINTMENT: "Appointment",
}


@dataclass(frozen=True)
class ServiceCode:
    type: WorkOrderType
    category: str | None

    @property
    def code(self) -> str:
        return self.type.value + (f".{self.category}" if self.category else "")

    @property
    def name(self) -> str:
        kind = TYPE_NAMES.get(self.type, _words(self.type.value))
        return f"{kind}: {_words(self.category)}" if self.category else kind


def _words(name: str) -> str:
    return name.replace("_", " ")


def codes_of(rules: TypeFieldsAnnounced) -> list[ServiceCode]:
    """The services one type is offered as."""
    bare = not rules.categories or "category" not in rules.required
    found = [ServiceCode(rules.type, None)] if bare else []
    return found + [ServiceCode(rules.type, category) for category in rules.categories]


def find(announced: WorkOrderFieldsInForceV1, code: str) -> tuple[ServiceCode, TypeFieldsAnnounced] | None:
    """The service of a code, with its type's rules; None for a code not offered."""
    for rules in announced.types:
        for service in codes_of(rules):
            if service.code == code:
                return service, rules
    return None


@dataclass(frozen=True)
class Attribute:
    code: str
    required: bool
    datatype: str


def attributes_of(rules: TypeFieldsAnnounced) -> list[Attribute]:
    named = [(name, True) for name in rules.required] + [(name, False) for name in rules.optional]
    return [
        # A moment by its name (appointment_time, happened_at): intake keeps it as the text given.
        Attribute(name, required, "datetime" if name.endswith(("_time", "_at")) else "string")
        for name, required in named
        if name not in CARRIED_BY_OPEN311
    ]


def service_of(service: ServiceCode, rules: TypeFieldsAnnounced) -> dict[str, Any]:
    needs = [name for name in rules.required if name in ("address", "location")]
    description = f"{service.name}."
    if needs:
        description += " Give an address_string (or lat and long): the crew needs to find the place."
    return {
        "service_code": service.code,
        "service_name": service.name,
        "description": description,
        "metadata": bool(attributes_of(rules)),
        "type": "realtime",  # the service_request_id is answered at once (the work order follows)
        "keywords": ", ".join([rules.type.value, *([service.category] if service.category else [])]),
        "group": rules.type.value,
    }


def definition_of(service: ServiceCode, rules: TypeFieldsAnnounced) -> dict[str, Any]:
    attributes = [
        {
            "variable": True,
            "code": attribute.code,
            "datatype": attribute.datatype,
            "required": attribute.required,
            "datatype_description": "ISO 8601, e.g. 2026-12-08T09:00:00+08:00"
            if attribute.datatype == "datetime"
            else None,
            "order": order,
            "description": _words(attribute.code),
        }
        for order, attribute in enumerate(attributes_of(rules), start=1)
    ]
    return {"service_code": service.code, "attributes": attributes}
