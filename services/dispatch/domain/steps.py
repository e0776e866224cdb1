"""The steps departments, supervisors and clocks take on a work order at dispatch, each returning the
events it causes (none for a redelivery: a step's id is in the history once)."""

from datetime import datetime

from contracts.events import (
    DeadlineAlarmV1,
    DeadlineWarningV1,
    DepartmentActedV1,
    DepartmentAction,
    DepartmentRepliedV1,
    DispatchActionRequestedV1,
    Event,
    ReplyKind,
    ReturnReason,
    SupervisionAction,
    WorkOrderAcceptedV1,
    WorkOrderArrivedV1,
    WorkOrderChasedV1,
    WorkOrderClosedV1,
    WorkOrderEscalatedV1,
    WorkOrderRedispatchedV1,
    WorkOrderReopenedV1,
    WorkOrderRepliedV1,
    WorkOrderResumedV1,
    WorkOrderReturnedV1,
    WorkOrderUrgedV1,
)
from services.common.errors import DomainError
from services.dispatch.domain.dispatch import BY_DISPATCH, ClockRules, Dispatch, HistoryEntry
from services.dispatch.domain.lifecycle import WITH_DEPARTMENT, IllegalStep, Step
from services.dispatch.domain.rerouting import escalate, redispatch, send_on
from services.dispatch.domain.routing import RuleTable

_DEPARTMENT_STEPS = {DepartmentAction.ACCEPT: Step.ACCEPTED, DepartmentAction.ARRIVE: Step.ARRIVED}
_SUPERVISION_STEPS: dict[SupervisionAction, tuple[Step, type[Event]]] = {
    SupervisionAction.CHASE: (Step.CHASED, WorkOrderChasedV1),
    SupervisionAction.URGE: (Step.URGED, WorkOrderUrgedV1),
    SupervisionAction.ESCALATE: (Step.ESCALATED, WorkOrderEscalatedV1),
    SupervisionAction.RESUME: (Step.RESUMED, WorkOrderResumedV1),
    SupervisionAction.CLOSE: (Step.CLOSED, WorkOrderClosedV1),
    SupervisionAction.REDISPATCH: (Step.REDISPATCHED, WorkOrderRedispatchedV1),
    SupervisionAction.REOPEN: (Step.REOPENED, WorkOrderReopenedV1),
}


class NoDepartment(DomainError):
    """A re-dispatch names a department the routing table does not know."""


def record_reply(
    dispatch: Dispatch, reply: DepartmentRepliedV1, now: datetime, rules: ClockRules
) -> WorkOrderRepliedV1 | None:
    """A department's interim or final reply; None if this very reply was recorded before (a retry)."""
    if dispatch.taken(reply.reply_id):
        return None
    dispatch.check_form(reply.dispatch_id, reply.department)
    final = reply.kind is ReplyKind.FINAL
    due = dispatch.reply_due_at
    entry = HistoryEntry(
        at=now,
        action=Step.FINAL_REPLY if final else Step.INTERIM_REPLY,
        department=reply.department,
        dispatch_id=reply.dispatch_id,
        message=reply.message,
        responder=reply.responder,
        reply_id=reply.reply_id,
    )
    dispatch._take(entry.action, now, rules, entry)
    return WorkOrderRepliedV1(
        work_order_id=dispatch.work_order_id,
        dispatch_id=dispatch.dispatch_id,
        province=dispatch.province,
        department=dispatch.department,
        type=dispatch.type,
        kind=reply.kind,
        message=reply.message,
        replied_at=reply.replied_at,
        on_time=reply.replied_at <= due,
        customer=dispatch.customer,
        reply_id=reply.reply_id,
        state=dispatch.state,
        seq=len(dispatch.history),
        **dispatch.readings(),
    )


def department_acted(
    dispatch: Dispatch, acted: DepartmentActedV1, routing: RuleTable, now: datetime, rules: ClockRules
) -> list[Event]:
    """A department accepts its dispatch, reports the crew on site, or returns it with a reason: one
    returned as not its own is sent on by the routing table at once (rerouting.py)."""
    if dispatch.taken(acted.action_id):
        return []
    dispatch.check_form(acted.dispatch_id, acted.department)
    by = acted.by or acted.department
    if acted.action is DepartmentAction.RETURN:
        if acted.reason is None:
            raise DomainError("a return must give its reason: wrong_department or missing_information")
        missing = acted.reason is ReturnReason.MISSING_INFORMATION
        step = Step.INFO_REQUESTED if missing else Step.RETURNED
    else:
        step = _DEPARTMENT_STEPS[acted.action]
    if step is Step.ARRIVED and dispatch.arrived_on_form():
        raise IllegalStep(f"the crew of {acted.dispatch_id} has reported itself on site already")
    entry = HistoryEntry(
        now,
        step,
        acted.department,
        acted.dispatch_id,
        acted.message,
        by,
        acted.action_id,
        acted.reason.value if acted.reason else None,
    )
    dispatch._take(step, now, rules, entry)
    fields = dispatch.step_fields(now, by, acted.action_id)
    if step is Step.ACCEPTED:
        return [WorkOrderAcceptedV1.model_validate(fields)]
    if step is Step.ARRIVED:
        return [WorkOrderArrivedV1.model_validate(fields)]
    returned = WorkOrderReturnedV1.model_validate(fields | {"reason": acted.reason, "message": acted.message})
    if step is Step.INFO_REQUESTED:
        return [returned]
    why = f"{acted.department} returned it as not its own"
    sent = send_on(
        dispatch, routing, now, rules, step_id=f"{acted.action_id}:sent-on", by=BY_DISPATCH, why=why
    )
    return [returned, *sent]


