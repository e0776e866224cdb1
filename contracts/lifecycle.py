"""The work order's lifecycle at dispatch, in one place: its states, the steps that move it, and from
which states each step may be taken. Dispatch refuses anything else (services/dispatch/domain/
lifecycle.py: the dead-letter topic with the reason); the gateway answers it 409 before it is posted.
Every step's event says the state it left the work order in. The README draws it."""

from enum import StrEnum


class State(StrEnum):
    DISPATCHED = "dispatched"  # with a department, not yet accepted
    ACCEPTED = "accepted"
    IN_PROGRESS = "in_progress"  # crew on site, or an interim reply given
    RETURNED = "returned"  # sent back as not its own: to be re-dispatched
    WAITING_CUSTOMER = "waiting_customer"  # sent back for missing information: clocks paused
    RESOLVED = "resolved"  # the department's final reply is in: the customer is to be answered
    CLOSED = "closed"  # the customer has been answered


class Step(StrEnum):
    DISPATCHED = "dispatched"  # a form sent: the first, a re-dispatch's or a reopening's
    ACCEPTED = "accepted"
    ARRIVED = "arrived"
    INTERIM_REPLY = "interim_reply"
    FINAL_REPLY = "final_reply"
    RETURNED = "returned"
    INFO_REQUESTED = "info_requested"  # returned for missing information
    REDISPATCHED = "redispatched"
    RESUMED = "resumed"
    CHASED = "chased"
    URGED = "urged"
    ESCALATED = "escalated"
    CLOSED = "closed"
    REOPENED = "reopened"
    WARNING = "warning"  # a clock's, by dispatch
    ALARM = "alarm"


WITH_DEPARTMENT = frozenset({State.DISPATCHED, State.ACCEPTED, State.IN_PROGRESS})
OPEN = WITH_DEPARTMENT | {State.RETURNED, State.WAITING_CUSTOMER, State.RESOLVED}

# step: (the states it may be taken from, the state it leads to; None: the state stays)
TRANSITIONS: dict[Step, tuple[frozenset[State], State | None]] = {
    Step.ACCEPTED: (frozenset({State.DISPATCHED}), State.ACCEPTED),
    # The crew may report "on the way" (an interim reply) before it arrives: once per form, its own rule.
    Step.ARRIVED: (WITH_DEPARTMENT, State.IN_PROGRESS),
    Step.INTERIM_REPLY: (WITH_DEPARTMENT, State.IN_PROGRESS),
    Step.FINAL_REPLY: (WITH_DEPARTMENT, State.RESOLVED),
    Step.RETURNED: (WITH_DEPARTMENT, State.RETURNED),
    Step.INFO_REQUESTED: (WITH_DEPARTMENT, State.WAITING_CUSTOMER),
    Step.REDISPATCHED: (WITH_DEPARTMENT | {State.RETURNED, State.WAITING_CUSTOMER}, State.DISPATCHED),
    Step.RESUMED: (frozenset({State.WAITING_CUSTOMER}), State.DISPATCHED),
    Step.CHASED: (WITH_DEPARTMENT, None),
    Step.URGED: (WITH_DEPARTMENT, None),
    Step.ESCALATED: (OPEN, None),
    Step.CLOSED: (frozenset({State.RESOLVED}), State.CLOSED),
    Step.REOPENED: (frozenset({State.RESOLVED, State.CLOSED}), State.DISPATCHED),
    Step.WARNING: (OPEN, None),
    Step.ALARM: (OPEN, None),
}
# Steps that send a new dispatch form, whose clocks replace the last form's.
NEW_FORM = frozenset({Step.REDISPATCHED, Step.REOPENED})


def refusal(state: State, step: Step, work_order_id: str) -> str | None:
    """Why the step cannot be taken in that state; None when it can."""
    allowed, _ = TRANSITIONS[step]
    if state in allowed:
        return None
    return f"{work_order_id} is {state}: {step} is taken only when it is {', '.join(sorted(allowed))}"


def state_after(state: State, step: Step) -> State:
    return TRANSITIONS[step][1] or state
