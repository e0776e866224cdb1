"""The work order's lifecycle at dispatch, step by step, as departments and supervisors take it."""

from datetime import UTC, datetime, timedelta

import pytest

from contracts.events import WorkOrderEscalatedV1, WorkOrderRedispatchedV1, WorkOrderReturnedV1
from services.dispatch.domain.dispatch import UnknownDispatch
from services.dispatch.domain.lifecycle import IllegalStep, State
from services.dispatch.domain.routing import RuleTable
from services.dispatch.domain.steps import NoDepartment, department_acted, record_reply, supervise
from tests.fake_dispatch import AREAS, ROUTING, RULES, a_reply, a_request, a_work_order, an_act, opened

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # Monday 10:00 in China
DEPARTMENTS = ["billing", "business", "discipline", "experts", "repair"]


def live(dispatch):
    return sorted(clock.stage for clock in dispatch.live_clocks())


def test_an_urban_repair_runs_its_arrival_completion_clocks_from_dispatch():
    dispatch, _ = opened(a_work_order(area=AREAS["urban"]), NOW)
    assert dispatch.plan == "repair-urban"
    assert live(dispatch) == ["arrival", "completion"]
    arrival = next(clock for clock in dispatch.clocks if clock.stage == "arrival")
    assert arrival.due_at == NOW + timedelta(minutes=45)
    assert arrival.warn_at == NOW + timedelta(minutes=45 * 0.75)


@pytest.mark.parametrize(("kind", "minutes"), [("urban", 45), ("suburban", 90), ("remote", 120)])
def test_the_crews_arrival_is_due_by_how_far_it_travels(kind, minutes):
    dispatch, _ = opened(a_work_order(area=AREAS[kind]), NOW)
    arrival = next(clock for clock in dispatch.clocks if clock.stage == "arrival")
    assert arrival.due_at - NOW == timedelta(minutes=minutes)


def test_the_crew_on_site_stops_the_arrival_clock_and_starts_its_30_minute_report():
    order = a_work_order(area=AREAS["urban"])
    dispatch, _ = opened(order, NOW)
    department_acted(dispatch, an_act(order, "accept"), ROUTING, NOW + timedelta(minutes=5), RULES)
    department_acted(dispatch, an_act(order, "arrive"), ROUTING, NOW + timedelta(minutes=40), RULES)
    assert dispatch.state is State.IN_PROGRESS
    assert live(dispatch) == ["completion", "site_report"]
    report = next(clock for clock in dispatch.live_clocks() if clock.stage == "site_report")
    assert report.due_at == NOW + timedelta(minutes=70)
    record_reply(dispatch, a_reply(order, kind="interim", message="变压器故障，预计2小时"), NOW, RULES)
    assert live(dispatch) == ["completion"]


def test_a_final_reply_leaves_the_call_centre_one_working_day_to_answer_the_customer():
    order = a_work_order("complaint", category="billing")
    dispatch, _ = opened(order, NOW)
    assert live(dispatch) == ["interim", "result"]
    record_reply(dispatch, a_reply(order, department="business"), NOW, RULES)
    assert dispatch.state is State.RESOLVED
    (answer,) = dispatch.live_clocks()
    assert (answer.stage, answer.due_at) == ("customer_reply", NOW + timedelta(days=1))


def test_closing_before_the_department_has_answered_is_refused_with_the_states_it_needs():
    order = a_work_order()
    dispatch, _ = opened(order, NOW)
    with pytest.raises(IllegalStep, match="is dispatched: closed is taken only when it is resolved"):
        supervise(dispatch, a_request(order, "close"), ROUTING, NOW, RULES)
    assert dispatch.state is State.DISPATCHED


def test_accepting_twice_is_refused_but_the_same_acceptance_again_is_a_retry():
    order = a_work_order()
    dispatch, _ = opened(order, NOW)
    accept = an_act(order, "accept")
    assert department_acted(dispatch, accept, ROUTING, NOW, RULES) != []
    assert department_acted(dispatch, accept, ROUTING, NOW, RULES) == []
    with pytest.raises(IllegalStep, match="is accepted"):
        department_acted(dispatch, an_act(order, "accept"), ROUTING, NOW, RULES)


