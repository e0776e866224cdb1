"""The gateway's HTTP schemas: what channel adapters and departments post."""

from typing import Annotated

import phonenumbers
from fastapi.responses import JSONResponse
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictBool

from contracts.events import ReplyKind, WorkOrderType

PROBLEM_JSON = "application/problem+json"
# Numbers without a country code are taken as mainland China numbers.
DEFAULT_REGION = "CN"


def _e164(raw: str) -> str:
    try:
        number = phonenumbers.parse(raw, DEFAULT_REGION)
    except phonenumbers.NumberParseException as error:
        raise ValueError(f"not a phone number: {error}") from error
    if not phonenumbers.is_valid_number(number):
        raise ValueError("not a valid phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


PhoneNumber = Annotated[
    str, Field(min_length=3, max_length=32, examples=["13926012345"]), AfterValidator(_e164)
]


class WebContact(BaseModel):
    """A contact from the web portal or app."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    phone: PhoneNumber
    customer_name: str | None = Field(default=None, max_length=100)
    address: str | None = Field(default=None, max_length=300)
    account_number: str | None = Field(default=None, max_length=64)
    type: WorkOrderType | None = Field(default=None, description="The category the customer picked.")
    description: str = Field(min_length=1, max_length=4000)
    anonymous: StrictBool = False  # 0 or "yes" is a mistake to report, not a guess to make
    external_ref: str | None = Field(default=None, max_length=128)


class Accepted(BaseModel):
    id: str
    status: str = "accepted"


class DepartmentReply(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    work_order_id: str = Field(min_length=1, max_length=64)
    dispatch_id: str = Field(min_length=1, max_length=80)
    kind: ReplyKind
    message: str = Field(min_length=1, max_length=2000)
    responder: str | None = Field(default=None, max_length=200)


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
