"""The SLA table as operators edit it: refused with every problem listed, and read again on a change
with a bad edit refused while the table before it keeps the clocks."""

import json

import pytest

from services.dispatch.domain.sla import SlaTable

RESULT = {"stage": "result", "within": {"working_days": 2}, "starts": "dispatched", "ends": ["final_reply"]}


def table(**changes: object) -> dict[str, object]:
    return {
        "clocks": {"warning_at": 0.75, "alarm_every": {"hours": 2}, "escalate_after_alarms": 3},
        "plans": [{"name": "query", "type": "query", "stages": [RESULT | {"result": True}]}],
        "default": {"stages": [RESULT | {"result": True}]},
    } | changes


def test_the_shipped_table_gives_every_plan_one_result_stage():
    shipped = SlaTable.load()
    assert all(sum(stage.result for stage in plan.stages) == 1 for plan in [*shipped.plans, shipped.default])


def test_a_table_is_refused_with_every_problem_listed(tmp_path):
    path = tmp_path / "sla.json"
    wide = {"name": "repair", "type": "fault_repair", "stages": [RESULT | {"result": True}]}
    narrow = wide | {"name": "repair-urban", "area_kinds": ["urban"]}
    no_result = {"name": "report", "type": "report", "stages": [RESULT]}
    loops = RESULT | {"stage": "answer", "starts": "closed", "ends": ["closed"]}
    looping = {"name": "complaint", "type": "complaint", "stages": [RESULT | {"result": True}, loops]}
    path.write_text(json.dumps(table(plans=[wide, no_result, looping])))
    with pytest.raises(
        ValueError, match=r"plans\.1: Value error, exactly one stage is the result"
    ) as refused:
        SlaTable.load(path)
    assert "plans.2.stages.1: Value error, answer: cannot end at the step that starts it" in str(
        refused.value
    )
    # Once every plan reads, the table's own problems: a plan an earlier one hides.
    path.write_text(json.dumps(table(plans=[wide, narrow])))
    with pytest.raises(ValueError, match=r"plans\.1: never matches, plan 0 takes all it would"):
        SlaTable.load(path)


def test_an_alarm_interval_in_working_days_is_refused(tmp_path):
    path = tmp_path / "sla.json"
    clocks = {"warning_at": 0.75, "alarm_every": {"working_days": 1}, "escalate_after_alarms": 3}
    path.write_text(json.dumps(table(clocks=clocks)))
    with pytest.raises(ValueError, match=r"clocks\.alarm_every: give minutes, hours or days"):
        SlaTable.load(path)


def test_a_work_order_gets_the_first_plan_that_matches_and_the_default_otherwise():
    from tests.fake_dispatch import AREAS, a_work_order

    shipped = SlaTable.load()
    assert shipped.plan_for(a_work_order(area=AREAS["remote"])).name == "repair-remote"
    assert shipped.plan_for(a_work_order()).name == "repair"
    connection = a_work_order("service_application", category="new_connection")
    assert shipped.plan_for(connection).name == "residential-connection"
    assert shipped.plan_for(a_work_order("praise")).name == "default"