# Billing answers queries in Guangzhou first; any query the business hall takes; repairs go to one crew.
TWO_DEEP = RuleTable.model_validate(
    {
        "rules": [
            {"type": "query", "cities": ["广州市"], "department": "billing"},
            {"type": "query", "department": "business"},
            {"type": "fault_repair", "department": "repair"},
        ],
        "default": {"department": "experts"},
    }
)


def test_a_return_as_not_its_own_goes_at_once_to_the_next_department_the_routing_table_names():
    order = a_work_order("query", area=AREAS["urban"])
    dispatch, _ = opened(order, NOW)
    wrong = an_act(order, "return", department="billing", reason="wrong_department", message="非电费问题")
    returned, redispatched = department_acted(dispatch, wrong, TWO_DEEP, NOW, RULES)
    assert isinstance(returned, WorkOrderReturnedV1)
    assert (returned.state, returned.department) == ("returned", "billing")
    assert isinstance(redispatched, WorkOrderRedispatchedV1)
    assert (redispatched.form, redispatched.department, redispatched.previous_department) == (
        2,
        "business",
        "billing",
    )
    assert (redispatched.by, redispatched.reason) == (
        "dispatch",
        "billing returned it as not its own: re-routed",
    )
    assert dispatch.state is State.DISPATCHED
    assert [clock.dispatch_id for clock in dispatch.live_clocks()] == [redispatched.dispatch_id]
    assert department_acted(dispatch, wrong, TWO_DEEP, NOW, RULES) == [], "a redelivered return: once"


def test_one_every_matching_department_turned_away_waits_on_the_supervisors_queue_not_the_catch_all():
    order = a_work_order("query", area=AREAS["urban"])
    dispatch, _ = opened(order, NOW)
    first = an_act(order, "return", department="billing", reason="wrong_department")
    department_acted(dispatch, first, TWO_DEEP, NOW, RULES)
    again = an_act(
        order, "return", department="business", reason="wrong_department", dispatch_id=dispatch.dispatch_id
    )
    _, escalated = department_acted(dispatch, again, TWO_DEEP, NOW, RULES)
    assert isinstance(escalated, WorkOrderEscalatedV1)
    assert escalated.reason.startswith("business returned it as not its own; no other department")
    assert (dispatch.state, dispatch.escalated) == (State.RETURNED, True)
    assert live(dispatch) == ["result"], "its clock runs on while it waits"
    # The supervisor names where it goes: a new form, and off the queue.
    (redispatched,) = supervise(
        dispatch, a_request(order, "redispatch", department="experts"), TWO_DEEP, NOW, RULES
    )
    assert (redispatched.form, redispatched.department) == (3, "experts")
    assert not dispatch.escalated


def test_a_redispatch_naming_no_department_is_sent_on_by_the_routing_table():
    order = a_work_order("query", area=AREAS["urban"])
    dispatch, _ = opened(order, NOW)
    asked = a_request(order, "redispatch", by="agent-7", reason="客户说是营业厅业务")
    (redispatched,) = supervise(dispatch, asked, TWO_DEEP, NOW, RULES)
    assert (redispatched.department, redispatched.by) == ("business", "agent-7")
    assert dispatch.history[-1].reason == "客户说是营业厅业务: re-routed"
    (escalated,) = supervise(dispatch, a_request(order, "redispatch"), TWO_DEEP, NOW, RULES)
    assert isinstance(escalated, WorkOrderEscalatedV1), "billing had it: never sent back"


def test_a_resolved_work_order_is_not_sent_on_whether_or_not_a_department_is_left():
    order = a_work_order("query", area=AREAS["urban"])
    dispatch, _ = opened(order, NOW)
    record_reply(dispatch, a_reply(order, department="billing"), NOW, RULES)
    for table in (TWO_DEEP, ROUTING):  # one with business left to take it, one with no one
        with pytest.raises(IllegalStep, match="is resolved: redispatched is taken only when"):
            supervise(dispatch, a_request(order, "redispatch"), table, NOW, RULES)
    assert (dispatch.state, dispatch.escalated) == (State.RESOLVED, False)


def test_the_replaced_form_can_no_longer_be_replied_to():
    order = a_work_order("query")
    dispatch, _ = opened(order, NOW)
    first = dispatch.dispatch_id
    supervise(dispatch, a_request(order, "redispatch", department="business"), ROUTING, NOW, RULES)
    with pytest.raises(UnknownDispatch, match=f"dispatch {first} of .* was replaced by {first}-2"):
        record_reply(dispatch, a_reply(order, department="billing", dispatch_id=first), NOW, RULES)


