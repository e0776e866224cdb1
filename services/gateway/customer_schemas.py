"""What a billing or CRM system sends of a customer: one profile as JSON, or many as a CSV export."""

import re
from datetime import UTC, date, datetime, timedelta
from typing import Annotated

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    field_validator,
)

from contracts.events import CustomerKind
from services.gateway.schemas import PhoneNumber, Text, not_ahead
from services.gateway.service_passwords import DIGITS

ACCOUNT_NUMBER = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$"
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")
# Clocks of billing systems and of the gateway differ a little; a profile from further ahead is a mistake
# that would freeze the account (every real change after it would count as older).
CLOCK_SKEW = timedelta(minutes=5)


def _distinct(phones: list[str]) -> list[str]:
    return list(dict.fromkeys(phones))


def _iso_text(value: object) -> object:
    """Dates as ISO 8601 text only: digits alone (seconds since 1970? 20260101?) are a mistake."""
    if isinstance(value, date):
        return value
    if isinstance(value, str) and ISO_DATE.match(value.strip()):
        return value.strip()
    raise ValueError("expected a date as ISO 8601 text (2019-03-01, 2026-12-01T08:00:00+08:00)")


IsoDate = Annotated[date, BeforeValidator(_iso_text)]
IsoDateTime = Annotated[AwareDatetime, BeforeValidator(_iso_text)]


class CustomerProfileIn(BaseModel):
    """A customer's whole profile as billing holds it (a field left out is its default, not "unchanged",
    but for the service password, a credential rather than part of the profile, which stays as it is);
    of an account's profiles the newest `updated_at` wins."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    account_number: str = Field(pattern=ACCOUNT_NUMBER, examples=["4401000123"])
    name: Text | None = Field(default=None, max_length=100)
    phones: Annotated[list[PhoneNumber], AfterValidator(_distinct)] = Field(min_length=1, max_length=10)
    kind: CustomerKind = CustomerKind.RESIDENT
    address: Text | None = Field(default=None, max_length=300)
    monthly_spend: float = Field(
        strict=True, ge=0, le=10_000_000, description="Average monthly bill (ARPU), yuan."
    )
    customer_since: IsoDate
    credit_score: int = Field(strict=True, ge=0, le=1000)
    red_list: StrictBool = False
    blacklisted: StrictBool = False
    service_password: str | None = Field(
        default=None,
        pattern=DIGITS,
        repr=False,
        exclude=True,
        description="The account's service password (six digits), which a customer keys in on the phone "
        "to be told a work order's content. The gateway keeps only a keyed hash of it and sends it on to "
        "no service. Left out, the password on file stays as it is; null, the account has none.",
    )
    updated_at: IsoDateTime = Field(
        description="When billing last changed the profile, with its zone: it orders an account's "
        "profiles, and the same profile sent again (a retry) is the same change."
    )

    @field_validator("customer_since")
    @classmethod
    def _opened_already(cls, since: date) -> date:
        if since > datetime.now(UTC).date() + timedelta(days=1):
            raise ValueError("an account cannot open in the future")
        return since

    @field_validator("updated_at")
    @classmethod
    def _not_ahead(cls, moment: datetime) -> datetime:
        return not_ahead(moment, CLOCK_SKEW, "a profile from the future would hide every real change")


class RejectedRow(BaseModel):
    line: int = Field(description="The line the row starts on, the header being line 1.")
    account_number: str | None
    problems: list[str]


class ImportReport(BaseModel):
    import_id: str
    rows: int
    loaded: int
    rejected: list[RejectedRow] = Field(description="Every row not loaded, with what is wrong with it.")
