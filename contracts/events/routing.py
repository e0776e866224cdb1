"""The departments a province's routing table sends work orders to, as dispatch holds it: announced when
dispatch starts, whenever the table is edited, and again every hour, so the gateway can refuse at once
a re-dispatch to a department the table does not know (instead of accepting it for dispatch to refuse)."""

from datetime import datetime
from typing import ClassVar

from pydantic import Field

from contracts.events.base import Event


class RoutingTableInForceV1(Event):
    ce_type: ClassVar[str] = "hotline.routing.in_force.v1"

    province: str
    departments: list[str] = Field(
        min_length=1, description="Every department a rule or the catch-all names, sorted."
    )
    default_department: str = Field(description="Where the catch-all sends a work order no rule places.")
    digest: str = Field(description="SHA-256 of the table as read, to tell one version from another.")
    loaded_at: datetime = Field(description="When the announcing replica read this table.")

    def subject(self) -> str:
        return self.province
