from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from plumbing.due_minutes import DueMinutes, minute_of

START = datetime(2026, 12, 1, 22, 4, 30, tzinfo=UTC)


def test_a_due_time_is_stored_under_its_utc_minute():
    china = datetime(2026, 12, 2, 6, 5, 59, tzinfo=UTC).astimezone(tz=None)
    assert minute_of(china) == "2026-12-02T06:05Z"
    assert minute_of(None) is None


def test_the_current_minute_stays_open_until_the_clock_has_passed_it():
    due = DueMinutes(START)
    assert due.to_look_at(START) == ["2026-12-01T22:04Z"]
    due.looked_at(START)
    assert due.to_look_at(START + timedelta(seconds=20)) == ["2026-12-01T22:04Z"]
    due.looked_at(START + timedelta(seconds=40))
    assert due.to_look_at(START + timedelta(seconds=40)) == ["2026-12-01T22:05Z"]


def test_a_round_that_did_not_finish_looks_at_its_minutes_again():
    due = DueMinutes(START)
    later = START + timedelta(minutes=3)
    assert len(due.to_look_at(later)) == 4
    assert len(due.to_look_at(later)) == 4, "nothing is closed until looked_at"


@given(
    ticks=st.lists(st.integers(min_value=1, max_value=400), min_size=1, max_size=30),
    due_after=st.integers(min_value=0, max_value=4000),
)
def test_every_time_that_falls_due_is_in_a_minute_some_round_looks_at(ticks, due_after):
    due_at = START + timedelta(seconds=due_after)
    due, now, seen = DueMinutes(START), START, False
    for step in ticks:
        now += timedelta(seconds=step)
        seen = seen or (due_at <= now and minute_of(due_at) in due.to_look_at(now))
        due.looked_at(now)
    assert seen or due_at > now
