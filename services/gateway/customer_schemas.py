"""What a billing or CRM system sends of a customer: one profile as JSON, or many as a CSV export."""

from datetime import date
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field, StrictBool

from contracts.events import CustomerKind
from services.gateway.schemas import PhoneNumber

ACCOUNT_NUMBER = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$"
AccountNumber = Annotated[str, Field(pattern=ACCOUNT_NUMBER, examples=["4401000123"])]


def _distinct(phones: list[str]) -> list[str]:
    return list(dict.fromkeys(phones))


def _iso_text(value: object) -> object:
    """Dates as ISO 8601 text only: a bare number (seconds since 1970?) is a mistake, not a date."""
    if isinstance(value, str | date):
        return value
    raise ValueError("expected a date as ISO 8601 text")


IsoDate = Annotated[date, BeforeValidator(_iso_text)]
IsoDateTime = Annotated[AwareDatetime, BeforeValidator(_iso_text)]


class CustomerProfileIn(BaseModel):
    """A customer's profile as billing holds it; the newest `updated_at` of an account wins."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str | None = Field(default=None, max_length=100)
    phones: Annotated[list[PhoneNumber], AfterValidator(_distinct)] = Field(min_length=1, max_length=10)
    kind: CustomerKind = CustomerKind.RESIDENT
    address: str | None = Field(default=None, max_length=300)
    monthly_spend: float = Field(
        strict=True, ge=0, le=10_000_000, description="Average monthly bill (ARPU), yuan."
    )
    customer_since: IsoDate
    credit_score: int = Field(strict=True, ge=0, le=1000)
    red_list: StrictBool = False
    blacklisted: StrictBool = False
    updated_at: IsoDateTime | None = Field(
        default=None, description="When billing last changed it (with a zone); default: when received."
    )


class CustomerRow(CustomerProfileIn):
    """One line of a CSV export: the account number is a column; phones are separated by ';'."""

    account_number: AccountNumber


class RejectedRow(BaseModel):
    line: int = Field(description="The line of the file, the header being line 1.")
    account_number: str | None
    problems: list[str]


class ImportReport(BaseModel):
    import_id: str
    rows: int
    loaded: int
    rejected: list[RejectedRow] = Field(description="Every row not loaded, with what is wrong with it.")
