"""A call's life as the CTI tells it: offered to the hotline, through the IVR and the queue, answered by
an agent of a group, transferred, abandoned or ended, and the agent's after-call work. Each event is
published as it arrives, keyed by the call, so one call's events stay in order; the voice KPIs (service
level, average speed of answer, abandon rate, handle time, after-call work, transfers) are computed from
them, and the voice routing keeps each group's occupancy from them.

A call the hotline owes a callback (a mid-tier caller who hung up waiting, or any caller who asked for
one) is put on the CTI's callback list: CallbackScheduled, with the time it is due by. Each attempt the
CTI makes is told back (CallbackAttempted, on the call's own key), and notify says where the callback
stands after it (CallbackUpdated: still open, done, or given up on)."""

from datetime import datetime
from enum import StrEnum
from typing import ClassVar

from pydantic import Field

from contracts.events.base import Event


class CallEventKind(StrEnum):
    OFFERED = "offered"  # the call reached the hotline (the IVR answers it)
    QUEUED = "queued"  # waiting for an agent of a group
    ANSWERED = "answered"  # an agent took it
    TRANSFERRED = "transferred"  # handed to another group or agent
    ABANDONED = "abandoned"  # the caller hung up before an agent answered
    ENDED = "ended"  # the conversation is over
    IVR_DIGITS = "ivr_digits"  # a menu choice keyed in
    CALLBACK_REQUESTED = "callback_requested"  # the caller asked to be called back
    ACW_ENDED = "acw_ended"  # the agent finished the call's after-call work


class VoiceCallEventV1(Event):
    ce_type: ClassVar[str] = "hotline.voice.call_event.v1"
    minor_version: ClassVar[int] = 2

    call_id: str = Field(description="The CTI's id of the call, the same on each of its events.")
    cti_event_id: str = Field(description="The CTI's own id of this event: a retry repeats it.")
    source: str = Field(description="Which adapter told it: the CTI's principal, or 'twilio'.")
    province: str
    kind: CallEventKind
    at: datetime = Field(description="When it happened, by the CTI's clock.")
    received_at: datetime = Field(description="When the gateway took it.")
    sealed_caller: str | None = Field(
        default=None,
        description="The caller's number (offered), sealed by the gateway as an anonymous reporter's is: "
        "a call may be a whistle-blower's, and only the gateway's audited unseal reads it back.",
    )
    called_number: str | None = Field(default=None, description="The hotline number dialled (offered).")
    queue_id: str | None = None
    group_id: str | None = Field(default=None, description="The agent group queued at or answering.")
    agent_id: str | None = None
    to_group_id: str | None = Field(default=None, description="Where a transfer went.")
    to_agent_id: str | None = None
    to_queue_id: str | None = None
    digits: str | None = Field(
        default=None, description="A menu choice keyed in (ivr_digits, one or two keys); never a password."
    )
    sealed_callback: str | None = Field(
        default=None, description="The number to call back (callback_requested), sealed by the gateway."
    )
    reason: str | None = Field(
        default=None, description="Why it ended or was abandoned, as the CTI says (caller hung up, ...)."
    )
    callback_if_abandoned: bool | None = Field(
        default=None,
        description="(offered, 1.1) Whether the caller is owed a callback should they hang up before an "
        "agent answers (a mid-tier customer's number); None where the gateway could not tell.",
    )
    queue_priority: int | None = Field(
        default=None,
        ge=1,
        description="(offered, 1.2) The caller's place in every queue by intake's tier rules, lower first "
        "(VIP and high 1, blacklisted 9); None where the gateway could not tell.",
    )

    def subject(self) -> str:
        return self.call_id


class CallbackReason(StrEnum):
    ABANDONED = "abandoned"  # a caller owed one hung up before an agent answered
    REQUESTED = "requested"  # the caller asked to be called back


class CallbackNumber(StrEnum):
    """Which of the call's numbers to dial: the CTI has both (the bus carries them only sealed)."""

    CALLER = "caller"  # the number the call came from
    GIVEN = "given"  # the number the caller keyed in with callback_requested


class CallbackScheduledV1(Event):
    ce_type: ClassVar[str] = "hotline.voice.callback_scheduled.v1"
    minor_version: ClassVar[int] = 1

    callback_id: str = Field(description="One per call: a callback is owed once, however it came to be.")
    call_id: str = Field(description="The CTI's id of the call to return.")
    province: str
    reason: CallbackReason
    number: CallbackNumber
    group_id: str | None = Field(
        default=None, description="The agent group the call waited for: the caller's city group, or public."
    )
    due_by: datetime = Field(description="When the callback is due by (the operators' rule: 24 hours).")
    scheduled_at: datetime = Field(description="When the call's event that owed it happened, CTI clock.")
    priority: int | None = Field(
        default=None,
        ge=1,
        description="(1.1) The caller's queue priority, lower first: a blacklisted one last.",
    )

    def subject(self) -> str:
        return self.call_id


class CallbackOutcome(StrEnum):
    ANSWERED = "answered"  # the customer was reached
    NO_ANSWER = "no_answer"  # no answer within 60 s
    BUSY = "busy"
    FAILED = "failed"  # the number could not be dialled


class CallbackState(StrEnum):
    OPEN = "open"  # still to call (again)
    DONE = "done"  # the customer was reached
    UNREACHABLE = "unreachable"  # every attempt the rules allow failed


class CallbackAttemptedV1(Event):
    ce_type: ClassVar[str] = "hotline.voice.callback_attempted.v1"

    callback_id: str
    call_id: str = Field(description="The call the callback returns (the event's key, as its others).")
    attempt_id: str = Field(description="The CTI's own id of this attempt: a retry repeats it.")
    source: str = Field(description="Which adapter told it: the CTI's principal.")
    province: str
    outcome: CallbackOutcome
    at: datetime = Field(description="When the attempt ended, by the CTI's clock.")
    agent_id: str | None = None

    def subject(self) -> str:
        return self.call_id


class CallbackUpdatedV1(Event):
    ce_type: ClassVar[str] = "hotline.voice.callback_updated.v1"

    callback_id: str
    call_id: str
    province: str
    state: CallbackState
    attempts: int = Field(ge=1, description="Attempts told so far.")
    last_outcome: CallbackOutcome
    at: datetime = Field(description="When the last attempt ended, by the CTI's clock.")

    def subject(self) -> str:
        return self.call_id
