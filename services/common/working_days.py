"""Working days on the national calendar (official holidays and swapped working weekends).

chinese-calendar ships data a year at a time; beyond its last year we fall back to Monday-Friday rather
than refuse to set a deadline, and say so, so an operator knows to upgrade the package.
"""

import warnings
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar

CHINA_TIME = ZoneInfo("Asia/Shanghai")


class CalendarDataMissing(UserWarning):
    pass


def is_working_day(day: date) -> bool:
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        warnings.warn(
            f"no holiday data for {day.year}; counting Monday-Friday", CalendarDataMissing, stacklevel=2
        )
        return day.weekday() < 5


def add_working_days(start: datetime, days: int) -> datetime:
    """The same local clock time `days` working days after `start` (China time)."""
    local = start.astimezone(CHINA_TIME)
    day = local.date()
    remaining = days
    while remaining > 0:
        day += timedelta(days=1)
        if is_working_day(day):
            remaining -= 1
    return datetime.combine(day, local.timetz())
