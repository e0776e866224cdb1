"""What a CTI posts: each event of a call, and the contact an agent (or the IVR) records of one."""

from datetime import datetime, timedelta
from typing import Annotated, Self

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator, model_validator

from contracts.events import CallEventKind
from services.gateway.schemas import PhoneNumber, Text, WebContact, not_ahead

# The CTI's ids (calls, events, queues, groups, agents): what CTIs use, nothing that needs escaping, and
# no ':', which joins them into the keys events are known by (a call "A" and "A:B" must never meet).
CTI_ID = r"^[A-Za-z0-9._@-]+$"
CtiId = Annotated[str, Field(min_length=1, max_length=128, pattern=CTI_ID)]
# A CTI's clock and the gateway's differ a little; an event from further ahead is a CTI's mistake that
# would make every later figure of the call wrong.
CLOCK_SKEW = timedelta(minutes=5)

# The fields each kind of event needs, and those it may carry; anything else is refused, so a CTI that
# sends digits with an answer (a password keyed in, say) is told rather than having them stored.
NEEDS: dict[CallEventKind, tuple[str, ...]] = {
    CallEventKind.OFFERED: ("caller_number",),
    CallEventKind.QUEUED: ("queue_id", "group_id"),
    CallEventKind.ANSWERED: ("group_id", "agent_id"),
    CallEventKind.TRANSFERRED: (),
    CallEventKind.ABANDONED: (),
    CallEventKind.ENDED: (),
    CallEventKind.IVR_DIGITS: ("digits",),
    CallEventKind.CALLBACK_REQUESTED: ("callback_number",),
    CallEventKind.ACW_ENDED: ("agent_id",),
}
MAY: dict[CallEventKind, tuple[str, ...]] = {
    CallEventKind.OFFERED: ("called_number",),
    CallEventKind.QUEUED: (),
    CallEventKind.ANSWERED: ("queue_id",),
    CallEventKind.TRANSFERRED: ("group_id", "agent_id", "to_group_id", "to_agent_id", "to_queue_id"),
    CallEventKind.ABANDONED: ("queue_id", "group_id", "reason"),
    CallEventKind.ENDED: ("group_id", "agent_id", "reason"),
    CallEventKind.IVR_DIGITS: (),
    CallEventKind.CALLBACK_REQUESTED: ("queue_id", "group_id"),
    CallEventKind.ACW_ENDED: ("group_id",),
}
OPTIONAL = (
    "caller_number",
    "called_number",
    "queue_id",
    "group_id",
    "agent_id",
    "to_group_id",
    "to_agent_id",
    "to_queue_id",
    "digits",
    "callback_number",
    "reason",
)


class CallEvent(BaseModel):
    """One event of a call, as the CTI saw it. Which fields each kind needs and may carry: `NEEDS` and
    `MAY` above (a transfer names where it went: `to_group_id`, `to_agent_id` or both)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    event_id: CtiId = Field(description="The CTI's own id of this event: a retry with it is the same event.")
    kind: CallEventKind
    at: AwareDatetime = Field(description="When it happened, by the CTI's clock, with its zone.")
    caller_number: PhoneNumber | None = None
    called_number: str | None = Field(default=None, pattern=r"^[0-9]{3,20}$", examples=["95598"])
    queue_id: CtiId | None = None
    group_id: CtiId | None = None
    agent_id: CtiId | None = None
    to_group_id: CtiId | None = None
    to_agent_id: CtiId | None = None
    to_queue_id: CtiId | None = None
    # One or two keys: a menu's choice. Longer is what a caller keys in for a password or an account,
    # which has no place on a topic.
    digits: str | None = Field(default=None, pattern=r"^[0-9*#]{1,2}$", description="A menu choice.")
    callback_number: PhoneNumber | None = None
    reason: Text | None = Field(default=None, max_length=200)

    @field_validator("at")
    @classmethod
    def _not_ahead(cls, moment: datetime) -> datetime:
        return not_ahead(moment, CLOCK_SKEW, "the CTI's clock is ahead")

    @model_validator(mode="after")
    def _fields_of_its_kind(self) -> Self:
        given = {name for name in OPTIONAL if getattr(self, name) is not None}
        needed, allowed = set(NEEDS[self.kind]), set(NEEDS[self.kind]) | set(MAY[self.kind])
        problems = [f"{name} is needed" for name in sorted(needed - given)]
        problems += [f"{name} is not part of it" for name in sorted(given - allowed)]
        if self.kind is CallEventKind.TRANSFERRED and not given & {
            "to_group_id",
            "to_agent_id",
            "to_queue_id",
        }:
            problems.append("to_group_id, to_agent_id or to_queue_id is needed")
        if problems:
            raise ValueError(f"an event of kind {self.kind.value}: " + "; ".join(problems))
        return self


class VoiceContact(WebContact):
    """What an agent (or the IVR) records of a call: a contact like the web's, with the call it came on.
    The call's id is the contact's key: the CTI posting it again is the same contact (a second record of
    one call takes its own Idempotency-Key)."""

    call_id: CtiId
    external_ref: None = Field(default=None, description="Not taken: a voice contact's is its call_id.")
