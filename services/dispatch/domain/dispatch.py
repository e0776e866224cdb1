"""A work order at dispatch: its dispatch forms, its state in the lifecycle, its SLA clocks and its
history. Each step goes through `_take`, which checks the lifecycle, keeps the clocks (one live clock per
running stage: started, stopped, paused and resumed by the steps the SLA plan names) and writes the
history; the methods for each step say only what is particular to it."""

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from contracts.events import (
    Area,
    Customer,
    WorkOrderCreatedV1,
    WorkOrderDispatchedV1,
    WorkOrderType,
)
from contracts.ids import dispatch_id_for
from services.common.errors import DomainError
from services.common.working_calendar import WorkingCalendar
from services.dispatch.domain.clocks import Clock
from services.dispatch.domain.lifecycle import NEW_FORM, OPEN, State, Step, next_state
from services.dispatch.domain.sla import DefaultPlan, Escalation, Plan, Stage

# Who a step dispatch takes itself is by: a clock's warning or alarm, a re-routing.
BY_DISPATCH = "dispatch"


class UnknownDispatch(DomainError):
    pass


class WrongDepartment(DomainError):
    pass


@dataclass(frozen=True)
class ClockRules:
    """What the clocks go by, as in force when a step is taken: the province's working calendar and the
    SLA table's warning share, alarm interval and escalation."""

    calendar: WorkingCalendar
    escalation: Escalation

    @property
    def alarm_every(self) -> timedelta:
        return self.escalation.alarm_every.length()


@dataclass(frozen=True)
class Form:
    """One dispatch form: the work order sent to one department, once."""

    dispatch_id: str
    number: int
    department: str
    dispatched_at: datetime
    reply_due_at: datetime


@dataclass(frozen=True)
class HistoryEntry:
    """One step, kept for as long as the work order: who did what, when and why."""

    at: datetime
    action: Step
    department: str
    dispatch_id: str | None = None
    message: str | None = None
    responder: str | None = None
    # The id of what caused the step (a reply's, an action's, a clock's firing): a redelivery is known by it.
    reply_id: str | None = None
    reason: str | None = None
    stage: str | None = None


