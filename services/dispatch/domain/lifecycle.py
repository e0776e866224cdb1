"""Dispatch holds every step to the lifecycle (contracts/lifecycle.py): a step its state does not allow
is refused, and its message goes to the dead-letter topic with the reason."""

from contracts.lifecycle import (
    NEW_FORM,
    OPEN,
    WITH_DEPARTMENT,
    State,
    Step,
    refusal,
    state_after,
)
from services.common.errors import DomainError

__all__ = ["NEW_FORM", "OPEN", "WITH_DEPARTMENT", "IllegalStep", "State", "Step", "next_state"]


class IllegalStep(DomainError):
    """The step cannot be taken in the work order's state."""


def next_state(state: State, step: Step, work_order_id: str) -> State:
    refused = refusal(state, step, work_order_id)
    if refused is not None:
        raise IllegalStep(refused)
    return state_after(state, step)
