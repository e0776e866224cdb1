"""Time-driven work found by equality: each due time is also stored as its slot (its minute, or a
narrower slice of time where a minute holds too much to read in a round), and a timer asks for the
slots it has not finished, one equality lookup each.

A range query (`due_at <= now`) is a scan on stores whose indexes serve only equalities (FerretDB on
PostgreSQL); a slot's bucket is served by a plain index everywhere. What was due before a process
started is found once at start by the caller (by status, or from a checkpoint), so a tick never walks
back through time.
"""

from datetime import UTC, datetime, timedelta

MINUTE = timedelta(minutes=1)


def _floor(moment: datetime, width: timedelta) -> datetime:
    seconds = int(width.total_seconds())
    utc = moment.astimezone(UTC)
    return datetime.fromtimestamp(int(utc.timestamp()) // seconds * seconds, UTC)


def _name(slot: datetime, width: timedelta) -> str:
    # Whole minutes keep the minute's name ("2026-12-01T22:05Z"), as notify has always stored them.
    return slot.strftime("%Y-%m-%dT%H:%MZ" if width % MINUTE == timedelta() else "%Y-%m-%dT%H:%M:%SZ")


def slot_of(moment: datetime | None, width: timedelta = MINUTE) -> str | None:
    """The bucket a due time is stored under: its UTC slot of `width`, e.g. "2026-12-01T22:05:10Z"."""
    if moment is None:
        return None
    return _name(_floor(moment, width), width)


def minute_of(moment: datetime | None) -> str | None:
    """The bucket a due time is stored under: its UTC minute, e.g. "2026-12-01T22:05Z"."""
    return slot_of(moment, MINUTE)


class DueMinutes:
    """The slots (minutes by default) a timer still has to look at: every slot from the first it has not
    finished up to the current one, which stays open (more of it falls due) until the clock has passed
    it."""

    # How long after the clock has passed a slot it is still looked at: writes that land late.
    LATE = timedelta(minutes=2)

    def __init__(self, started: datetime, width: timedelta = MINUTE) -> None:
        if width <= timedelta() or (MINUTE % width and width % MINUTE):
            raise ValueError("a slot divides a minute, or is a whole number of minutes")
        self._width = width
        self._open = _floor(started, width)

    def to_look_at(self, now: datetime, since: datetime | None = None) -> list[str]:
        """The open slots up to `now`'s; from `since`'s only, when given (a round that reads the recent
        slots alone, the older ones being read by another, less often)."""
        slots = []
        slot = self._open if since is None else max(self._open, _floor(since, self._width))
        while slot <= now:
            slots.append(_name(slot, self._width))
            slot += self._width
        return slots

    def looked_at(self, now: datetime) -> None:
        """Everything due up to `now` was found: earlier slots are finished, now's stays open (callers
        pass a moment some time back, `LATE`, to keep the last slots open for late writes)."""
        self._open = max(self._open, _floor(now, self._width))
