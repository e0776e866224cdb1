"""The lifecycle under any sequence of steps (hypothesis stateful testing): an illegal step is refused and
changes nothing; every open work order has exactly one live clock per running stage, all on its current
form; closing stops every clock; reopening starts new ones."""

from copy import deepcopy
from datetime import UTC, datetime, timedelta

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from services.dispatch.domain.lifecycle import OPEN, IllegalStep, State
from services.dispatch.domain.steps import department_acted, fire_timers, record_reply, supervise
from tests.fake_dispatch import AREAS, ROUTING, RULES, a_reply, a_request, a_work_order, an_act, opened

DEPARTMENTS = ["billing", "business", "repair"]
# The words, independent of the transition table: what each step needs.
NEEDS = {
    "close": {State.RESOLVED},  # only after the department's result, for the customer's answer
    "reopen": {State.RESOLVED, State.CLOSED},
    "resume": {State.WAITING_CUSTOMER},
    "final": {State.DISPATCHED, State.ACCEPTED, State.IN_PROGRESS},
    "accept": {State.DISPATCHED},
}


class Lifecycle(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.now = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
        self.order = a_work_order(area=AREAS["urban"])
        self.dispatch, _ = opened(self.order, self.now)

    def _try(self, name: str, step) -> None:  # type: ignore[no-untyped-def]
        before = deepcopy(self.dispatch)
        try:
            step()
        except IllegalStep:
            assert self.dispatch == before, f"a refused {name} changed the work order"
            assert name not in NEEDS or before.state not in NEEDS[name]
            return
        assert name not in NEEDS or before.state in NEEDS[name], f"{name} taken when {before.state}"

    def _form(self) -> dict[str, str]:
        return {"dispatch_id": self.dispatch.dispatch_id, "department": self.dispatch.department}

    @rule(action=st.sampled_from(["accept", "arrive"]))
    def department_steps(self, action: str) -> None:
        act = an_act(self.order, action, **self._form())
        self._try(action, lambda: department_acted(self.dispatch, act, ROUTING, self.now, RULES))

    @rule(reason=st.sampled_from(["wrong_department", "missing_information"]))
    def department_returns(self, reason: str) -> None:
        act = an_act(self.order, "return", reason=reason, **self._form())
        self._try("return", lambda: department_acted(self.dispatch, act, ROUTING, self.now, RULES))

    @rule(kind=st.sampled_from(["interim", "final"]))
    def department_replies(self, kind: str) -> None:
        reply = a_reply(self.order, kind=kind, **self._form())
        self._try(kind, lambda: record_reply(self.dispatch, reply, self.now, RULES))

    @rule(
        action=st.sampled_from(["chase", "urge", "escalate", "resume", "close", "reopen", "redispatch"]),
        department=st.sampled_from(DEPARTMENTS),
    )
    def supervisor_steps(self, action: str, department: str) -> None:
        request = a_request(self.order, action, department=department)
        self._try(action, lambda: supervise(self.dispatch, request, ROUTING, self.now, RULES))

    @rule(minutes=st.integers(min_value=1, max_value=3 * 24 * 60))
    def time_passes(self, minutes: int) -> None:
        self.now += timedelta(minutes=minutes)
        fire_timers(self.dispatch, self.now, RULES)
        at = self.dispatch.next_timer_at(RULES.alarm_every)
        assert at is None or at > self.now, "a timer due now was left unfired"

    @invariant()
    def one_live_clock_per_running_stage_on_the_current_form(self) -> None:
        live = self.dispatch.live_clocks()
        stages = [clock.stage for clock in live]
        assert len(stages) == len(set(stages))
        assert all(clock.dispatch_id == self.dispatch.dispatch_id for clock in live)

    @invariant()
    def every_open_work_order_has_a_clock_and_a_closed_one_none(self) -> None:
        live = self.dispatch.live_clocks()
        assert bool(live) == (self.dispatch.state in OPEN)

    @invariant()
    def clocks_pause_exactly_while_waiting_on_the_customer(self) -> None:
        waiting = self.dispatch.state is State.WAITING_CUSTOMER
        assert all(clock.paused == waiting for clock in self.dispatch.live_clocks())

    @invariant()
    def a_resolved_work_order_waits_only_on_the_customers_answer(self) -> None:
        if self.dispatch.state is State.RESOLVED:
            assert [clock.stage for clock in self.dispatch.live_clocks()] == ["customer_reply"]

    @invariant()
    def a_reopened_work_order_runs_its_new_forms_result_clock(self) -> None:
        if self.dispatch.state is State.DISPATCHED:
            assert "completion" in {clock.stage for clock in self.dispatch.live_clocks()}


Lifecycle.TestCase.settings = settings(max_examples=300, stateful_step_count=30, deadline=None)
test_the_lifecycle_under_any_steps = Lifecycle.TestCase
