"""Callbacks the hotline owes (../shared/domain.md, "Voice call distribution"): a mid-tier caller who
hangs up while queueing is called back within 24 hours, and so is any caller who asks for it in the IVR.

Notify follows each call that may come to owe one through its events, in the order the CTI posted them
(the voice topic is keyed by call), and puts the callback on the CTI's list once, however many of the
call's events say so and however often they are delivered. Which customers are owed one is the gateway's
to tell, on the call's offer: it alone holds every number's standing, and the bus carries no tier.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from contracts.events import (
    CallbackAttemptedV1,
    CallbackNumber,
    CallbackOutcome,
    CallbackReason,
    CallbackScheduledV1,
    CallbackState,
    CallbackUpdatedV1,
    CallEventKind,
    VoiceCallEventV1,
)

CALLBACK_WITHIN = timedelta(hours=24)
KEPT_FOR = timedelta(days=2)  # a call after its last event: past any redelivery of its events
# A call whose callback is open, after the callback was owed: past the CTI's list's week (the gateway
# lists a callback for 7 days), so every attempt the list allows finds its call.
KEPT_OPEN_FOR = timedelta(days=8)
ORDINARY_PRIORITY = 3  # a normal or unknown caller's (intake's tier rules)
ATTEMPTS = 2  # the operators' auto-dial rule: no answer, to the end of the list, dialled once more
# The events that can change what a call is owed; the others (digits, after-call work) can't, and are
# not looked up at all.
WATCHED_KINDS = frozenset(
    {
        CallEventKind.OFFERED,
        CallEventKind.QUEUED,
        CallEventKind.ANSWERED,
        CallEventKind.TRANSFERRED,
        CallEventKind.ABANDONED,
        CallEventKind.ENDED,
        CallEventKind.CALLBACK_REQUESTED,
    }
)


def callback_id_for(call_id: str) -> str:
    return f"CB-{call_id}"


def worth_watching(event: VoiceCallEventV1) -> bool:
    """Whether a call not followed yet should be from this event on: an offer to a caller owed a
    callback, or one whose queue priority is not the ordinary one (so that a callback they ask for is
    dialled first, or last), or a caller's own request."""
    if event.kind is CallEventKind.OFFERED:
        ordinary = event.queue_priority in (None, ORDINARY_PRIORITY)
        return bool(event.callback_if_abandoned) or not ordinary
    return event.kind is CallEventKind.CALLBACK_REQUESTED


@dataclass
class WatchedCall:
    call_id: str
    province: str
    last_at: datetime  # its latest event's time, by the CTI's clock
    owed_if_abandoned: bool = False
    priority: int | None = None  # the caller's queue priority, as the gateway told it on the offer
    waiting: bool = False  # in a queue (queued, or transferred to a queue or a group), no agent on it
    waited_for: str | None = None  # the group it waits for, where the CTI says
    callback_id: str | None = None
    owed_at: datetime | None = None  # when the callback came to be owed
    state: CallbackState = CallbackState.OPEN  # the callback's, once owed
    attempts: tuple[str, ...] = ()  # the CTI's ids of the attempts told (a retry repeats one)
    version: int = 0

    @property
    def id(self) -> str:
        return self.call_id

    @property
    def forget_on(self) -> date:
        """The UTC day the store forgets it: two days after its last event, or, while a callback of it is
        open, once the CTI's list has long dropped the callback."""
        keep_until = self.last_at + KEPT_FOR
        if self.owed_at is not None and self.state is CallbackState.OPEN:
            keep_until = max(keep_until, self.owed_at + KEPT_OPEN_FOR)
        return keep_until.astimezone(UTC).date()

    @classmethod
    def first_heard(cls, event: VoiceCallEventV1) -> "WatchedCall":
        return cls(event.call_id, event.province, event.at)

    def heard(
        self, event: VoiceCallEventV1, now: datetime, within: timedelta = CALLBACK_WITHIN
    ) -> CallbackScheduledV1 | None:
        """What the call is owed after `event`: the callback it now owes, or None.

        The events' own times order them: a CTI's retry of an earlier event, published after later ones,
        changes nothing. An event older than the callback window (the topic's history read by a new
        consumer, or one days behind) owes nothing: its callback's time has passed."""
        if now - event.at > within:
            return None
        if event.at < self.last_at and event.kind is not CallEventKind.CALLBACK_REQUESTED:
            return None
        self.last_at = max(self.last_at, event.at)
        kind = event.kind
        if kind is CallEventKind.OFFERED:
            self.owed_if_abandoned = self.owed_if_abandoned or bool(event.callback_if_abandoned)
            self.priority = event.queue_priority or self.priority
        elif kind is CallEventKind.QUEUED:
            self.waiting, self.waited_for = True, event.group_id or self.waited_for
        elif kind in (CallEventKind.ANSWERED, CallEventKind.ENDED):
            self.waiting = False
        elif kind is CallEventKind.TRANSFERRED and event.to_agent_id is None:
            # To a queue or a group rather than to an agent: the caller waits again.
            self.waiting, self.waited_for = True, event.to_group_id or self.waited_for
        elif kind is CallEventKind.CALLBACK_REQUESTED:
            number = CallbackNumber.GIVEN if event.sealed_callback else CallbackNumber.CALLER
            return self._owe(event, CallbackReason.REQUESTED, number, within)
        elif kind is CallEventKind.ABANDONED and self.owed_if_abandoned and self.waiting:
            # Hung up in the IVR, before any queue, is not "while queueing": nothing is owed for it.
            self.waiting = False
            return self._owe(event, CallbackReason.ABANDONED, CallbackNumber.CALLER, within)
        return None

    def attempted(self, event: CallbackAttemptedV1, most: int = ATTEMPTS) -> CallbackUpdatedV1 | None:
        """Where the callback stands after the CTI's attempt: done once the customer is reached, given
        up on after `most` attempts; None for an attempt told before, or at a callback not owed or over."""
        if event.callback_id != self.callback_id or self.state is not CallbackState.OPEN:
            return None
        if event.attempt_id in self.attempts:
            return None
        self.attempts = (*self.attempts, event.attempt_id)
        if event.outcome is CallbackOutcome.ANSWERED:
            self.state = CallbackState.DONE
        elif len(self.attempts) >= most:
            self.state = CallbackState.UNREACHABLE
        return CallbackUpdatedV1(
            callback_id=event.callback_id,
            call_id=self.call_id,
            province=self.province,
            state=self.state,
            attempts=len(self.attempts),
            last_outcome=event.outcome,
            at=event.at,
        )

    def _owe(
        self,
        event: VoiceCallEventV1,
        reason: CallbackReason,
        number: CallbackNumber,
        within: timedelta,
    ) -> CallbackScheduledV1 | None:
        if self.callback_id is not None:
            return None  # owed once: a request and then an abandon are one callback
        self.callback_id = callback_id_for(self.call_id)
        self.owed_at = event.at
        return CallbackScheduledV1(
            callback_id=self.callback_id,
            call_id=self.call_id,
            province=self.province,
            reason=reason,
            number=number,
            group_id=event.group_id or self.waited_for,
            due_by=event.at + within,
            scheduled_at=event.at,
            priority=self.priority,
        )
