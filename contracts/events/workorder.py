from datetime import datetime
from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field

from contracts.events.base import Event
from contracts.events.clock_readings import ClockReading
from contracts.events.vocabulary import (
    AreaKind,
    Channel,
    CustomerKind,
    CustomerTier,
    ReplyKind,
    WorkOrderType,
)
from contracts.lifecycle import State


class Customer(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    name: str | None = None
    phone: str = Field(
        description="E.164; for an anonymous report's reporter 'sealed' (SEALED_PHONE; since "
        "WorkOrderCreated 1.5, WorkOrderInfoRequested 1.1, WorkOrderAnswered 1.1, WorkOrderDispatched "
        "1.2, WorkOrderReplied 1.3 and ContactLinked 1.1): the number travels only sealed, and nobody "
        "calls or texts it."
    )
    home_region: str | None = Field(default=None, description="From the number, e.g. 'Guangzhou, Guangdong'.")
    home_province: str | None = Field(default=None, description="Province code of the number's home region.")
    # Since WorkOrderCreated 1.1, WorkOrderDispatched 1.1 and WorkOrderReplied 1.2: what the customer
    # directory knows of the customer; absent in older events (read them as a normal, unknown customer).
    tier: CustomerTier | None = Field(default=None, description="From the customer directory's tier rules.")
    red_list: bool = Field(default=False, description="A VIP, from the directory.")
    blacklisted: bool = Field(default=False, description="Blacklisted in the directory.")
    kind: CustomerKind | None = Field(
        default=None, description="Resident or business, if the directory knows."
    )
    priority: int | None = Field(
        default=None,
        ge=1,
        description="Where the customer's items go in every queue (dispatch, notifications, follow-ups): "
        "lower first; VIP and high tier lead, blacklisted customers come last.",
    )


class Area(BaseModel):
    """The supply or service area a work order's location or address lies in, from intake's area table."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    code: str
    name: str
    city: str
    district: str | None = None
    kind: AreaKind


class MissingField(BaseModel):
    """A field the work order's type requires that the contact did not give, or gave wrongly."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    name: str = Field(description="As intake's field rules name it: address, category, reported_party, ...")
    reason: str = Field(description="What is wrong, for the agent who asks the customer.")


class _OpenedWorkOrder(Event):
    """The fields of a work order as intake opened it, which every event announcing one carries."""

    work_order_id: str
    contact_id: str
    province: str
    type: WorkOrderType
    channel: Channel
    created_at: datetime
    customer: Customer
    address: str | None = None
    account_number: str | None = None
    description: str
    anonymous: bool = False
    sealed_reporter: str | None = Field(
        default=None,
        description="An anonymous reporter's number as the gateway sealed it (encrypted; customer.phone "
        "is then 'sealed'), kept for the gateway's audited unseal; since WorkOrderCreated 1.5, "
        "WorkOrderInfoRequested 1.1 and WorkOrderAnswered 1.1.",
    )
    area: Area | None = Field(
        default=None,
        description="Where it is (1.2): resolved from the contact's location, else its address; none if "
        "neither lies in a known area.",
    )
    category: str | None = Field(
        default=None, description="Within the type (1.3): fault category, business, application kind."
    )
    details: dict[str, str] = Field(
        default_factory=dict,
        description="The type's other fields by name, as intake's field rules name them (1.3).",
    )
    owner: str | None = Field(
        default=None,
        description="The first-contact agent, who owns it until it closes (1.3); none while no agent of "
        "the desk was on duty to take it (the desk's queue).",
    )

    def subject(self) -> str:
        return self.work_order_id


class WorkOrderCreatedV1(_OpenedWorkOrder):
    ce_type: ClassVar[str] = "hotline.workorder.created.v1"
    minor_version: ClassVar[int] = 5

    incident_id: str | None = Field(
        default=None,
        description="Set when the work order is an incident's (1.4): the fault reports of its area and "
        "category are linked to it (ContactLinked) and dispatched with it, once.",
    )


class WorkOrderInfoRequestedV1(_OpenedWorkOrder):
    """A work order its type's required fields are missing from: its owner asks the customer and supplies
    them (WorkOrderInfoSupplied); it is announced as created, for dispatch, once complete."""

    ce_type: ClassVar[str] = "hotline.workorder.info.requested.v1"
    minor_version: ClassVar[int] = 1

    missing: list[MissingField] = Field(min_length=1)


class WorkOrderOwnerChangedV1(Event):
    """A work order was handed over to another agent, who owns it from now on."""

    ce_type: ClassVar[str] = "hotline.workorder.owner.changed.v1"

    work_order_id: str
    province: str
    owner: str
    previous_owner: str | None = Field(description="None: the desk's queue held it.")
    by: str = Field(description="The principal who handed it over.")
    reason: str
    at: datetime
    needs_info: bool = Field(
        description="Whether it still waits for fields: on its new owner's list of those."
    )

    def subject(self) -> str:
        return self.work_order_id


class WorkOrderReclassifiedV1(Event):
    """An agent corrected a work order's type and category (WorkOrderReclassificationRequested), with the
    reason; in its history. One still waiting for fields is then announced again, as waiting or created."""

    ce_type: ClassVar[str] = "hotline.workorder.reclassified.v1"

    work_order_id: str
    province: str
    type: WorkOrderType
    category: str | None
    previous_type: WorkOrderType
    previous_category: str | None
    reason: str
    by: str = Field(description="The principal who reclassified it.")
    at: datetime
    action_id: str = Field(description="The gateway's action it took (a redelivery is known by it).")

    def subject(self) -> str:
        return self.work_order_id


class WorkOrderDispatchedV1(Event):
    """Sent to the department's topic, and to the progress topic for notify and qa."""

    ce_type: ClassVar[str] = "hotline.workorder.dispatched.v1"
    minor_version: ClassVar[int] = 3

    work_order_id: str
    dispatch_id: str
    province: str
    department: str
    type: WorkOrderType
    dispatched_at: datetime
    reply_due_at: datetime = Field(description="When the department's final reply is due.")
    customer: Customer
    address: str | None = None
    description: str
    clocks: list[ClockReading] = Field(
        default_factory=list, description="The SLA clocks the dispatch started (1.3)."
    )

    def subject(self) -> str:
        return self.work_order_id


class DepartmentRepliedV1(Event):
    """A department's interim or final reply to a dispatch, as posted through the gateway."""

    ce_type: ClassVar[str] = "hotline.department.replied.v1"

    reply_id: str
    work_order_id: str
    dispatch_id: str
    department: str
    kind: ReplyKind
    message: str
    responder: str | None = Field(default=None, description="Crew leader or handler, with phone if given.")
    replied_at: datetime

    def subject(self) -> str:
        return self.work_order_id


class WorkOrderRepliedV1(Event):
    """Dispatch has recorded a department's reply; a final reply closes the dispatch."""

    ce_type: ClassVar[str] = "hotline.workorder.replied.v1"
    minor_version: ClassVar[int] = 5

    work_order_id: str
    dispatch_id: str
    province: str
    department: str
    type: WorkOrderType
    kind: ReplyKind
    message: str
    replied_at: datetime
    on_time: bool = Field(description="Whether the reply came before the dispatch's due time.")
    customer: Customer
    reply_id: str | None = Field(
        default=None,
        description="The department reply's own id (1.1): the same reply retried keeps it, so readers "
        "drop the duplicate by it.",
    )

    state: State | None = Field(
        default=None, description="The work order's state after the reply (1.4; contracts/lifecycle.py)."
    )
    seq: int | None = Field(
        default=None, ge=1, description="The reply's number in the work order's history (1.4), as steps'."
    )
    clocks: list[ClockReading] = Field(
        default_factory=list, description="Every live SLA clock after the reply (1.5), as steps carry."
    )
    escalated: bool | None = Field(
        default=None, description="On the province supervisor's queue after the reply (1.5)."
    )

    def subject(self) -> str:
        return self.work_order_id