@dataclass
class Dispatch:
    work_order_id: str
    province: str
    type: WorkOrderType
    customer: Customer
    address: str | None
    description: str
    plan: str
    stages: list[Stage]
    forms: list[Form]
    category: str | None = None
    area: Area | None = None
    state: State = State.DISPATCHED
    escalated: bool = False
    clocks: list[Clock] = field(default_factory=list)
    history: list[HistoryEntry] = field(default_factory=list)
    version: int = 0

    @property
    def id(self) -> str:
        # One document per work order: its forms, replies and returns stay together and findable.
        return self.work_order_id

    @property
    def form(self) -> Form:
        return self.forms[-1]

    @property
    def dispatch_id(self) -> str:
        return self.form.dispatch_id

    @property
    def department(self) -> str:
        return self.form.department

    @property
    def reply_due_at(self) -> datetime:
        """When the department's result is due: its clock's deadline (a pause moves it), else the
        form's as dispatched."""
        result = next((stage.stage for stage in self.stages if stage.result), None)
        clock = next(
            (c for c in self.live_clocks() if c.stage == result and c.dispatch_id == self.dispatch_id), None
        )
        return clock.due_at if clock is not None and clock.due_at is not None else self.form.reply_due_at

    @property
    def is_open(self) -> bool:
        return self.state in OPEN

    @classmethod
    def open(
        cls,
        order: WorkOrderCreatedV1,
        department: str,
        plan: Plan | DefaultPlan,
        now: datetime,
        rules: ClockRules,
    ) -> tuple["Dispatch", WorkOrderDispatchedV1]:
        dispatch = cls(
            work_order_id=order.work_order_id,
            province=order.province,
            type=order.type,
            customer=order.customer,
            address=order.address,
            description=order.description,
            plan=plan.name,
            stages=list(plan.stages),
            forms=[],
            category=order.category,
            area=order.area,
        )
        dispatch._new_form(dispatch_id_for(order.work_order_id), department, now, rules)
        dispatch.history.append(HistoryEntry(now, Step.DISPATCHED, department, dispatch.dispatch_id))
        return dispatch, dispatch.dispatched_event()

    def taken(self, step_id: str) -> bool:
        """Whether the step with this id is in the history already (a redelivery)."""
        return any(entry.reply_id == step_id for entry in self.history)

    def confirm_deadlines(self, rules: ClockRules) -> None:
        """Provisional deadlines set again where the calendar now knows their days."""
        for clock in self.live_clocks():
            clock.confirm(rules.calendar, rules.escalation.warning_at)

    def arrived_on_form(self) -> bool:
        return any(e.action is Step.ARRIVED and e.dispatch_id == self.dispatch_id for e in self.history)

    def live_clocks(self) -> list[Clock]:
        return [clock for clock in self.clocks if clock.live]

    def next_timer_at(self, alarm_every: timedelta) -> datetime | None:
        """When a clock of this work order next warns or alarms: its timer, stored and indexed."""
        due = [at for clock in self.clocks if (at := clock.next_at(alarm_every)) is not None]
        return min(due, default=None)

    def overdue(self, now: datetime) -> bool:
        return any(clock.overdue(now) for clock in self.clocks)

    def check_form(self, dispatch_id: str, department: str) -> None:
        """A department's step must be for the current form, and the form sent to it."""
        if dispatch_id != self.dispatch_id:
            known = any(form.dispatch_id == dispatch_id for form in self.forms)
            raise UnknownDispatch(
                f"dispatch {dispatch_id} of {self.work_order_id} was replaced by {self.dispatch_id}"
                if known
                else f"no dispatch {dispatch_id} for work order {self.work_order_id}"
            )
        if department != self.department:
            raise WrongDepartment(f"{department} acted on a dispatch sent to {self.department}")

    def _take(
        self, step: Step, now: datetime, rules: ClockRules, entry: HistoryEntry, *, department: str = ""
    ) -> None:
        """Move to the step's state, keep the clocks as the plan says, and write the history."""
        self.state = next_state(self.state, step, self.work_order_id)
        self.confirm_deadlines(rules)
        before = self.live_clocks()  # a new form's own clocks are not ended by the step that sent it
        if step in NEW_FORM:
            for clock in self.live_clocks():
                clock.stop(now)
            self._new_form(
                f"{dispatch_id_for(self.work_order_id)}-{len(self.forms) + 1}", department, now, rules
            )
        elif step is Step.CLOSED:
            for clock in self.live_clocks():
                clock.stop(now)
        if step in NEW_FORM or step is Step.CLOSED:
            self.escalated = False  # sent on, or closed: off the supervisor's queue
        ends = {stage.stage for stage in self.stages if step in stage.ends}
        for clock in [clock for clock in before if clock.live]:
            if clock.stage in ends:
                clock.stop(now)
            elif step is Step.INFO_REQUESTED:
                clock.pause(now, rules.calendar)
            elif step is Step.RESUMED:
                clock.resume(now, rules.calendar)
        self._start_stages(step, now, rules)
        self.history.append(entry if entry.dispatch_id else replace(entry, dispatch_id=self.dispatch_id))

    def _new_form(self, dispatch_id: str, department: str, now: datetime, rules: ClockRules) -> None:
        result = next(stage for stage in self.stages if stage.result)
        self.forms.append(
            Form(dispatch_id, len(self.forms) + 1, department, now, result.within.due(now, rules.calendar).at)
        )
        self._start_stages(Step.DISPATCHED, now, rules)

    def _start_stages(self, step: Step, now: datetime, rules: ClockRules) -> None:
        running = {clock.stage for clock in self.live_clocks()}
        for stage in self.stages:
            if stage.starts is step and stage.stage not in running:
                self.clocks.append(
                    Clock.start(
                        stage.stage,
                        self.dispatch_id,
                        stage.within,
                        now,
                        rules.calendar,
                        rules.escalation.warning_at,
                    )
                )

    def step_fields(self, at: datetime, by: str, step_id: str) -> dict[str, object]:
        """What every step's event carries: taken after the step, with the state it left."""
        return {
            "work_order_id": self.work_order_id,
            "dispatch_id": self.dispatch_id,
            "province": self.province,
            "department": self.department,
            "type": self.type,
            "at": at,
            "by": by,
            "step_id": step_id,
            "state": self.state,
            "seq": len(self.history),
        } | self.readings()

    def readings(self) -> dict[str, object]:
        """Where its clocks stand and whether it is on the supervisor's queue: in every step's event."""
        return {"clocks": [clock.reading() for clock in self.live_clocks()], "escalated": self.escalated}

    def form_fields(self) -> dict[str, object]:
        """What a department needs of a new form, beyond the step's fields."""
        previous = self.forms[-2]
        return {
            "previous_dispatch_id": previous.dispatch_id,
            "previous_department": previous.department,
            "form": self.form.number,
            "reply_due_at": self.reply_due_at,
            "customer": self.customer,
            "address": self.address,
            "description": self.description,
        }

    def dispatched_event(self) -> WorkOrderDispatchedV1:
        return WorkOrderDispatchedV1(
            work_order_id=self.work_order_id,
            dispatch_id=self.dispatch_id,
            province=self.province,
            department=self.department,
            type=self.type,
            dispatched_at=self.form.dispatched_at,
            reply_due_at=self.reply_due_at,
            customer=self.customer,
            address=self.address,
            description=self.description,
            clocks=[clock.reading() for clock in self.live_clocks()],
        )
