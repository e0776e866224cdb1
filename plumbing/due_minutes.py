"""Time-driven work found by equality: each due time is also stored as its minute, and a timer asks for
the minutes it has not finished, one equality lookup each.

A range query (`due_at <= now`) is a scan on stores whose indexes serve only equalities (FerretDB on
PostgreSQL); a minute's bucket is served by a plain index everywhere. What was due before a process
started is found once at start by the caller (by status, say), so a tick never walks back through time.
"""

from datetime import UTC, datetime, timedelta

MINUTE = timedelta(minutes=1)


def minute_of(moment: datetime | None) -> str | None:
    """The bucket a due time is stored under: its UTC minute, e.g. "2026-12-01T22:05Z"."""
    if moment is None:
        return None
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%MZ")


def _floor(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(second=0, microsecond=0)


class DueMinutes:
    """The minutes a timer still has to look at: every minute from the first it has not finished up to
    the current one, which stays open (more of it falls due) until the clock has passed it."""

    # How long after the clock has passed a minute it is still looked at: writes that land late.
    LATE = timedelta(minutes=2)

    def __init__(self, started: datetime) -> None:
        self._open = _floor(started)

    def to_look_at(self, now: datetime) -> list[str]:
        minutes = []
        minute = self._open
        while minute <= now:
            minutes.append(minute.strftime("%Y-%m-%dT%H:%MZ"))
            minute += MINUTE
        return minutes

    def looked_at(self, now: datetime) -> None:
        """Everything due up to `now` was found: earlier minutes are finished, now's stays open (callers
        pass a moment some time back, `LATE`, to keep the last minutes open for late writes)."""
        self._open = max(self._open, _floor(now))
