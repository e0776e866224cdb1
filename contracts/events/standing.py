"""Where a caller stands in the queue, as intake's customer directory and tier rules make it: announced
for each number whenever billing's profile of an account holding it is taken, on a compacted topic keyed
by the number, so that whoever routes calls keeps the latest standing of every number in memory and
reads them all again from the topic when it starts."""

from datetime import datetime
from typing import ClassVar

from pydantic import Field

from contracts.events.base import Event
from contracts.events.vocabulary import CustomerTier

ANY_OTHER_NUMBER = "*"


class CustomerStandingV1(Event):
    ce_type: ClassVar[str] = "hotline.customer.standing.v1"

    phone: str = Field(
        description="The number in E.164; '*' for every number the directory does not know (announced "
        "when intake starts)."
    )
    province: str
    tier: CustomerTier
    red_list: bool = Field(description="VIP: the green channel, at the head of every queue.")
    blacklisted: bool = Field(description="Always at the end of every queue.")
    priority: int = Field(ge=0, description="Queue position from intake's tier rules: lower is served first.")
    as_of: datetime = Field(description="When intake worked it out (a tier moves with tenure, too).")

    def subject(self) -> str:
        return self.phone
