"""First-contact ownership for contacts no agent took (web, SMS): the province desk's duty roster (data,
checked when intake starts), and who of it is on duty at a moment, in China time.

The roster's agents are named by their gateway principals' ids, so an agent's list is theirs to read.
"""

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, model_validator

from services.common.rule_files import read_table
from services.common.working_days import CHINA_TIME

DEFAULT_ROSTERS = Path(__file__).parents[1] / "duty"
EVERY_DAY = [1, 2, 3, 4, 5, 6, 7]


class Shift(BaseModel):
    """From `start` to `end` on each of `days` (ISO weekdays, Monday 1); a shift whose end is not after
    its start runs overnight into the next morning."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    days: list[int] = Field(default=EVERY_DAY, min_length=1)
    start: time
    end: time

    @model_validator(mode="after")
    def _real_days(self) -> "Shift":
        if any(day not in EVERY_DAY for day in self.days):
            raise ValueError("days are ISO weekdays, 1 (Monday) to 7 (Sunday)")
        return self

    def covers(self, moment: datetime) -> bool:
        local = moment.astimezone(CHINA_TIME)
        at = local.time().replace(tzinfo=None)
        if self.start < self.end:
            return local.isoweekday() in self.days and self.start <= at < self.end
        started_today = local.isoweekday() in self.days and at >= self.start
        yesterday = (local - timedelta(days=1)).isoweekday()
        return started_today or (yesterday in self.days and at < self.end)


class DeskAgent(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[A-Za-z0-9._-]{1,128}$", description="The agent's principal id.")
    shifts: list[Shift] = Field(min_length=1)


class RosterFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    comment: str | None = Field(default=None, alias="_comment")
    province: str
    agents: list[DeskAgent] = Field(min_length=1)

    @model_validator(mode="after")
    def _each_agent_once(self) -> "RosterFile":
        ids = [agent.id for agent in self.agents]
        twice = sorted({i for i in ids if ids.count(i) > 1})
        if twice:
            raise ValueError(f"an agent is listed once: {', '.join(twice)} more than once")
        return self


@dataclass(frozen=True)
class DutyRoster:
    province: str | None  # None: no roster, every unassigned contact waits in the desk's queue
    agents: tuple[DeskAgent, ...]

    @classmethod
    def load(cls, path: Path, province: str) -> "DutyRoster":
        table = read_table(RosterFile, path, "a duty roster")
        if table.province != province:
            raise ValueError(f"{path}: the roster is {table.province}'s, this subsystem {province}'s")
        return cls(table.province, tuple(table.agents))

    @classmethod
    def empty(cls) -> "DutyRoster":
        return cls(None, ())

    def on_duty(self, moment: datetime) -> list[str]:
        """The agents whose shift covers `moment`, in the roster's order."""
        return [a.id for a in self.agents if any(shift.covers(moment) for shift in a.shifts)]


def roster_for(province: str, path: Path | None) -> DutyRoster:
    """The province's roster: `path`, else the one shipped for the province, else none."""
    if path is not None:
        return DutyRoster.load(path, province)
    shipped = DEFAULT_ROSTERS / f"{province}.json"
    return DutyRoster.load(shipped, province) if shipped.exists() else DutyRoster.empty()
