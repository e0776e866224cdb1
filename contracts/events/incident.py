"""Storms: fault reports of one area and category that form one incident, and contacts that open no work
order of their own because an open one already covers them."""

from datetime import datetime
from enum import StrEnum
from typing import ClassVar

from pydantic import Field

from contracts.events.base import Event
from contracts.events.vocabulary import Channel, WorkOrderType
from contracts.events.workorder import Area, Customer


class LinkReason(StrEnum):
    INCIDENT = "incident"  # a fault report of an area and category an incident is gathering
    REPEAT = "repeat"  # the same customer again about a work order of theirs still open


class _IncidentState(Event):
    incident_id: str
    work_order_id: str = Field(description="The incident's work order: dispatched once, for all reporters.")
    province: str
    area: Area
    category: str = Field(description="The fault category every report of the incident named.")
    reporters: int = Field(
        ge=1, description="Fault reports linked to the incident so far, its first included."
    )
    last_report_at: datetime
    gathering_until: datetime = Field(
        description="A report of the area and category before then joins the incident (a sliding window "
        "from its latest report); one after opens a new incident."
    )

    def subject(self) -> str:
        return self.work_order_id


class IncidentOpenedV1(_IncidentState):
    """The first fault report of an area and category for a while opened an incident: its work order (a
    WorkOrderCreated with the incident's id) is the one dispatched."""

    ce_type: ClassVar[str] = "hotline.incident.opened.v1"

    opened_at: datetime


class IncidentUpdatedV1(_IncidentState):
    """Another reporter joined the incident."""

    ce_type: ClassVar[str] = "hotline.incident.updated.v1"


class ContactLinkedV1(Event):
    """A contact linked to an open work order instead of opening one: notify tells the customer its number
    and its outcome; the link counts for the repeat-contact KPI."""

    ce_type: ClassVar[str] = "hotline.contact.linked.v1"
    minor_version: ClassVar[int] = 1

    contact_id: str
    work_order_id: str
    province: str
    reason: LinkReason
    incident_id: str | None = Field(default=None, description="Where the reason is an incident.")
    type: WorkOrderType
    category: str | None = None
    channel: Channel
    customer: Customer
    description: str = Field(description="What this customer said, kept with the link.")
    received_at: datetime = Field(description="When the gateway accepted the contact.")
    linked_at: datetime
    closes_work_order_id: str | None = Field(
        default=None,
        description="The contact's own work order, announced as waiting for fields and closed by this "
        "link once they were supplied (1.1); none for a contact linked as it arrived.",
    )

    def subject(self) -> str:
        return self.work_order_id
