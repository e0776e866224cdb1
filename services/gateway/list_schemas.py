"""What the lists answer: a page of work orders with where each stands, and the shift-handover view."""

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from contracts.events import WorkOrderType
from services.gateway.clock_schemas import ClockShown
from services.gateway.outage_api import OutageShown
from services.gateway.schemas import CustomerShown

ListedStatus = Literal[
    "needs_info", "open", "dispatched", "accepted", "in_progress", "returned", "waiting_customer", "resolved"
]


class WorkOrderListed(BaseModel):
    """One work order on a list: enough to act on it; its history is read by its id."""

    work_order_id: str
    province: str
    type: WorkOrderType
    category: str | None
    status: ListedStatus = Field(
        description="Intake's before dispatch, then dispatch's (the README's lifecycle)."
    )
    department: str | None = Field(description="The department its current dispatch form is with.")
    owner: str = Field(description="The agent who owns it, or `(desk)` for the desk's queue.")
    created_at: datetime | None
    next_due_at: datetime | None = Field(description="The earliest deadline of its running clocks.")
    overdue: bool = Field(description="A running clock has raised its alarm.")
    escalated: bool = Field(description="On the province supervisor's queue.")
    incident_id: str | None
    description: str
    customer: CustomerShown
    address: str | None
    sealed: bool
    clocks: list[ClockShown] | None = Field(description="Its live SLA clocks; none: not told yet.")


class WorkOrderPage(BaseModel):
    work_orders: list[WorkOrderListed] = Field(
        description="Queue lists: the longest on the list first. Due lists: the soonest due first."
    )
    next_cursor: str | None = Field(
        description="Pass it as `cursor`, with the same filters, for the next page; none: this was the last."
    )


class HandoverSection(BaseModel):
    filters: dict[str, str] = Field(
        description="GET /v1/work-orders's query for this list: with `cursor=<next_cursor>`, its next page."
    )
    work_orders: list[WorkOrderListed]
    next_cursor: str | None


class HandoverView(BaseModel):
    """Everything still open for one team (a department, an agent, or the whole province) at a shift's
    end, by what the next shift does with it."""

    team: str
    at: datetime
    sections: dict[str, HandoverSection] = Field(
        description="One per work-order type (fault_repair, complaint, report, query, ...), then "
        "returned (to send on), overdue (to urge), due_soon (to urge before they are late), escalated "
        "and incidents: each its list's first page."
    )
    outages: list[OutageShown] = Field(
        description="The province's outages not ended yet (for agents and supervisors, as GET /v1/outages)."
    )
