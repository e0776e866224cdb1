"""Where a work order's SLA clocks stand after a step: every step's event carries them, so a reader (the
gateway's lists, a wallboard) knows what is due when without asking dispatch."""

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class ClockReading(BaseModel):
    """One live clock: a stage's window on one dispatch form."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    stage: str = Field(description="The SLA stage, e.g. 'arrival', 'result', 'customer_reply'.")
    dispatch_id: str = Field(description="The dispatch form it runs on.")
    started_at: datetime
    due_at: datetime | None = Field(default=None, description="None while paused (waiting on the customer).")
    left_seconds: float | None = Field(
        default=None, description="While paused: the time it had left, negative if it was overdue."
    )
    warned: bool = Field(default=False, description="Its deadline warning has been raised.")
    alarms: int = Field(default=0, ge=0, description="Alarms raised so far: 1 or more once overdue.")
    provisional: str | None = Field(
        default=None, description="Why its deadline is a guess: it falls past the working calendar's years."
    )
