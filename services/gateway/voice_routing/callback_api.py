"""The CTI's callback list over HTTP: `GET /v1/voice/callbacks` (what to dial, in order) and
`POST /v1/voice/callbacks/{callback_id}/attempts` (how a dial went). Both are the voice adapter's, for its
own province. The list is this replica's memory (services/gateway/voice_routing/callbacks.py); an
attempt goes on <p>.voice, on its call's key, for notify to say where the callback stands."""

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import FastAPI, Path, Query, Request
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from contracts.events import (
    CallbackAttemptedV1,
    CallbackNumber,
    CallbackOutcome,
    CallbackReason,
    Channel,
)
from contracts.topics import Topics
from plumbing.bus import EventPublisher
from services.gateway.audit import AuditWriter
from services.gateway.posts import ANSWERS, Published, publish_audited
from services.gateway.principals import NotFound, may_post_contact
from services.gateway.schemas import Accepted, not_ahead
from services.gateway.voice_routing.callbacks import CallbackList
from services.gateway.voice_schemas import CLOCK_SKEW, CTI_ID, CtiId

CallbackId = Path(min_length=1, max_length=140, pattern=CTI_ID)  # "CB-" and a call's id


class CallbackToDial(BaseModel):
    callback_id: str
    call_id: str = Field(description="The call to return: the CTI knows its numbers.")
    number: CallbackNumber = Field(description="Which to dial: the caller's, or the one they keyed in.")
    reason: CallbackReason
    group_id: str | None = Field(description="The group the call waited for.")
    due_by: datetime
    attempts: int = Field(description="Attempts told so far: one that rang out is dialled once more.")
    last_outcome: CallbackOutcome | None = None


class CallbacksToDial(BaseModel):
    callbacks: list[CallbackToDial] = Field(description="In the order to dial: untried first, soonest due.")
    open: int = Field(description="How many are open in all (of the group, if one was named).")


class Attempt(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    attempt_id: CtiId = Field(description="The CTI's own id of the attempt: a retry with it is the same.")
    outcome: CallbackOutcome
    at: AwareDatetime = Field(description="When the attempt ended, by the CTI's clock, with its zone.")
    agent_id: CtiId | None = None

    @field_validator("at")
    @classmethod
    def _not_ahead(cls, moment: datetime) -> datetime:
        return not_ahead(moment, CLOCK_SKEW, "the CTI's clock is ahead")


def add_callback_api(
    app: FastAPI,
    Authenticated: Any,
    publisher: EventPublisher,
    audit: AuditWriter,
    topics: Topics,
    province: str,
    callbacks: CallbackList,
) -> None:
    @app.get("/v1/voice/callbacks", responses=ANSWERS, name="voice.callbacks")
    async def callbacks_to_dial(
        request: Request,
        caller: Authenticated,
        group_id: Annotated[str | None, Query(max_length=128, pattern=CTI_ID)] = None,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    ) -> CallbacksToDial:
        """The callbacks owed and still open (a mid-tier caller who hung up queueing, a caller who asked),
        of one agent group if named, in the order to dial them."""
        may_post_contact(caller, province, Channel.VOICE.value)
        listed, count = callbacks.to_call(datetime.now(UTC), group_id, limit)
        entry = audit.entry(request, caller, outcome="accepted", status=200, resource=group_id or "*")
        await audit.record(entry)  # no record, no read
        return CallbacksToDial(
            callbacks=[CallbackToDial.model_validate(c, from_attributes=True) for c in listed], open=count
        )

    @app.post(
        "/v1/voice/callbacks/{callback_id}/attempts",
        status_code=202,
        responses=ANSWERS,
        name="voice.callback_attempt",
    )
    async def post_callback_attempt(
        request: Request, attempt: Attempt, caller: Authenticated, callback_id: str = CallbackId
    ) -> Accepted:
        """How one dial of a callback went: answered (done), or no answer, busy, failed (dialled once
        more, then given up on). 404 for a callback this replica does not list. One told once the
        callback is over (a retry of the attempt that closed it, another agent's dial meanwhile) is
        taken and changes nothing."""
        may_post_contact(caller, province, Channel.VOICE.value)
        call_id = callbacks.call_of(callback_id)
        if call_id is None:
            raise NotFound(f"no callback {callback_id} is listed here")
        listed = callbacks.listed(callback_id)
        told = CallbackAttemptedV1(
            callback_id=callback_id,
            call_id=call_id,
            attempt_id=attempt.attempt_id,
            source=caller.principal.id,
            province=province,
            outcome=attempt.outcome,
            at=attempt.at,
            agent_id=attempt.agent_id,
        )
        scope = f"callback:{caller.principal.id}:{callback_id}"
        published = Published(told, topics.voice, call_id, scope, attempt.attempt_id)
        answer = await publish_audited(publisher, audit, request, caller, published)
        if listed is not None:
            callbacks.attempted_here(callback_id, listed.attempts + 1, attempt.outcome)
        return answer
