"""What the gateway takes from the bus: each work order's case file, for the API's readers and to check
whose a dispatch is when a department replies, and its own audit records, kept for the auditor."""

from collections.abc import Sequence
from dataclasses import replace

from contracts.envelope import Envelope
from contracts.events import (
    AuditRecordedV1,
    ClockReading,
    ContactLinkedV1,
    IncidentOpenedV1,
    IncidentUpdatedV1,
    NewFormEvent,
    RoutingTableInForceV1,
    StepEvent,
    WorkOrderAnsweredV1,
    WorkOrderCreatedV1,
    WorkOrderDispatchedV1,
    WorkOrderFieldsInForceV1,
    WorkOrderInfoRequestedV1,
    WorkOrderOwnerChangedV1,
    WorkOrderReclassifiedV1,
    WorkOrderRepliedV1,
)
from services.gateway.case_files import (
    CaseChanges,
    CaseFacts,
    CaseFiles,
    DispatchNote,
    IncidentNote,
    LinkNote,
    OwnerNote,
    Reclassification,
    ReclassNote,
    ReplyNote,
    StepNote,
)
from services.gateway.fields_copy import FieldsCopy, InMemoryFieldsCopy
from services.gateway.ports import AuditTrail
from services.gateway.routing_copy import InMemoryRoutingCopy, RoutingCopy

Opened = WorkOrderCreatedV1 | WorkOrderInfoRequestedV1 | WorkOrderAnsweredV1


def _facts(data: Opened | WorkOrderDispatchedV1 | NewFormEvent) -> CaseFacts:
    """The fields both events carry."""
    return CaseFacts(
        work_order_id=data.work_order_id,
        province=data.province,
        type=data.type,
        description=data.description,
        phone=data.customer.phone,
        customer_name=data.customer.name,
        home_region=data.customer.home_region,
        address=data.address,
        tier=data.customer.tier.value if data.customer.tier else None,
        priority=data.customer.priority,
    )


def _opened(data: Opened) -> CaseFacts:
    """With what only intake's events carry: the channel, the time, the seal, the account, the per-type
    fields, the owner and what is missing."""
    missing = data.missing if isinstance(data, WorkOrderInfoRequestedV1) else []
    return replace(
        _facts(data),
        account_number=data.account_number,
        channel=data.channel.value,
        created_at=data.created_at,
        anonymous=data.anonymous,
        sealed_reporter=data.sealed_reporter,
        area=data.area,
        category=data.category,
        details=dict(data.details),
        owner=data.owner,
        missing=tuple((m.name, m.reason) for m in missing),
        answer=data.answer if isinstance(data, WorkOrderAnsweredV1) else None,
        incident_id=data.incident_id if isinstance(data, WorkOrderCreatedV1) else None,
    )


def _reclassification(data: WorkOrderReclassifiedV1) -> Reclassification:
    return Reclassification(
        data.previous_type, data.previous_category, data.type, data.category, data.reason, data.by, data.at
    )


def _dispatched(data: WorkOrderDispatchedV1) -> tuple[CaseFacts, DispatchNote]:
    note = DispatchNote(
        data.dispatch_id, data.department, data.dispatched_at, data.reply_due_at, tuple(data.clocks) or None
    )
    return _facts(data), note


def _replied(data: WorkOrderRepliedV1) -> ReplyNote:
    return ReplyNote(
        data.dispatch_id,
        data.department,
        data.kind,
        data.message,
        data.replied_at,
        data.on_time,
        data.state,
        data.seq,
        _readings(data),
        data.escalated,
    )


def _step(data: StepEvent) -> StepNote:
    detail = getattr(data, "reason", None) or getattr(data, "message", None)
    _, kind, name, _ = data.ce_type.split(".")  # hotline.workorder.accepted.v1, hotline.deadline.alarm.v1
    return StepNote(
        data.step_id,
        data.seq,
        name if kind == "workorder" else f"{kind}_{name}",
        data.state,
        data.at,
        data.by,
        data.department,
        data.dispatch_id,
        str(detail) if detail is not None else None,
        getattr(data, "stage", None),
        _readings(data),
        data.escalated,
    )


def _readings(data: StepEvent | WorkOrderRepliedV1) -> tuple[ClockReading, ...] | None:
    """None from a producer before the clocks were told (its `escalated` is None too): not known."""
    return tuple(data.clocks) if data.escalated is not None else None


class GatewayHandlers:
    def __init__(
        self,
        audit: AuditTrail,
        cases: CaseFiles,
        routing: RoutingCopy | None = None,
        fields: FieldsCopy | None = None,
    ) -> None:
        self.audit = audit
        self.cases = cases
        self.routing = routing or InMemoryRoutingCopy()
        self.fields = fields or InMemoryFieldsCopy()

    async def fields_announced(self, envelopes: Sequence[Envelope]) -> None:
        """Intake's field rules, kept to describe each type to Open311 clients."""
        for envelope in envelopes:
            assert isinstance(envelope.data, WorkOrderFieldsInForceV1)
            await self.fields.keep(envelope.data)

    async def routing_announced(self, envelopes: Sequence[Envelope]) -> None:
        """The departments dispatch's routing table names, kept to check re-dispatches against."""
        for envelope in envelopes:
            assert isinstance(envelope.data, RoutingTableInForceV1)
            await self.routing.keep(envelope.data)

    async def work_orders_announced(self, envelopes: Sequence[Envelope]) -> None:
        """Work orders as intake announces them (complete, waiting for fields, answered, handed over,
        an incident's reporters, closed as a link) in the order announced: one handler for every type,
        so a batch of several keeps that order."""
        changes = CaseChanges()
        for envelope in envelopes:
            data = envelope.data
            if isinstance(data, WorkOrderOwnerChangedV1):
                changes.from_intake.append(OwnerNote(data.work_order_id, data.owner, data.needs_info))
                continue
            if isinstance(data, WorkOrderReclassifiedV1):
                changes.from_intake.append(ReclassNote(data.work_order_id, _reclassification(data)))
                continue
            if isinstance(data, ContactLinkedV1):
                if data.closes_work_order_id is not None:  # else the contact has no case file of its own
                    changes.from_intake.append(LinkNote(data.closes_work_order_id, data.work_order_id))
                continue
            if isinstance(data, IncidentOpenedV1 | IncidentUpdatedV1):
                changes.incidents.append(IncidentNote(data.work_order_id, data.incident_id, data.reporters))
                continue
            assert isinstance(data, Opened)
            changes.from_intake.append(_opened(data))
        await self.cases.record(changes)

    async def progress(self, envelopes: Sequence[Envelope]) -> None:
        """Dispatches (whose each is, for replies, too) and replies, into the case files."""
        changes = CaseChanges()
        for envelope in envelopes:
            data = envelope.data
            if isinstance(data, WorkOrderDispatchedV1):
                changes.dispatched.append(_dispatched(data))
            elif isinstance(data, StepEvent):
                if isinstance(data, NewFormEvent):  # a new form: whose it is now, for the department's steps
                    note = DispatchNote(data.dispatch_id, data.department, data.at, data.reply_due_at)
                    changes.dispatched.append((_facts(data), note))
                changes.steps.append((data.work_order_id, _step(data)))
            else:
                assert isinstance(data, WorkOrderRepliedV1)
                changes.replied.append((data.work_order_id, _replied(data)))
        await self.cases.record(changes)

    async def audits_recorded(self, envelopes: Sequence[Envelope]) -> None:
        entries = []
        for envelope in envelopes:
            assert isinstance(envelope.data, AuditRecordedV1)
            entries.append(envelope.data)
        await self.audit.record(entries)
