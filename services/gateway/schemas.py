"""The gateway's HTTP schemas: what channel adapters and departments post, and what readers get."""

import unicodedata
from datetime import UTC, datetime, timedelta
from typing import Annotated, Self

import phonenumbers
from fastapi.responses import JSONResponse
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictBool, model_validator

from contracts.events import ReplyKind, WorkOrderType
from contracts.events.contact import OWN_FIELDS
from contracts.lifecycle import State
from services.gateway.case_files import Status
from services.gateway.clock_schemas import ClockShown
from services.gateway.service_passwords import DIGITS

PROBLEM_JSON = "application/problem+json"
# Numbers without a country code are taken as mainland China numbers.
DEFAULT_REGION = "CN"


def as_e164(raw: str) -> str:
    try:
        number = phonenumbers.parse(raw, DEFAULT_REGION)
    except phonenumbers.NumberParseException as error:
        raise ValueError(f"not a phone number: {error}") from error
    if not phonenumbers.is_valid_number(number):
        raise ValueError("not a valid phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def not_ahead(moment: datetime, skew: timedelta, why: str) -> datetime:
    """`moment`, unless it is later than now by more than the clocks of two systems differ."""
    if moment > datetime.now(UTC) + skew:
        raise ValueError(f"later than now: {why}")
    return moment


def _printable(text: str) -> str:
    """Control characters (NUL among them) are never part of what people write, and the store cannot
    keep a NUL: a text with one would be accepted here and fail at intake. Line breaks and tabs may be."""
    if any(unicodedata.category(c) == "Cc" and c not in "\t\n\r" for c in text):
        raise ValueError("control characters are not allowed")
    return text


# Free text from callers: names, addresses, descriptions, replies.
Text = Annotated[str, AfterValidator(_printable)]


def _not_own_fields(details: dict[str, str]) -> dict[str, str]:
    # As details, they would slip past the readers' field rules (a sealed reporter's address, ...).
    own = sorted(OWN_FIELDS & set(details))
    if own:
        raise ValueError(f"{', '.join(own)}: the contact's own fields, not details")
    return details


# A work-order type's own fields by name, as intake's field rules name them (reported_party, ...).
Details = Annotated[
    dict[
        Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,39}$")],
        Annotated[Text, Field(min_length=1, max_length=500)],
    ],
    Field(max_length=20, description="The type's own fields by name, e.g. a report's reported_party."),
    AfterValidator(_not_own_fields),
]
Category = Annotated[
    Text, Field(min_length=1, max_length=64, description="Within the type: fault category, business, ...")
]

PhoneNumber = Annotated[
    str, Field(min_length=3, max_length=32, examples=["13926012345"]), AfterValidator(as_e164)
]


class WebContact(BaseModel):
    """A contact from the web portal or app."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    phone: PhoneNumber
    customer_name: Text | None = Field(default=None, max_length=100)
    address: Text | None = Field(default=None, max_length=300)
    account_number: Text | None = Field(default=None, max_length=64)
    type: WorkOrderType | None = Field(default=None, description="The category the customer picked.")
    category: Category | None = None
    details: Details = {}
    description: Text = Field(min_length=1, max_length=4000)
    anonymous: StrictBool = False  # 0 or "yes" is a mistake to report, not a guess to make
    external_ref: Text | None = Field(default=None, max_length=128)
    latitude: float | None = Field(
        default=None, strict=True, ge=-90, le=90, description="WGS 84, with longitude."
    )
    longitude: float | None = Field(
        default=None, strict=True, ge=-180, le=180, description="WGS 84, with latitude."
    )

    @model_validator(mode="after")
    def _a_whole_location(self) -> "WebContact":
        if (self.latitude is None) != (self.longitude is None):
            raise ValueError("a location is a latitude and a longitude, both or neither")
        if self.anonymous and (self.customer_name or self.account_number):
            # Refused, not dropped: the reporter should know it was not kept, and it never reaches the bus.
            raise ValueError("an anonymous report carries no customer_name or account_number")
        return self


class Accepted(BaseModel):
    id: str
    status: str = "accepted"


class DepartmentReply(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    work_order_id: str = Field(min_length=1, max_length=64)
    dispatch_id: str = Field(min_length=1, max_length=80)
    kind: ReplyKind
    message: Text = Field(min_length=1, max_length=2000)
    responder: Text | None = Field(default=None, max_length=200)


class FieldError(BaseModel):
    field: str
    message: str
    type: str


class Problem(BaseModel):
    """RFC 9457 problem details."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str | None = None
    errors: list[FieldError] = []
    # RFC 6749 5.2's code (invalid_client, ...), so OAuth2 clients read the token endpoint's refusals.
    error: str | None = None

    def response(self, headers: dict[str, str] | None = None) -> JSONResponse:
        return JSONResponse(
            self.model_dump(exclude_none=True),
            status_code=self.status,
            media_type=PROBLEM_JSON,
            headers=headers,
        )


