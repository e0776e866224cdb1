"""When a customer may be reached (../shared/domain.md, "Proactive and outbound service": business
customers during working hours, residents after work, never in rest time), as data an operator keeps:
services/notify/quiet_hours.json, or the file QUIET_HOURS_PATH names.

A message held is not dropped: its next attempt is set to when the customer's window opens, and the
sender's timer sends it then, also after a restart (the time is stored with the message).
"""

from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from contracts.events import CustomerKind
from services.common.rule_files import read_table
from services.common.working_calendar import WorkingCalendar
from services.common.working_days import CHINA_TIME

DEFAULT_QUIET_HOURS = Path(__file__).parent.parent / "quiet_hours.json"
LOOK_AHEAD = 31  # days searched for a window: a month of holidays has one for every kind


class Window(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    start: time
    end: time

    @model_validator(mode="after")
    def _forwards(self) -> Self:
        if self.end <= self.start:
            raise ValueError(f"a window ends after it starts ({self.start} to {self.end})")
        return self


class Night(BaseModel):
    """From `start` one evening to `end` the next morning."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    start: time
    end: time

    def holds(self, moment: time) -> bool:
        return moment >= self.start or moment < self.end


class KindWindows(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    working_day: list[Window]
    rest_day: list[Window] = Field(description="Weekends and holidays; none: held to the next working day.")


class QuietHours(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    comment: str | None = Field(default=None, alias="_comment")
    night: Night
    at_once: list[str] = Field(description="Templates only the night holds ('contact.linked.*': a family).")
    by_kind: dict[CustomerKind, KindWindows]

    @model_validator(mode="after")
    def _every_kind_reachable_by_day(self) -> Self:
        problems = [
            f"by_kind: no windows for {kind.value}" for kind in CustomerKind if kind not in self.by_kind
        ]
        for kind, windows in self.by_kind.items():
            if not windows.working_day:
                problems.append(f"by_kind.{kind.value}: no window on a working day")
            for window in [*windows.working_day, *windows.rest_day]:
                if self.night.holds(window.start) or self.night.holds(_just_before(window.end)):
                    problems.append(
                        f"by_kind.{kind.value}: {window.start}-{window.end} reaches into the night"
                    )
        if problems:
            raise ValueError("; ".join(problems))
        return self

    @classmethod
    def load(cls, path: Path = DEFAULT_QUIET_HOURS) -> "QuietHours":
        return read_table(cls, path, "a quiet-hours table")

    def answers_at_once(self, template: str) -> bool:
        return any(
            template.startswith(name[:-1]) if name.endswith("*") else template == name
            for name in self.at_once
        )

    def opens(
        self, now: datetime, kind: CustomerKind | None, template: str, calendar: WorkingCalendar
    ) -> datetime:
        """`now` if the customer may be reached now, else when they next may (China time)."""
        local = now.astimezone(CHINA_TIME)
        if self.answers_at_once(template):
            return now if not self.night.holds(local.time()) else self._morning_after(local)
        windows, guessing = self.by_kind[kind or CustomerKind.RESIDENT], calendar.guessing_beyond()
        for offset in range(LOOK_AHEAD):
            day = local.date() + timedelta(days=offset)
            working = guessing.is_working_day(day)
            for window in sorted(windows.working_day if working else windows.rest_day, key=_start):
                start, end = _at(day, window.start), _at(day, window.end)
                if end > local:
                    return now if start <= local else start
        raise ValueError(f"no window for a {kind} customer within {LOOK_AHEAD} days of {local:%Y-%m-%d}")

    def _morning_after(self, local: datetime) -> datetime:
        day = local.date() if local.time() < self.night.end else local.date() + timedelta(days=1)
        return _at(day, self.night.end)


def _start(window: Window) -> time:
    return window.start


def _at(day: date, moment: time) -> datetime:
    return datetime.combine(day, moment, CHINA_TIME)


def _just_before(moment: time) -> time:
    return (datetime.combine(date.min, moment) - timedelta(seconds=1)).time()
