"""The operators' SLA rules as a table of cases: when each clock of a work order falls due, on the
working calendar (Spring Festival and National Day 2026 with their swapped working weekends), across a
province's own holiday, past the known calendar, and through a pause."""

import json
from datetime import datetime, timedelta

import pytest

from contracts.events import Area
from services.common.deadlines import Deadline
from services.common.working_calendar import BeyondCalendar, WorkingCalendar
from services.common.working_days import CHINA_TIME
from services.dispatch.domain.clocks import Clock
from tests.fake_dispatch import AREAS, CALENDAR, a_work_order, opened


def china(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=CHINA_TIME)


def due(stage: str, order, at: datetime) -> datetime:
    dispatch, _ = opened(order, at)
    clock = next(clock for clock in dispatch.clocks if clock.stage == stage)
    assert clock.due_at is not None
    return clock.due_at.astimezone(CHINA_TIME)


CASES = [
    # (rule, work order, stage, dispatched at, due at)
    (
        "urban repair: crew on site within 45 min",
        a_work_order(area=AREAS["urban"]),
        "arrival",
        china(2026, 11, 23, 10, 0),
        china(2026, 11, 23, 10, 45),
    ),
    (
        "suburban repair: within 90 min",
        a_work_order(area=AREAS["suburban"]),
        "arrival",
        china(2026, 11, 23, 23, 0),
        china(2026, 11, 24, 0, 30),
    ),
    (
        "remote repair: within 2 h, holidays or not",
        a_work_order(area=AREAS["remote"]),
        "arrival",
        china(2026, 2, 17, 9, 0),
        china(2026, 2, 17, 11, 0),
    ),
    (
        "complaint: result within 2 days",
        a_work_order("complaint", category="billing"),
        "result",
        china(2026, 11, 27, 15, 0),
        china(2026, 11, 29, 15, 0),
    ),
    (
        "complaint: interim reply within 1 working day",
        a_work_order("complaint", category="billing"),
        "interim",
        china(2026, 11, 27, 15, 0),
        china(2026, 11, 30, 15, 0),
    ),
    (
        "query: 2 working days, Friday to Tuesday",
        a_work_order("query"),
        "result",
        china(2026, 11, 27, 9, 30),
        china(2026, 12, 1, 9, 30),
    ),
    (
        "query before Spring Festival: the holiday is skipped, Saturday 28 Feb is worked",
        a_work_order("query"),
        "result",
        china(2026, 2, 13, 10, 0),
        china(2026, 2, 24, 10, 0),
    ),
    (
        "consultation on the swapped Saturday 14 Feb counts it as worked",
        a_work_order("consultation"),
        "result",
        china(2026, 2, 14, 10, 0),
        china(2026, 2, 25, 10, 0),
    ),
    (
        "report: 9 working days across Mid-Autumn and National Day, Sunday 20 Sep worked",
        a_work_order("report"),
        "result",
        china(2026, 9, 18, 10, 0),
        china(2026, 10, 8, 10, 0),
    ),
    (
        "residential connection: 5 working days, Saturday 10 Oct worked",
        a_work_order("service_application", category="new_connection"),
        "result",
        china(2026, 9, 29, 10, 0),
        china(2026, 10, 12, 10, 0),
    ),
    (
        "low-voltage plan: 10 days",
        a_work_order("service_application", category="low_voltage_plan"),
        "result",
        china(2026, 9, 29, 10, 0),
        china(2026, 10, 9, 10, 0),
    ),
    (
        "high-voltage dual source: 2 months",
        a_work_order("service_application", category="high_voltage_dual_source"),
        "result",
        china(2026, 9, 1, 10, 0),
        china(2026, 10, 31, 10, 0),
    ),
]


@pytest.mark.parametrize(
    ("rule", "order", "stage", "dispatched", "expected"), CASES, ids=[c[0] for c in CASES]
)
def test_the_clock_falls_due_as_the_rule_says(rule, order, stage, dispatched, expected):
    assert due(stage, order, dispatched) == expected


def province_calendar(tmp_path, province: str, **days: list[str]) -> WorkingCalendar:
    path = tmp_path / "calendar.json"
    path.write_text(json.dumps({"provinces": {province: days}}))
    return WorkingCalendar.load(path, province)


def test_a_provinces_own_holiday_moves_its_deadlines_and_no_other_provinces(tmp_path):
    # A made-up two-day provincial festival on Thursday and Friday 19-20 November 2026.
    days = {"holidays": ["2026-11-19", "2026-11-20"]}
    local = province_calendar(tmp_path, "gx", **days)
    elsewhere = WorkingCalendar.load(tmp_path / "calendar.json", "gd")
    wednesday = china(2026, 11, 18, 10, 0)
    assert Deadline(working_days=2).due(wednesday, local).at == china(2026, 11, 24, 10, 0)
    assert Deadline(working_days=2).due(wednesday, elsewhere).at == china(2026, 11, 20, 10, 0)