class CustomerShown(BaseModel):
    name: str | None = Field(description="Masked (张**) or null where the reader's role has no need.")
    phone: str | None = Field(description="E.164, masked (139****2345) or null likewise.")
    home_region: str | None
    tier: str | None = Field(default=None, description="high, mid or normal, by the directory's rules.")
    priority: int | None = Field(default=None, description="Queue priority: lower goes first.")


class AreaShown(BaseModel):
    code: str
    name: str
    city: str
    district: str | None
    kind: str = Field(description="urban, suburban or remote.")


class DispatchShown(BaseModel):
    dispatch_id: str
    department: str
    dispatched_at: datetime
    reply_due_at: datetime


class ReplyShown(BaseModel):
    dispatch_id: str
    department: str
    kind: ReplyKind
    message: str
    replied_at: datetime
    on_time: bool


class StepShown(BaseModel):
    """One step of the work order's dispatch lifecycle: who took it, when, why, and where it left it."""

    seq: int
    step: str = Field(description="accepted, arrived, returned, redispatched, urged, deadline_warning, ...")
    state: State
    at: datetime
    by: str
    department: str
    dispatch_id: str
    detail: str | None = Field(description="Its reason or message.")
    stage: str | None = Field(description="The SLA stage of a clock's warning, alarm, urge or escalation.")


class MissingShown(BaseModel):
    name: str = Field(description="As intake's field rules name it.")
    reason: str


class IncidentShown(BaseModel):
    incident_id: str
    reporters: int | None = Field(description="Fault reports linked to it so far, its own included.")


class ReclassificationShown(BaseModel):
    type_from: WorkOrderType
    category_from: str | None
    type_to: WorkOrderType
    category_to: str | None
    reason: str
    by: str
    at: datetime


class WorkOrderShown(BaseModel):
    """A work order as its reader may see it: personal fields by the reader's role."""

    work_order_id: str
    province: str
    type: WorkOrderType
    category: str | None = None
    channel: str | None
    created_at: datetime | None
    status: Status
    owner: str | None = Field(default=None, description="The first-contact agent; none: the desk's queue.")
    missing: list[MissingShown] = Field(default=[], description="What its owner is to supply.")
    details: dict[str, str] = Field(default={}, description="The type's own fields by name.")
    customer: CustomerShown
    address: str | None
    account_number: str | None
    description: str
    sealed: bool = Field(description="An anonymous reporter: their identity is shown only to who may unseal.")
    area: AreaShown | None = Field(
        description="The supply area; none if unknown, or if it would narrow a sealed reporter down."
    )
    dispatches: list[DispatchShown] = Field(description="Every dispatch form, the first first.")
    replies: list[ReplyShown]
    dispatch_state: State | None = Field(
        default=None, description="Where it stands at dispatch (the README's lifecycle); none before."
    )
    steps: list[StepShown] = Field(default=[], description="The lifecycle's steps past the first dispatch.")
    clocks: list[ClockShown] | None = Field(
        default=None, description="Its live SLA clocks, the next due first; none: not told by dispatch yet."
    )
    escalated: bool | None = Field(default=None, description="On the province supervisor's queue.")
    answer: str | None = Field(default=None, description="What intake answered, closing it without dispatch.")
    incident: IncidentShown | None = Field(default=None, description="Set on a storm's incident work order.")
    reclassifications: list[ReclassificationShown] = Field(
        default=[], description="Its type and category as agents corrected them, oldest first."
    )
    linked_to: str | None = Field(
        default=None,
        description="Status linked: complete only once its fields were supplied, it was then a repeat or "
        "an incident's report, so its contact is linked to this work order instead.",
    )


class StatusLookup(BaseModel):
    """A customer asking after their work order: its number and the phone it was filed with."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    work_order_id: str = Field(min_length=1, max_length=64)
    phone: PhoneNumber


class StatusShown(BaseModel):
    work_order_id: str
    type: WorkOrderType
    status: Status
    created_at: datetime | None
    updated_at: datetime | None


class CallerLookup(BaseModel):
    """A voice or SMS adapter asking for the customer on the line, verified one of two ways: the number
    the network gave it (caller ID) is the one the work order was filed with, or the customer keyed in the
    service password of the account that number belongs to."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    work_order_id: str = Field(min_length=1, max_length=64)
    caller_number: PhoneNumber | None = None
    service_password: str | None = Field(default=None, pattern=DIGITS, repr=False)

    @model_validator(mode="after")
    def _one_way(self) -> Self:
        if (self.caller_number is None) == (self.service_password is None):
            raise ValueError("give one of caller_number (the network's caller ID) and service_password")
        return self


class CaseForCustomer(StatusShown):
    """What a verified customer may hear of their own work order."""

    description: str
    replies: list[str] = Field(description="The departments' final replies, oldest first.")
