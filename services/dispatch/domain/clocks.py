"""One SLA clock: a stage's window on one dispatch form, its warning, its alarms, its pauses.

A clock warns once when the configured share of its window has passed and raises an alarm at the breach,
then one more each alarm interval while it stays overdue. After an outage it catches up in one go: the
warning (once), then one alarm whose number counts the intervals overdue. While the work order waits on the
customer it is paused and keeps the time it had left: working time for a working-day window (a weekend in
the pause costs it nothing), wall time for one in minutes, hours or days.
"""

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from contracts.events import ClockReading
from services.common.deadlines import Deadline
from services.common.working_calendar import BeyondCalendar, WorkingCalendar
from services.dispatch.domain.lifecycle import Step


@dataclass
class Clock:
    stage: str
    dispatch_id: str
    within: Deadline
    started_at: datetime
    due_at: datetime | None  # None while paused
    warn_at: datetime | None
    left: timedelta | None = None  # while paused: until the deadline, and until the warning
    warn_left: timedelta | None = None
    warned: bool = False
    alarms: int = 0
    escalated: bool = False
    stopped_at: datetime | None = None
    # Set past the calendar's known years (Monday to Friday counted): why, until an operator adds them.
    provisional: str | None = None
    resumed: bool = False  # its deadline counts from a resume, not from its start

    @classmethod
    def start(
        cls,
        stage: str,
        dispatch_id: str,
        within: Deadline,
        now: datetime,
        calendar: WorkingCalendar,
        warning_at: float,
    ) -> "Clock":
        due = within.due(now, calendar)
        clock = cls(stage, dispatch_id, within, now, due.at, None, provisional=due.provisional)
        # A share of the window as the window counts: a working-day stage warns on a working day.
        clock.warn_at = clock._after(now, clock._between(now, due.at, calendar) * warning_at, calendar)[0]
        return clock

    @property
    def key(self) -> str:
        """The clock among all of its work order's: a stage may run again on a form (after a resume)."""
        return f"{self.dispatch_id}:{self.stage}:{self.started_at.isoformat()}"

    @property
    def live(self) -> bool:
        return self.stopped_at is None

    @property
    def running(self) -> bool:
        return self.live and self.due_at is not None

    @property
    def paused(self) -> bool:
        return self.live and self.due_at is None

    def stop(self, now: datetime) -> None:
        if self.live:
            self.stopped_at = now

    def pause(self, now: datetime, calendar: WorkingCalendar) -> None:
        if not self.running:
            return
        assert self.due_at is not None
        assert self.warn_at is not None
        self.left = self._between(now, self.due_at, calendar)
        self.warn_left = None if self.warned else self._between(now, self.warn_at, calendar)
        self.due_at = self.warn_at = None

    def resume(self, now: datetime, calendar: WorkingCalendar) -> None:
        if not self.paused:
            return
        assert self.left is not None
        self.due_at, beyond = self._after(now, self.left, calendar)
        self.warn_at = (
            self.due_at if self.warn_left is None else self._after(now, self.warn_left, calendar)[0]
        )
        self.provisional = beyond or self.provisional
        self.left = self.warn_left = None
        self.resumed = True

    def confirm(self, calendar: WorkingCalendar, warning_at: float) -> None:
        """A provisional deadline set again once the calendar knows its days (an operator added the
        year): from its start, if it never paused (a resumed one keeps its guess, and says so)."""
        if not self.provisional or not self.running or self.warned or self.resumed:
            return
        known = Clock.start(self.stage, self.dispatch_id, self.within, self.started_at, calendar, warning_at)
        if known.provisional is None:
            self.due_at, self.warn_at, self.provisional = known.due_at, known.warn_at, None

    def next_at(self, alarm_every: timedelta) -> datetime | None:
        """When this clock next has something to say; None once stopped or while paused."""
        if not self.running:
            return None
        assert self.due_at is not None
        assert self.warn_at is not None
        if not self.warned:
            return self.warn_at
        return self.due_at + alarm_every * self.alarms

    def fire(self, now: datetime, alarm_every: timedelta) -> list[tuple[Step, int]]:
        """What has fallen due by `now`: a warning (0) and an alarm (its number), each once."""
        fired: list[tuple[Step, int]] = []
        if not self.running:
            return fired
        assert self.due_at is not None
        assert self.warn_at is not None
        if not self.warned and self.warn_at <= now:
            self.warned = True
            fired.append((Step.WARNING, 0))
        if now >= self.due_at:
            alarms = 1 + int((now - self.due_at) / alarm_every)
            if alarms > self.alarms:
                self.alarms = alarms
                fired.append((Step.ALARM, alarms))
        return fired

    def overdue(self, now: datetime) -> bool:
        return self.running and self.due_at is not None and now > self.due_at

    def _between(self, start: datetime, end: datetime, calendar: WorkingCalendar) -> timedelta:
        # Overdue (end passed) keeps its sign in wall time: resumed, it is as overdue as it was.
        if not self.within.counts_working_time or end < start:
            return end - start
        try:
            return calendar.working_time_between(start, end)
        except BeyondCalendar:
            return calendar.guessing_beyond().working_time_between(start, end)

    def _after(
        self, start: datetime, left: timedelta, calendar: WorkingCalendar
    ) -> tuple[datetime, str | None]:
        if not self.within.counts_working_time or left < timedelta():
            return start + left, None
        try:
            return calendar.add_working_time(start, left), None
        except BeyondCalendar as beyond:
            return calendar.guessing_beyond().add_working_time(start, left), str(beyond)

    def reading(self) -> ClockReading:
        """As its work order's events tell readers where it stands."""
        return ClockReading(
            stage=self.stage,
            dispatch_id=self.dispatch_id,
            started_at=self.started_at,
            due_at=self.due_at,
            left_seconds=self.left.total_seconds() if self.paused and self.left is not None else None,
            warned=self.warned,
            alarms=self.alarms,
            provisional=self.provisional,
        )

    def copy(self) -> "Clock":
        return replace(self)
