"""Whether a department's or an agent's step may be taken now, as the case file tells where the work
order stands at dispatch: 409 with the reason before anything is posted (dispatch, which holds the steps
to the same table in contracts/lifecycle.py, would only dead-letter it)."""

from contracts.lifecycle import Step, refusal
from services.gateway.case_files import CaseFile
from services.gateway.problems import Conflict


def step_allowed(case: CaseFile, step: Step) -> None:
    """409 unless the work order's state allows the step."""
    state = case.dispatch_state
    if state is None:
        raise Conflict(f"work order {case.facts.work_order_id} is not dispatched yet")
    refused = refusal(state, step, case.facts.work_order_id)
    if refused is not None:
        raise Conflict(refused)


def current_form(case: CaseFile, dispatch_id: str) -> None:
    current = case.current_dispatch
    if current is not None and current.dispatch_id != dispatch_id:
        raise Conflict(f"dispatch {dispatch_id} was replaced by {current.dispatch_id}: act on that one")
