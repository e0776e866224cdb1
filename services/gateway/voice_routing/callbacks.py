"""The CTI's callback list: the callbacks notify put on <p>.callbacks and that are still open, in this
replica's memory (read whole, a week back: a callback open longer than that has long been overdue and
alarmed). Ordered as the operators' rules have it: not yet tried first (one that rang out goes to the
end, to be dialled once more), then by the caller's queue priority (a blacklisted caller last), then by
the time each is due.

As fresh as the callbacks topic: a call's hang-up is on the list a second or so after the CTI posts it.
An attempt shows at once on the replica that took it, and on the others once notify has said where the
callback stands (a second or so while notify keeps up).
"""

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from contracts.envelope import Envelope
from contracts.events import (
    CallbackNumber,
    CallbackOutcome,
    CallbackReason,
    CallbackScheduledV1,
    CallbackState,
    CallbackUpdatedV1,
)

LISTED_FOR = timedelta(days=7)
UNKNOWN_PRIORITY = 3  # a caller the gateway could not place: with the normal tier, as intake's rules say


@dataclass(frozen=True)
class ListedCallback:
    callback_id: str
    call_id: str
    reason: CallbackReason
    number: CallbackNumber
    group_id: str | None
    due_by: datetime
    scheduled_at: datetime
    priority: int | None = None
    attempts: int = 0
    last_outcome: CallbackOutcome | None = None


@dataclass(frozen=True)
class Over:
    """A callback done or given up on: a late or repeated scheduling keeps it off the list, and a
    retried attempt still names its call."""

    call_id: str
    scheduled_at: datetime


class CallbackList:
    def __init__(self) -> None:
        self._open: dict[str, ListedCallback] = {}
        self._over: dict[str, Over] = {}

    def take(self, envelope: Envelope) -> None:
        event = envelope.data
        if isinstance(event, CallbackScheduledV1) and event.callback_id not in self._over:
            self._open.setdefault(
                event.callback_id,
                ListedCallback(
                    event.callback_id,
                    event.call_id,
                    event.reason,
                    event.number,
                    event.group_id,
                    event.due_by,
                    event.scheduled_at,
                    event.priority,
                ),
            )
        elif isinstance(event, CallbackUpdatedV1):
            if event.state is not CallbackState.OPEN:
                self._close(event.callback_id, event.call_id)
            else:
                self._tried(event.callback_id, event.attempts, event.last_outcome)

    def attempted_here(self, callback_id: str, attempts: int, outcome: CallbackOutcome) -> None:
        """An attempt this replica took, shown at once (notify's word on it follows)."""
        listed = self._open.get(callback_id)
        if listed is None:
            return
        if outcome is CallbackOutcome.ANSWERED:
            self._close(callback_id, listed.call_id)
        else:
            self._tried(callback_id, attempts, outcome)

    def _tried(self, callback_id: str, attempts: int, outcome: CallbackOutcome) -> None:
        listed = self._open.get(callback_id)
        if listed is not None and attempts >= listed.attempts:
            self._open[callback_id] = replace(listed, attempts=attempts, last_outcome=outcome)

    def _close(self, callback_id: str, call_id: str) -> None:
        listed = self._open.pop(callback_id, None)
        if callback_id not in self._over:
            scheduled_at = listed.scheduled_at if listed else datetime.now(UTC)
            self._over[callback_id] = Over(call_id, scheduled_at)

    def listed(self, callback_id: str) -> ListedCallback | None:
        return self._open.get(callback_id)

    def call_of(self, callback_id: str) -> str | None:
        """The call of a callback listed, open or over; None for one this replica does not know."""
        listed, over = self._open.get(callback_id), self._over.get(callback_id)
        return listed.call_id if listed else over.call_id if over else None

    def to_call(
        self, now: datetime, group_id: str | None = None, limit: int = 100
    ) -> tuple[list[ListedCallback], int]:
        """The open callbacks (of one group, if named) in the order to dial them, at most `limit`; and
        how many are open in all. Those owed longer ago than the list keeps them go (as they would from a
        replica starting now), and so do the ones over."""
        self._drop_before(now - LISTED_FOR)
        wanted = [c for c in self._open.values() if group_id is None or c.group_id == group_id]
        wanted.sort(key=lambda c: (c.attempts, c.priority or UNKNOWN_PRIORITY, c.due_by, c.callback_id))
        return wanted[:limit], len(wanted)

    def _drop_before(self, oldest: datetime) -> None:
        for callback_id in [c.callback_id for c in self._open.values() if c.scheduled_at < oldest]:
            del self._open[callback_id]
        for callback_id in [i for i, over in self._over.items() if over.scheduled_at < oldest]:
            del self._over[callback_id]
