"""What agents do to a work order through the gateway, for intake (which owns it) to apply."""

from datetime import datetime
from typing import ClassVar

from pydantic import Field

from contracts.events.base import Event
from contracts.events.vocabulary import WorkOrderType

# How actions name the desk's queue, the owner of work orders no agent owns yet: no principal id has
# parentheses, so it is never an agent's.
DESK_QUEUE = "(desk)"


class WorkOrderInfoSuppliedV1(Event):
    """An agent supplied fields a work order in `needs_info` lacked; intake checks them again and opens
    it for dispatch once nothing is missing. Fields not given are left as they were."""

    ce_type: ClassVar[str] = "hotline.workorder.info.supplied.v1"

    action_id: str = Field(description="Gateway-assigned; stable for a retried post with the same key.")
    work_order_id: str
    province: str
    by: str = Field(description="The principal who supplied them (the owner, or a supervisor).")
    at: datetime
    category: str | None = None
    address: str | None = None
    account_number: str | None = None
    customer_name: str | None = None
    details: dict[str, str] = Field(default_factory=dict, description="Per-type fields by name.")

    def subject(self) -> str:
        return self.work_order_id


class WorkOrderHandoverRequestedV1(Event):
    """An agent (the owner, any agent for one the desk holds) or a supervisor hands a work order to
    another agent of the province; intake, which owns it, records the new owner."""

    ce_type: ClassVar[str] = "hotline.workorder.handover.requested.v1"
    minor_version: ClassVar[int] = 1

    action_id: str = Field(description="Gateway-assigned; stable for a retried post with the same key.")
    work_order_id: str
    province: str
    by: str = Field(description="The principal handing it over.")
    at: datetime
    to: str = Field(description="The agent who owns it from now on (a principal id).")
    reason: str
    expected_owner: str | None = Field(
        default=None,
        description="Whom the gateway saw owning it (1.1): an agent's id, or '(desk)' for the desk's "
        "queue; intake refuses the handover if someone else owns it by then (another handover came first). "
        "None: no expectation.",
    )

    def subject(self) -> str:
        return self.work_order_id


class WorkOrderReclassificationRequestedV1(Event):
    """An agent (the owner, any agent for one the desk holds) or a supervisor corrects a work order's
    type and category, with the reason; intake, which owns it, checks the fields the new type needs."""

    ce_type: ClassVar[str] = "hotline.workorder.reclassification.requested.v1"

    action_id: str = Field(description="Gateway-assigned; stable for a retried post with the same key.")
    work_order_id: str
    province: str
    by: str = Field(description="The principal reclassifying it.")
    at: datetime
    type: WorkOrderType
    category: str | None = Field(description="Within the new type; None: the type has none, or not yet.")
    reason: str
    seen_type: WorkOrderType = Field(
        description="The type the gateway saw: intake refuses the change if another came first."
    )
    seen_category: str | None = Field(description="Likewise, the category the gateway saw.")

    def subject(self) -> str:
        return self.work_order_id
