"""Working days as the operators' calendar says: the national holidays and swapped working weekends that
chinese-calendar knows, extended by a data file an operator keeps (years the package does not know yet,
and each province's own days off or on).

A day in a year neither source knows is not guessed at: `BeyondCalendar` says which day and until when the
calendar is known, and callers decide out loud what to do about it (see services/common/deadlines.py).
"""

import json
from copy import copy
from datetime import date, datetime, time, timedelta
from functools import cached_property
from pathlib import Path
from typing import Any, Self

import chinese_calendar
from chinese_calendar import constants as national_data
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from plumbing.watched_file import WatchedFile
from services.common.rule_files import problems_of
from services.common.working_days import CHINA_TIME

DEFAULT_CALENDAR = Path(__file__).with_name("working_calendar.json")
DAY = timedelta(days=1)


class BeyondCalendar(Exception):
    """A day the calendar does not cover: an operator has to add its year to the calendar file."""

    def __init__(self, day: date, known: tuple[int, int]) -> None:
        super().__init__(
            f"{day.isoformat()} is past the working calendar (known {known[0]}-{known[1]}): add "
            f"{day.year}'s holidays and working weekends to the calendar file"
        )
        self.day = day


class Days(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    holidays: list[date] = Field(default=[], description="Days off, weekdays or not.")
    working_days: list[date] = Field(default=[], description="Weekend days worked (swapped).")

    def problems(self, where: str, year: int | None = None) -> list[str]:
        both = set(self.holidays) & set(self.working_days)
        problems = [f"{where}: {day} is both a holiday and a working day" for day in sorted(both)]
        problems += [
            f"{where}: {day} is a working day on a weekday" for day in self.working_days if day.weekday() < 5
        ]
        if year is not None:
            problems += [
                f"{where}: {day} is not in {year}"
                for day in [*self.holidays, *self.working_days]
                if day.year != year
            ]
        return problems


class CalendarFile(BaseModel):
    """The operator's part: `years` replaces the package's data for each year it lists (every holiday
    and swapped working day of that year); `provinces` adds a province's own days on top."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    years: dict[int, Days] = {}
    provinces: dict[str, Days] = {}

    @model_validator(mode="after")
    def _days_in_their_year(self) -> Self:
        problems = [p for year, days in self.years.items() for p in days.problems(f"years.{year}", year)]
        problems += [p for code, days in self.provinces.items() for p in days.problems(f"provinces.{code}")]
        known = _package_years() | set(self.years)
        problems += [
            f"years.{year}: {missing} is missing before it"
            for year in sorted(self.years)
            for missing in range(min(known), year)
            if missing not in known
        ][:1]
        if problems:
            raise ValueError("; ".join(problems))
        return self


def _package_years() -> set[int]:
    return {day.year for day in national_data.holidays} | {day.year for day in national_data.workdays}


class WorkingCalendar:
    """One province's calendar: which days are worked, and working time between moments (China time)."""

    def __init__(self, file: CalendarFile, province: str | None = None) -> None:
        self._years = _package_years() | set(file.years)
        self._extended = file.years
        local = file.provinces.get(province or "", Days())
        self._local_holidays, self._local_working = set(local.holidays), set(local.working_days)
        self.province = province
        self._guess_beyond = False
        outside = sorted(day for day in [*local.holidays, *local.working_days] if day.year not in self._years)
        if outside:
            raise ValueError(f"provinces.{province}: {outside[0]} is in a year the calendar does not know")

    @classmethod
    def load(cls, path: Path = DEFAULT_CALENDAR, province: str | None = None) -> "WorkingCalendar":
        """The calendar in the file, or ValueError naming it and listing every problem."""
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
            return cls(CalendarFile.model_validate(document), province)
        except (OSError, json.JSONDecodeError) as error:
            raise ValueError(f"{path}: not a working calendar: {error}") from error
        except ValidationError as error:
            raise ValueError(f"{path}: " + "; ".join(problems_of(error))) from error
        except ValueError as error:
            raise ValueError(f"{path}: {error}") from error

    @cached_property
    def known(self) -> tuple[int, int]:
        """The first and last year known (every year between them too)."""
        return min(self._years), max(self._years)

    def guessing_beyond(self) -> "WorkingCalendar":
        """This calendar, taking Monday to Friday as worked past the known years: for a deadline that
        must be set now and is marked provisional (never silently)."""
        guessing = copy(self)
        guessing._guess_beyond = True
        return guessing

    def is_working_day(self, day: date) -> bool:
        if day in self._local_holidays:
            return False
        if day in self._local_working:
            return True
        if day.year not in self._years:
            if self._guess_beyond:
                return day.weekday() < 5
            raise BeyondCalendar(day, self.known)
        extended = self._extended.get(day.year)
        if extended is not None:
            if day in extended.holidays:
                return False
            return day in extended.working_days or day.weekday() < 5
        return bool(chinese_calendar.is_workday(day))

    def add_working_days(self, start: datetime, days: int) -> datetime:
        """`days` whole working days of working time after `start`: from a working day's 10:00, the same
        time that many working days on; from a weekend or a holiday, the end of the last of them (a
        deadline set on a Sunday gets its full working days, not the hours left of Monday)."""
        return self.add_working_time(start, timedelta(days=days))

    def working_time_between(self, start: datetime, end: datetime) -> timedelta:
        """How much of [start, end) falls on working days: what a working-day clock paused at `start`
        still had left until `end`."""
        start, end = start.astimezone(CHINA_TIME), end.astimezone(CHINA_TIME)
        total = timedelta()
        moment = start
        while moment < end:
            midnight = datetime.combine(moment.date() + DAY, time(), CHINA_TIME)
            piece_end = min(end, midnight)
            if self.is_working_day(moment.date()):
                total += piece_end - moment
            moment = piece_end
        return total

    def add_working_time(self, start: datetime, left: timedelta) -> datetime:
        """The moment `left` of working time after `start`: where a resumed clock's deadline lands."""
        moment = start.astimezone(CHINA_TIME)
        while True:
            midnight = datetime.combine(moment.date() + DAY, time(), CHINA_TIME)
            if self.is_working_day(moment.date()):
                if moment + left <= midnight:
                    return moment + left
                left -= midnight - moment
            moment = midnight


def watched_calendar(path: Path, province: str, log: Any) -> WatchedFile[WorkingCalendar]:
    """The province's calendar, read again when an operator edits the file; a bad edit is logged with
    its problems and the calendar before it stays in force."""
    return WatchedFile(
        path,
        lambda changed: WorkingCalendar.load(changed, province),
        refused=lambda changed, problems: log.error(
            "working calendar refused", path=str(changed), problems=problems
        ),
    )
