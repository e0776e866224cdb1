"""Which closed work orders get a follow-up visit, and when the call may be made."""

import hashlib
from datetime import datetime, time, timedelta
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from contracts.events import WorkOrderType
from services.common.deadlines import Deadline
from services.common.rule_files import read_table
from services.common.working_calendar import WorkingCalendar
from services.common.working_days import CHINA_TIME

DEFAULT_RULES = Path(__file__).parents[1] / "followup_rules.json"


class Sampling(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    rate: float = Field(ge=0.0, le=1.0)
    within: Deadline


class CallingHours(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    start: time
    end: time
    next_day_at: time


class FollowUpPolicy(BaseModel):
    # A misspelt key is a mistake to report: a dropped `always_up_to_priority` would quietly stop the
    # VIP follow-ups.
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    comment: str | None = Field(default=None, alias="_comment")
    by_type: dict[WorkOrderType, Sampling]
    default: Sampling
    calling_hours: CallingHours
    # Customers this high in the queue (VIP, high tier) are always called back; None: none always are.
    always_up_to_priority: int | None = Field(default=None, ge=1)

    @classmethod
    def load(cls, path: Path = DEFAULT_RULES) -> "FollowUpPolicy":
        """The rules in a file, or ValueError listing every problem in it."""
        return read_table(cls, path, "a follow-up rule file")

    def sampling(self, work_order_type: WorkOrderType) -> Sampling:
        return self.by_type.get(work_order_type, self.default)

    def selects(
        self, work_order_id: str, work_order_type: WorkOrderType, priority: int | None = None
    ) -> bool:
        """Deterministic sampling: a redelivered event gets the same answer, and ids spread evenly.
        `priority`: the customer's queue priority, where the work order carries one."""
        if self._always(priority):
            return True
        rate = self.sampling(work_order_type).rate
        digest = hashlib.sha256(work_order_id.encode()).digest()
        return int.from_bytes(digest[:8], "big") / 2**64 < rate

    def due(self, work_order_type: WorkOrderType, closed_at: datetime, calendar: WorkingCalendar) -> datetime:
        """Within the rule's deadline, out of rest time: a repair closed at 23:00 is called next morning."""
        due = self.sampling(work_order_type).within.due(closed_at, calendar).at.astimezone(CHINA_TIME)
        hours = self.calling_hours
        if due.time() >= hours.end:
            return datetime.combine(due.date() + timedelta(days=1), hours.next_day_at, CHINA_TIME)
        if due.time() < hours.start:
            return datetime.combine(due.date(), hours.next_day_at, CHINA_TIME)
        return due

    def describe(self, work_order_type: WorkOrderType, priority: int | None = None) -> str:
        if self._always(priority):
            return (
                f"{work_order_type.value}: every customer at priority {self.always_up_to_priority} or better"
            )
        return f"{work_order_type.value}: {self.sampling(work_order_type).rate:.0%}"

    def _always(self, priority: int | None) -> bool:
        limit = self.always_up_to_priority
        return priority is not None and limit is not None and priority <= limit
