"""Where a work order goes when its department returns it as not its own, or a supervisor sends it on
without naming where: the next rule of the routing table that matches it and names a department that
has not had it yet (so it never goes back and forth). When no rule is left it stays with its owner and
goes onto the province supervisor's queue: the catch-all is for work orders no rule knows, and one its
own rules' departments turned away needs a person's judgement, not a guess."""

from datetime import datetime

from contracts.events import Event, WorkOrderEscalatedV1, WorkOrderRedispatchedV1
from contracts.lifecycle import refusal
from services.dispatch.domain.dispatch import ClockRules, Dispatch, HistoryEntry
from services.dispatch.domain.lifecycle import IllegalStep, Step
from services.dispatch.domain.routing import RuleTable


def send_on(
    dispatch: Dispatch,
    routing: RuleTable,
    now: datetime,
    rules: ClockRules,
    *,
    step_id: str,
    by: str,
    why: str,
) -> list[Event]:
    """A new form to the next department the routing table names for it, or the supervisor's queue;
    refused (IllegalStep) where a re-dispatch may not be taken, whichever it would be."""
    refused = refusal(dispatch.state, Step.REDISPATCHED, dispatch.work_order_id)
    if refused is not None:
        raise IllegalStep(refused)
    had = sorted({form.department for form in dispatch.forms})
    route = routing.next_route(dispatch, had)
    if route is None:
        reason = f"{why}; no other department in the routing table takes it: for the supervisor to send on"
        return [escalate(dispatch, now, rules, step_id=step_id, by=by, reason=reason)]
    return [
        redispatch(dispatch, route.department, now, rules, step_id=step_id, by=by, reason=f"{why}: re-routed")
    ]


def redispatch(
    dispatch: Dispatch,
    department: str,
    now: datetime,
    rules: ClockRules,
    *,
    step_id: str,
    by: str,
    reason: str,
) -> WorkOrderRedispatchedV1:
    entry = HistoryEntry(now, Step.REDISPATCHED, department, None, None, by, step_id, reason)
    dispatch._take(Step.REDISPATCHED, now, rules, entry, department=department)
    fields = dispatch.step_fields(now, by, step_id) | dispatch.form_fields()
    return WorkOrderRedispatchedV1.model_validate(fields | {"reason": reason})


def escalate(
    dispatch: Dispatch, now: datetime, rules: ClockRules, *, step_id: str, by: str, reason: str
) -> WorkOrderEscalatedV1:
    entry = HistoryEntry(now, Step.ESCALATED, dispatch.department, None, None, by, step_id, reason)
    dispatch._take(Step.ESCALATED, now, rules, entry)
    dispatch.escalated = True
    fields = dispatch.step_fields(now, by, step_id)
    return WorkOrderEscalatedV1.model_validate(fields | {"reason": reason})
