"""The dispatch of one work order to a department, and the rules for the department's replies."""

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from contracts.events import (
    Customer,
    DepartmentRepliedV1,
    ReplyKind,
    WorkOrderCreatedV1,
    WorkOrderDispatchedV1,
    WorkOrderRepliedV1,
    WorkOrderType,
)
from contracts.ids import dispatch_id_for
from services.common.errors import DomainError
from services.dispatch.domain.routing import Route


class DispatchStatus(StrEnum):
    DISPATCHED = "dispatched"
    IN_PROGRESS = "in_progress"
    CLOSED = "closed"


class Action(StrEnum):
    DISPATCHED = "dispatched"
    INTERIM_REPLY = "interim_reply"
    FINAL_REPLY = "final_reply"


class UnknownDispatch(DomainError):
    pass


class WrongDepartment(DomainError):
    pass


class ReplyAfterFinal(DomainError):
    pass


@dataclass(frozen=True)
class HistoryEntry:
    """One step of the dispatch flow, kept for as long as the dispatch: who did what, when."""

    at: datetime
    action: Action
    department: str
    message: str | None = None
    responder: str | None = None
    reply_id: str | None = None


@dataclass
class Dispatch:
    work_order_id: str
    dispatch_id: str
    province: str
    type: WorkOrderType
    department: str
    customer: Customer
    address: str | None
    description: str
    dispatched_at: datetime
    reply_due_at: datetime
    status: DispatchStatus = DispatchStatus.DISPATCHED
    history: list[HistoryEntry] = field(default_factory=list)
    version: int = 0

    @property
    def id(self) -> str:
        # One document per work order: its dispatches, replies and returns stay together and findable.
        return self.work_order_id

    @classmethod
    def open(
        cls, order: WorkOrderCreatedV1, route: Route, now: datetime
    ) -> tuple["Dispatch", WorkOrderDispatchedV1]:
        dispatch = cls(
            work_order_id=order.work_order_id,
            dispatch_id=dispatch_id_for(order.work_order_id),
            province=order.province,
            type=order.type,
            department=route.department,
            customer=order.customer,
            address=order.address,
            description=order.description,
            dispatched_at=now,
            reply_due_at=route.reply_within.due(now),
            history=[HistoryEntry(at=now, action=Action.DISPATCHED, department=route.department)],
        )
        return dispatch, dispatch._dispatched()

    def record_reply(self, reply: DepartmentRepliedV1, now: datetime) -> WorkOrderRepliedV1 | None:
        """Record a department's reply; None if this very reply was recorded before (a retry)."""
        if reply.dispatch_id != self.dispatch_id:
            raise UnknownDispatch(f"no dispatch {reply.dispatch_id} for work order {self.work_order_id}")
        if any(entry.reply_id == reply.reply_id for entry in self.history):
            return None
        if reply.department != self.department:
            raise WrongDepartment(f"{reply.department} replied to a dispatch sent to {self.department}")
        if self.status is DispatchStatus.CLOSED:
            raise ReplyAfterFinal(f"dispatch {self.dispatch_id} is already closed")
        final = reply.kind is ReplyKind.FINAL
        self.status = DispatchStatus.CLOSED if final else DispatchStatus.IN_PROGRESS
        self.history.append(
            HistoryEntry(
                at=now,
                action=Action.FINAL_REPLY if final else Action.INTERIM_REPLY,
                department=reply.department,
                message=reply.message,
                responder=reply.responder,
                reply_id=reply.reply_id,
            )
        )
        return WorkOrderRepliedV1(
            work_order_id=self.work_order_id,
            dispatch_id=self.dispatch_id,
            province=self.province,
            department=self.department,
            type=self.type,
            kind=reply.kind,
            message=reply.message,
            replied_at=reply.replied_at,
            on_time=reply.replied_at <= self.reply_due_at,
            customer=self.customer,
            reply_id=reply.reply_id,
        )

    def overdue(self, now: datetime) -> bool:
        """Open past its reply deadline: the clock the deadline alarm and escalation will watch."""
        return self.status is not DispatchStatus.CLOSED and now > self.reply_due_at

    def _dispatched(self) -> WorkOrderDispatchedV1:
        return WorkOrderDispatchedV1(
            work_order_id=self.work_order_id,
            dispatch_id=self.dispatch_id,
            province=self.province,
            department=self.department,
            type=self.type,
            dispatched_at=self.dispatched_at,
            reply_due_at=self.reply_due_at,
            customer=self.customer,
            address=self.address,
            description=self.description,
        )