def supervise(
    dispatch: Dispatch,
    request: DispatchActionRequestedV1,
    routing: RuleTable,
    now: datetime,
    rules: ClockRules,
) -> list[Event]:
    """What an agent or supervisor asks: chase, urge, escalate, resume, close, re-dispatch (to the
    department named, or where the routing table sends it next), reopen."""
    if dispatch.taken(request.action_id):
        return []
    step, event_type = _SUPERVISION_STEPS[request.action]
    taken = {"step_id": request.action_id, "by": request.by}
    if step is Step.REDISPATCHED and request.department is None:
        return send_on(dispatch, routing, now, rules, **taken, why=request.reason)
    if step is Step.REDISPATCHED:
        departments = routing.departments()
        if request.department not in departments:
            raise NoDepartment(
                f"a re-dispatch names the department to send {dispatch.work_order_id} to: "
                f"{request.department!r} is not one of {', '.join(departments)}"
            )
        return [redispatch(dispatch, request.department, now, rules, **taken, reason=request.reason)]
    if step is Step.ESCALATED:
        return [escalate(dispatch, now, rules, **taken, reason=request.reason)]
    entry = HistoryEntry(
        now, step, dispatch.department, None, None, request.by, request.action_id, request.reason
    )
    dispatch._take(step, now, rules, entry, department=dispatch.department)
    fields = dispatch.step_fields(now, request.by, request.action_id)
    if step in (Step.CHASED, Step.URGED):
        return [event_type.model_validate(fields | {"message": request.reason})]
    if step is Step.REOPENED:
        return [event_type.model_validate(fields | dispatch.form_fields() | {"reason": request.reason})]
    return [event_type.model_validate(fields | {"reason": request.reason})]


def fire_timers(dispatch: Dispatch, now: datetime, rules: ClockRules) -> list[Event]:
    """Every warning and alarm fallen due, each once (with its urge to the department), and the
    escalation of a clock that has raised the configured number of alarms."""
    events: list[Event] = []
    dispatch.confirm_deadlines(rules)
    for clock in dispatch.live_clocks():
        for step, alarm in clock.fire(now, rules.alarm_every):
            assert clock.due_at is not None
            step_id = f"{clock.key}:{step}:{alarm}"
            dispatch.history.append(
                HistoryEntry(
                    now, step, dispatch.department, clock.dispatch_id, reply_id=step_id, stage=clock.stage
                )
            )
            fields = dispatch.step_fields(now, BY_DISPATCH, step_id)
            timing = {"stage": clock.stage, "started_at": clock.started_at, "due_at": clock.due_at}
            warning = step is Step.WARNING
            events.append(
                DeadlineWarningV1.model_validate(fields | timing)
                if warning
                else DeadlineAlarmV1.model_validate(fields | timing | {"alarm": alarm})
            )
            if dispatch.state not in WITH_DEPARTMENT:
                continue  # the customer's answer is the call centre's to give: no department to urge
            said = "due" if warning else "overdue since"
            urge = fields | {"step_id": f"{step_id}:urge", "stage": clock.stage, "due_at": clock.due_at}
            message = f"{clock.stage} {said} {clock.due_at.isoformat()}"
            events.append(WorkOrderUrgedV1.model_validate(urge | {"message": message}))
        if clock.alarms >= rules.escalation.escalate_after_alarms and not clock.escalated:
            clock.escalated = dispatch.escalated = True
            step_id = f"{clock.key}:escalated"
            reason = f"{clock.stage}: {clock.alarms} alarms"
            dispatch.history.append(
                HistoryEntry(
                    now,
                    Step.ESCALATED,
                    dispatch.department,
                    clock.dispatch_id,
                    reply_id=step_id,
                    reason=reason,
                    stage=clock.stage,
                )
            )
            fields = dispatch.step_fields(now, BY_DISPATCH, step_id)
            events.append(
                WorkOrderEscalatedV1.model_validate(fields | {"reason": reason, "alarms": clock.alarms})
            )
    return events
