from datetime import date, datetime
from typing import ClassVar

from pydantic import Field

from contracts.events.base import Event
from contracts.events.vocabulary import CustomerKind


class CustomerProfileUpdatedV1(Event):
    """A customer's profile as the billing or CRM system holds it (through the gateway's API or its CSV
    import): intake's customer directory keeps the newest one of each account."""

    ce_type: ClassVar[str] = "hotline.customer.profile.updated.v1"

    account_number: str
    province: str = Field(description="Province code of the subsystem that serves the account.")
    name: str | None = Field(default=None, description="The customer's or organisation's name.")
    phones: list[str] = Field(min_length=1, description="Every number registered to the account, E.164.")
    kind: CustomerKind = CustomerKind.RESIDENT
    address: str | None = None
    monthly_spend: float = Field(ge=0, description="Average monthly bill (ARPU) in yuan.")
    customer_since: date = Field(description="When the account was opened: the tenure counts from it.")
    credit_score: int = Field(ge=0, le=1000, description="The billing system's credit score, 0 to 1000.")
    red_list: bool = Field(default=False, description="A VIP: the green channel, whatever the tier.")
    blacklisted: bool = Field(default=False, description="A blacklisted customer sorts last.")
    updated_at: datetime = Field(
        description="When the source system last changed the profile: an older update never replaces a "
        "newer one."
    )

    def subject(self) -> str:
        return self.account_number
