"""The CTI's callback list: the callbacks notify put on <p>.callbacks and that are still open, in this
replica's memory (read whole, a week back: a callback open longer than that has long been overdue and
alarmed). Ordered as the operators' auto-dial rule has it: not yet tried first, by the time each is due;
one that rang out goes to the end, to be dialled once more.

As fresh as the callbacks topic: a call's hang-up is on the list a second or so after the CTI posts it,
and an attempt's outcome as soon after.
"""

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

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


@dataclass(frozen=True)
class ListedCallback:
    callback_id: str
    call_id: str
    reason: CallbackReason
    number: CallbackNumber
    group_id: str | None
    due_by: datetime
    scheduled_at: datetime
    attempts: int = 0
    last_outcome: CallbackOutcome | None = None


class CallbackList:
    def __init__(self) -> None:
        self._open: dict[str, ListedCallback] = {}
        self._over: set[str] = set()  # done or given up on: a late or repeated scheduling stays off

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
                ),
            )
        elif isinstance(event, CallbackUpdatedV1):
            listed = self._open.get(event.callback_id)
            if event.state is not CallbackState.OPEN:
                self._open.pop(event.callback_id, None)
                self._over.add(event.callback_id)
            elif listed is not None and event.attempts >= listed.attempts:
                self._open[event.callback_id] = replace(
                    listed, attempts=event.attempts, last_outcome=event.last_outcome
                )

    def listed(self, callback_id: str) -> ListedCallback | None:
        return self._open.get(callback_id)

    def is_over(self, callback_id: str) -> bool:
        return callback_id in self._over

    def to_call(self, group_id: str | None = None, limit: int = 100) -> tuple[list[ListedCallback], int]:
        """The open callbacks (of one group, if named) in the order to dial them, at most `limit`; and
        how many are open in all."""
        wanted = [c for c in self._open.values() if group_id is None or c.group_id == group_id]
        wanted.sort(key=lambda c: (c.attempts, c.due_by, c.callback_id))
        return wanted[:limit], len(wanted)
