"""A work order's SLA clocks as readers see them: what each stage is due by, and how it stands now."""

from datetime import datetime

from pydantic import BaseModel, Field

from contracts.events import ClockReading


class ClockShown(BaseModel):
    stage: str = Field(description="The SLA stage: arrival, site_report, result, customer_reply, ...")
    dispatch_id: str = Field(description="The dispatch form it runs on.")
    started_at: datetime
    due_at: datetime | None = Field(description="When the stage is due; none while paused.")
    paused: bool = Field(description="Waiting on the customer: it keeps the time it had left.")
    left_seconds: float | None = Field(
        description="Until it is due, as of this read (negative: overdue); while paused, what it kept."
    )
    warned: bool = Field(description="Its deadline warning has been raised.")
    alarms: int = Field(description="Alarms raised: 1 at the breach, one more each alarm interval.")
    overdue: bool
    provisional: str | None = Field(
        description="Why its deadline is a guess (past the working calendar's known years)."
    )


def clocks_shown(clocks: tuple[ClockReading, ...], now: datetime) -> list[ClockShown]:
    return [
        ClockShown(
            stage=clock.stage,
            dispatch_id=clock.dispatch_id,
            started_at=clock.started_at,
            due_at=clock.due_at,
            paused=clock.due_at is None,
            left_seconds=(clock.due_at - now).total_seconds() if clock.due_at else clock.left_seconds,
            warned=clock.warned,
            alarms=clock.alarms,
            overdue=clock.due_at is not None and clock.due_at < now,
            provisional=clock.provisional,
        )
        for clock in sorted(clocks, key=lambda c: (c.due_at is None, c.due_at or c.started_at, c.stage))
    ]
