"""Every event Hotline's services exchange, one versioned pydantic model per CloudEvents type."""

from contracts.events.answers import AnswerReason, WorkOrderAnsweredV1
from contracts.events.audit import AuditRecordedV1
from contracts.events.base import Event
from contracts.events.contact import SEALED_PHONE, ContactReceivedV1
from contracts.events.customer import CustomerProfileUpdatedV1
from contracts.events.followup import FollowUpScheduledV1
from contracts.events.incident import ContactLinkedV1, IncidentOpenedV1, IncidentUpdatedV1, LinkReason
from contracts.events.notification import NotificationFailedV1, NotificationSentV1
from contracts.events.outage import OutageEndedV1, OutageKind, OutageRegisteredV1, OutageUpdatedV1
from contracts.events.vocabulary import (
    AreaKind,
    Channel,
    CustomerKind,
    CustomerTier,
    ReplyKind,
    WorkOrderType,
)
from contracts.events.workorder import (
    Area,
    Customer,
    DepartmentRepliedV1,
    MissingField,
    WorkOrderCreatedV1,
    WorkOrderDispatchedV1,
    WorkOrderInfoRequestedV1,
    WorkOrderOwnerChangedV1,
    WorkOrderReclassifiedV1,
    WorkOrderRepliedV1,
)
from contracts.events.workorder_actions import (
    WorkOrderHandoverRequestedV1,
    WorkOrderInfoSuppliedV1,
    WorkOrderReclassificationRequestedV1,
)

ALL_EVENTS: tuple[type[Event], ...] = (
    ContactReceivedV1,
    CustomerProfileUpdatedV1,
    WorkOrderCreatedV1,
    WorkOrderInfoRequestedV1,
    WorkOrderInfoSuppliedV1,
    WorkOrderHandoverRequestedV1,
    WorkOrderOwnerChangedV1,
    WorkOrderReclassificationRequestedV1,
    WorkOrderReclassifiedV1,
    WorkOrderAnsweredV1,
    IncidentOpenedV1,
    IncidentUpdatedV1,
    ContactLinkedV1,
    OutageRegisteredV1,
    OutageUpdatedV1,
    OutageEndedV1,
    WorkOrderDispatchedV1,
    DepartmentRepliedV1,
    WorkOrderRepliedV1,
    NotificationSentV1,
    NotificationFailedV1,
    FollowUpScheduledV1,
    AuditRecordedV1,
)

EVENTS_BY_TYPE: dict[str, type[Event]] = {event.ce_type: event for event in ALL_EVENTS}

__all__ = [
    "ALL_EVENTS",
    "EVENTS_BY_TYPE",
    "SEALED_PHONE",
    "AnswerReason",
    "Area",
    "AreaKind",
    "AuditRecordedV1",
    "Channel",
    "ContactLinkedV1",
    "ContactReceivedV1",
    "Customer",
    "CustomerKind",
    "CustomerProfileUpdatedV1",
    "CustomerTier",
    "DepartmentRepliedV1",
    "Event",
    "FollowUpScheduledV1",
    "IncidentOpenedV1",
    "IncidentUpdatedV1",
    "LinkReason",
    "MissingField",
    "NotificationFailedV1",
    "NotificationSentV1",
    "OutageEndedV1",
    "OutageKind",
    "OutageRegisteredV1",
    "OutageUpdatedV1",
    "ReplyKind",
    "WorkOrderAnsweredV1",
    "WorkOrderCreatedV1",
    "WorkOrderDispatchedV1",
    "WorkOrderHandoverRequestedV1",
    "WorkOrderInfoRequestedV1",
    "WorkOrderInfoSuppliedV1",
    "WorkOrderOwnerChangedV1",
    "WorkOrderReclassificationRequestedV1",
    "WorkOrderReclassifiedV1",
    "WorkOrderRepliedV1",
    "WorkOrderType",
]