def test_a_deadline_past_the_known_calendar_is_set_monday_to_friday_and_marked_provisional():
    assert CALENDAR.known[1] == 2026
    due = Deadline(working_days=9).due(china(2026, 12, 28, 10, 0), CALENDAR)
    assert due.at == china(2027, 1, 8, 10, 0)
    assert due.provisional is not None
    assert "add 2027's holidays and working weekends to the calendar file" in due.provisional
    with pytest.raises(BeyondCalendar):
        CALENDAR.add_working_days(china(2026, 12, 28, 10, 0), 9)


def test_an_operator_adds_a_year_and_its_deadlines_are_no_longer_provisional(tmp_path):
    path = tmp_path / "calendar.json"
    year = {"holidays": ["2027-01-01"], "working_days": ["2027-01-09"]}  # a made-up schedule
    path.write_text(json.dumps({"years": {"2027": year}}))
    calendar = WorkingCalendar.load(path)
    due = Deadline(working_days=9).due(china(2026, 12, 28, 10, 0), calendar)
    assert (due.at, due.provisional) == (china(2027, 1, 9, 10, 0), None)


def test_a_bad_calendar_file_is_refused_with_every_problem_listed(tmp_path):
    path = tmp_path / "calendar.json"
    bad = {"years": {"2028": {"holidays": ["2027-05-01"], "working_days": ["2028-05-03"]}}}
    path.write_text(json.dumps(bad))
    with pytest.raises(ValueError, match="2028-05-03 is a working day on a weekday") as refused:
        WorkingCalendar.load(path)
    assert "years.2028: 2027-05-01 is not in 2028" in str(refused.value)
    assert "years.2028: 2027 is missing before it" in str(refused.value)


def test_a_working_day_clock_paused_over_a_weekend_loses_no_time():
    clock = Clock.start("result", "D-1", Deadline(working_days=2), china(2026, 11, 27, 16, 0), CALENDAR, 0.75)
    assert clock.due_at == china(2026, 12, 1, 16, 0)  # Friday 16:00 to Tuesday 16:00
    clock.pause(china(2026, 11, 27, 18, 0), CALENDAR)  # Friday 18:00: 6 + 24 + 16 working hours left
    assert clock.left == timedelta(hours=46)
    clock.resume(china(2026, 11, 30, 9, 0), CALENDAR)  # Monday 09:00
    assert clock.due_at == china(2026, 12, 2, 7, 0)  # 15 + 24 + 7 hours on


def test_an_hours_clock_paused_keeps_the_wall_time_it_had_left():
    area: Area = AREAS["urban"]
    dispatch, _ = opened(a_work_order(area=area), china(2026, 11, 23, 10, 0))
    arrival = next(clock for clock in dispatch.clocks if clock.stage == "arrival")
    arrival.pause(china(2026, 11, 23, 10, 30), CALENDAR)
    arrival.resume(china(2026, 11, 23, 12, 0), CALENDAR)
    assert arrival.due_at == china(2026, 11, 23, 12, 15)


def test_a_working_day_stage_warns_on_a_working_day():
    friday = china(2026, 11, 27, 17, 0)
    clock = Clock.start("customer_reply", "D-1", Deadline(working_days=1), friday, CALENDAR, 0.75)
    assert clock.due_at == china(2026, 11, 30, 17, 0)
    assert clock.warn_at == china(2026, 11, 30, 11, 0)  # 18 of its 24 working hours: Monday 11:00


def test_a_deadline_set_on_a_sunday_gets_a_whole_working_day():
    sunday = china(2026, 11, 29, 0, 30)
    assert Deadline(working_days=1).due(sunday, CALENDAR).at == china(2026, 12, 1, 0, 0)


def test_a_clock_paused_while_overdue_is_as_overdue_when_it_resumes():
    start = china(2026, 11, 23, 10, 0)
    clock = Clock.start("result", "D-1", Deadline(working_days=1), start, CALENDAR, 0.75)
    clock.pause(china(2026, 11, 24, 15, 0), CALENDAR)  # five hours overdue
    clock.resume(china(2026, 11, 26, 9, 0), CALENDAR)
    assert clock.due_at == china(2026, 11, 26, 4, 0)


def test_a_provisional_deadline_is_set_again_once_an_operator_adds_its_year(tmp_path):
    start = china(2026, 12, 28, 10, 0)
    clock = Clock.start("result", "D-1", Deadline(working_days=9), start, CALENDAR, 0.75)
    assert (clock.due_at, clock.provisional is not None) == (china(2027, 1, 8, 10, 0), True)
    path = tmp_path / "calendar.json"
    path.write_text(json.dumps({"years": {"2027": {"holidays": ["2027-01-01"], "working_days": []}}}))
    clock.confirm(WorkingCalendar.load(path), 0.75)
    assert (clock.due_at, clock.provisional) == (china(2027, 1, 11, 10, 0), None)