def test_a_redispatch_must_name_a_department_the_routing_table_knows():
    order = a_work_order("query")
    dispatch, _ = opened(order, NOW)
    with pytest.raises(NoDepartment, match="'nowhere' is not one of billing"):
        supervise(dispatch, a_request(order, "redispatch", department="nowhere"), ROUTING, NOW, RULES)


def test_missing_information_pauses_the_clocks_and_resuming_gives_back_the_time_left():
    order = a_work_order("query")  # 2 working days: due Wednesday 10:00
    dispatch, _ = opened(order, NOW)
    paused_at = NOW + timedelta(hours=6)  # Monday 16:00: 1 day 18 hours left
    act = an_act(order, "return", department="billing", reason="missing_information")
    department_acted(dispatch, act, ROUTING, paused_at, RULES)
    assert dispatch.state is State.WAITING_CUSTOMER
    (clock,) = dispatch.live_clocks()
    assert clock.paused
    assert dispatch.next_timer_at(RULES.alarm_every) is None
    resumed_at = NOW + timedelta(days=2)  # Wednesday 10:00
    supervise(dispatch, a_request(order, "resume", reason="客户已补充户号"), ROUTING, resumed_at, RULES)
    assert dispatch.state is State.DISPATCHED
    assert clock.due_at == resumed_at + timedelta(days=1, hours=18)


def test_reopening_a_closed_work_order_sends_a_new_form_with_new_clocks_to_the_same_department():
    order = a_work_order("query")
    dispatch, _ = opened(order, NOW)
    record_reply(dispatch, a_reply(order, department="billing"), NOW, RULES)
    supervise(dispatch, a_request(order, "close"), ROUTING, NOW, RULES)
    assert dispatch.state is State.CLOSED
    assert dispatch.live_clocks() == []
    (reopened,) = supervise(dispatch, a_request(order, "reopen", reason="回访不满意"), ROUTING, NOW, RULES)
    assert (reopened.department, reopened.form) == ("billing", 2)
    assert live(dispatch) == ["result"]


def test_every_step_is_in_the_history_with_who_and_why():
    order = a_work_order("query")
    dispatch, _ = opened(order, NOW)
    supervise(
        dispatch, a_request(order, "chase", by="agent-7", reason="客户来电询问进度"), ROUTING, NOW, RULES
    )
    supervise(dispatch, a_request(order, "escalate", reason="重要客户"), ROUTING, NOW, RULES)
    assert [(e.action, e.responder, e.reason) for e in dispatch.history] == [
        ("dispatched", None, None),
        ("chased", "agent-7", "客户来电询问进度"),
        ("escalated", "supervisor-1", "重要客户"),
    ]
    assert dispatch.escalated


def test_a_crew_on_the_way_may_still_report_its_arrival_once_and_that_stops_the_arrival_clock():
    order = a_work_order(area=AREAS["urban"])
    dispatch, _ = opened(order, NOW)
    record_reply(dispatch, a_reply(order, kind="interim", message="抢修队已出发"), NOW, RULES)
    assert dispatch.state is State.IN_PROGRESS
    department_acted(dispatch, an_act(order, "arrive"), ROUTING, NOW + timedelta(minutes=30), RULES)
    assert live(dispatch) == ["completion", "site_report"]
    with pytest.raises(IllegalStep, match="has reported itself on site already"):
        department_acted(dispatch, an_act(order, "arrive"), ROUTING, NOW + timedelta(minutes=31), RULES)


def test_a_reply_is_on_time_by_the_deadline_its_pause_moved():
    order = a_work_order("query")  # due Wednesday 10:00
    dispatch, _ = opened(order, NOW)
    act = an_act(order, "return", department="billing", reason="missing_information")
    department_acted(dispatch, act, ROUTING, NOW, RULES)
    resumed = NOW + timedelta(days=1)  # a day waiting on the customer: due Thursday 10:00
    supervise(dispatch, a_request(order, "resume"), ROUTING, resumed, RULES)
    late_for_the_form = NOW + timedelta(days=2, hours=12)
    reply = a_reply(order, department="billing", replied_at=late_for_the_form)
    replied = record_reply(dispatch, reply, late_for_the_form, RULES)
    assert replied is not None
    assert replied.on_time
