"""A deadline as operators write it in their rules: so many minutes or hours, calendar days, or working
days on the working calendar."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from services.common.working_calendar import BeyondCalendar, WorkingCalendar


@dataclass(frozen=True)
class Due:
    at: datetime
    # Set past the calendar's known years, counting Monday to Friday: to be confirmed once an operator
    # adds the year (the reason says which day it was).
    provisional: str | None = None


class Deadline(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    minutes: float | None = Field(default=None, gt=0)
    hours: float | None = Field(default=None, gt=0)
    days: int | None = Field(default=None, gt=0, description="Calendar days (a month is 30).")
    working_days: int | None = Field(default=None, gt=0)

    @model_validator(mode="after")
    def _exactly_one(self) -> Self:
        given = [value for value in (self.minutes, self.hours, self.days, self.working_days) if value]
        if len(given) != 1:
            raise ValueError("give exactly one of minutes, hours, days or working_days")
        return self

    @property
    def counts_working_time(self) -> bool:
        """Whether time left on this deadline is working time (a pause over a weekend costs none)."""
        return self.working_days is not None

    def due(self, start: datetime, calendar: WorkingCalendar) -> Due:
        if self.working_days is None:
            return Due(start + self.length())
        try:
            return Due(calendar.add_working_days(start, self.working_days))
        except BeyondCalendar as beyond:
            guessed = calendar.guessing_beyond().add_working_days(start, self.working_days)
            return Due(guessed, provisional=str(beyond))

    def length(self) -> timedelta:
        """The wall-clock length of a deadline counted in minutes, hours or days."""
        assert self.working_days is None
        return timedelta(minutes=self.minutes or 0, hours=self.hours or 0, days=self.days or 0)
