"""The dispatch lifecycle past the first dispatch: what departments and supervisors ask of a work order
(DepartmentActed, DispatchActionRequested) and each step dispatch records, one event type per step, in the
work order's history and on its topics. Clocks' warnings and alarms are steps too."""

from datetime import datetime
from enum import StrEnum
from typing import ClassVar

from pydantic import Field

from contracts.events.base import Event
from contracts.events.clock_readings import ClockReading
from contracts.events.vocabulary import WorkOrderType
from contracts.events.workorder import Customer
from contracts.lifecycle import State


class DepartmentAction(StrEnum):
    ACCEPT = "accept"
    ARRIVE = "arrive"
    RETURN = "return"


class ReturnReason(StrEnum):
    WRONG_DEPARTMENT = "wrong_department"
    MISSING_INFORMATION = "missing_information"


class SupervisionAction(StrEnum):
    CHASE = "chase"
    URGE = "urge"
    REDISPATCH = "redispatch"
    RESUME = "resume"
    ESCALATE = "escalate"
    CLOSE = "close"
    REOPEN = "reopen"


class DepartmentActedV1(Event):
    """A department accepts a dispatch, reports its crew on site, or returns it with a reason; as posted
    through the gateway, or produced by the department's own system."""

    ce_type: ClassVar[str] = "hotline.department.acted.v1"

    action_id: str = Field(description="The department's own id for the action: a retry keeps it.")
    work_order_id: str
    dispatch_id: str
    department: str
    action: DepartmentAction
    reason: ReturnReason | None = Field(default=None, description="Why it is returned (return only).")
    message: str | None = None
    by: str | None = Field(default=None, description="The handler or crew leader.")
    at: datetime

    def subject(self) -> str:
        return self.work_order_id


class DispatchActionRequestedV1(Event):
    """An agent or supervisor asks dispatch to chase, urge, re-dispatch, resume, escalate, close or
    reopen a work order (through the gateway)."""

    ce_type: ClassVar[str] = "hotline.dispatch.action.requested.v1"

    action_id: str = Field(description="Gateway-assigned; stable for a retried post with the same key.")
    work_order_id: str
    province: str
    action: SupervisionAction
    by: str = Field(description="The principal who asked.")
    reason: str
    department: str | None = Field(
        default=None, description="Where to re-dispatch to (redispatch); none: the routing rules decide."
    )
    at: datetime

    def subject(self) -> str:
        return self.work_order_id


class StepEvent(Event):
    """What every step of the lifecycle past the first dispatch carries (DISPATCH_STEPS lists them)."""

    minor_version: ClassVar[int] = 1

    work_order_id: str
    dispatch_id: str = Field(description="The dispatch form the step belongs to.")
    province: str
    department: str
    type: WorkOrderType
    at: datetime
    by: str = Field(description="Who took the step: a department's handler, a principal, or 'dispatch'.")
    step_id: str = Field(description="Unique per step: a redelivered event is known by it.")
    state: State = Field(description="The work order's state after the step (contracts/lifecycle.py).")
    seq: int = Field(
        ge=1,
        description="The step's number in the work order's history: readers keep the "
        "state of the highest they have seen.",
    )
    clocks: list[ClockReading] = Field(
        default_factory=list, description="Every live SLA clock after the step (1.1); none once closed."
    )
    escalated: bool | None = Field(
        default=None, description="On the province supervisor's queue after the step (1.1)."
    )

    def subject(self) -> str:
        return self.work_order_id


class WorkOrderAcceptedV1(StepEvent):
    ce_type: ClassVar[str] = "hotline.workorder.accepted.v1"


class WorkOrderArrivedV1(StepEvent):
    """The repair crew is on site: its report of cause, location and repair time is due next."""

    ce_type: ClassVar[str] = "hotline.workorder.arrived.v1"


class WorkOrderReturnedV1(StepEvent):
    """Sent back by the department: to be re-dispatched, or (missing information) waiting on the customer
    with its clocks paused."""

    ce_type: ClassVar[str] = "hotline.workorder.returned.v1"

    reason: ReturnReason
    message: str | None = None


class WorkOrderChasedV1(StepEvent):
    """The department is asked for progress."""

    ce_type: ClassVar[str] = "hotline.workorder.chased.v1"

    message: str


class WorkOrderUrgedV1(StepEvent):
    """The department is pushed near or past a deadline: by a supervisor, or by dispatch with each
    deadline warning and alarm."""

    ce_type: ClassVar[str] = "hotline.workorder.urged.v1"

    message: str
    stage: str | None = Field(default=None, description="The SLA stage it is urged for, if a clock's.")
    due_at: datetime | None = None


class WorkOrderEscalatedV1(StepEvent):
    """On the province supervisor's queue: asked for, or after the configured number of alarms."""

    ce_type: ClassVar[str] = "hotline.workorder.escalated.v1"

    reason: str
    alarms: int = Field(default=0, description="Alarms raised on the clock that escalated it (0: asked).")


class WorkOrderResumedV1(StepEvent):
    """The customer's information is in: back with the department, its clocks running on with the time
    they had left."""

    ce_type: ClassVar[str] = "hotline.workorder.resumed.v1"

    reason: str


class WorkOrderClosedV1(StepEvent):
    """The customer has been answered: the work order's clocks stop."""

    ce_type: ClassVar[str] = "hotline.workorder.closed.v1"

    reason: str


class NewFormEvent(StepEvent):
    """A new dispatch form of the work order, sent to the department's topic with what it needs."""

    previous_dispatch_id: str
    previous_department: str
    form: int = Field(ge=2, description="The form's number in the work order (the first is 1).")
    reason: str
    reply_due_at: datetime = Field(description="When the department's final reply to this form is due.")
    customer: Customer
    address: str | None = None
    description: str


class WorkOrderRedispatchedV1(NewFormEvent):
    ce_type: ClassVar[str] = "hotline.workorder.redispatched.v1"


class WorkOrderReopenedV1(NewFormEvent):
    """Reopened (an unhappy follow-up, say): a new form to the department that last had it."""

    ce_type: ClassVar[str] = "hotline.workorder.reopened.v1"


class _ClockStep(StepEvent):
    stage: str = Field(description="The SLA stage, e.g. 'arrival', 'result', 'customer_reply'.")
    started_at: datetime
    due_at: datetime


class DeadlineWarningV1(_ClockStep):
    """A share of the stage's window (75% by default) has passed."""

    ce_type: ClassVar[str] = "hotline.deadline.warning.v1"


class DeadlineAlarmV1(_ClockStep):
    """The stage is overdue; raised again each alarm interval while it stays so."""

    ce_type: ClassVar[str] = "hotline.deadline.alarm.v1"

    alarm: int = Field(ge=1, description="1 at the breach, then one more each alarm interval.")


# Every step's event, as dispatch publishes them on the progress topic.
DISPATCH_STEPS: tuple[type[StepEvent], ...] = (
    WorkOrderAcceptedV1,
    WorkOrderArrivedV1,
    WorkOrderReturnedV1,
    WorkOrderRedispatchedV1,
    WorkOrderResumedV1,
    WorkOrderChasedV1,
    WorkOrderUrgedV1,
    WorkOrderEscalatedV1,
    WorkOrderClosedV1,
    WorkOrderReopenedV1,
    DeadlineWarningV1,
    DeadlineAlarmV1,
)
# The steps the department has to act on: sent to its own topic as well.
FOR_THE_DEPARTMENT: tuple[type[StepEvent], ...] = (
    WorkOrderRedispatchedV1,
    WorkOrderReopenedV1,
    WorkOrderChasedV1,
    WorkOrderUrgedV1,
)
