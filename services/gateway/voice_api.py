"""Voice through a generic CTI: each event of a call is published as it comes (for the voice KPIs and
the voice routing), and a call becomes a contact when an agent or the IVR records it. Both are the voice
channel adapter's to post, for its own province only; both are idempotent by the CTI's own ids (the
event's, the call's), so a CTI retrying after a timeout repeats nothing."""

from datetime import UTC, datetime
from typing import Any

from fastapi import FastAPI, Path, Request

from contracts.events import CallEventKind, Channel, VoiceCallEventV1
from contracts.topics import Topics
from plumbing.bus import EventPublisher
from services.gateway.audit import AuditWriter
from services.gateway.posts import (
    ANSWERS,
    IdempotencyKey,
    Published,
    contact_event,
    publish_audited,
    stable_id,
)
from services.gateway.principals import Caller, may_post_contact
from services.gateway.schemas import Accepted
from services.gateway.seal import Seal
from services.gateway.voice_routing.decisions import owed_callback_if_abandoned
from services.gateway.voice_routing.standings import StandingTable
from services.gateway.voice_schemas import CTI_ID, CallEvent, VoiceContact

CallId = Path(min_length=1, max_length=128, pattern=CTI_ID)  # no ':'


def call_event(
    call_id: str,
    event: CallEvent,
    province: str,
    source: str,
    seal: Seal,
    standings: StandingTable | None = None,
) -> VoiceCallEventV1:
    """`standings`: this replica's copy of every number's standing, to tell on an offer whether the
    caller is owed a callback if they hang up queueing (the bus carries that, never the tier)."""
    fields = event.model_dump(exclude={"event_id", "caller_number", "callback_number"})
    owed, priority = None, None
    if event.kind is CallEventKind.OFFERED and event.caller_number and standings is not None:
        standing = standings.of(event.caller_number)
        owed, priority = owed_callback_if_abandoned(standing), standing.priority
    return VoiceCallEventV1(
        call_id=call_id,
        cti_event_id=event.event_id,
        source=source,
        province=province,
        received_at=datetime.now(UTC),
        sealed_caller=seal.seal(event.caller_number) if event.caller_number else None,
        sealed_callback=seal.seal(event.callback_number) if event.callback_number else None,
        callback_if_abandoned=owed,
        queue_priority=priority,
        **fields,
    )


def add_voice_api(
    app: FastAPI,
    Authenticated: Any,
    publisher: EventPublisher,
    audit: AuditWriter,
    topics: Topics,
    province: str,
    seal: Seal,
    standings: StandingTable | None = None,
) -> None:
    async def accepted(request: Request, caller: Caller, published: Published) -> Accepted:
        return await publish_audited(publisher, audit, request, caller, published)

    @app.post("/v1/voice/calls/{call_id}/events", status_code=202, responses=ANSWERS, name="voice.event")
    async def post_call_event(
        request: Request, event: CallEvent, caller: Authenticated, call_id: str = CallId
    ) -> Accepted:
        """One event of a call (offered, queued, answered, transferred, abandoned, ended, IVR digits,
        callback requested, after-call work ended), on the bus in the order posted for each call."""
        may_post_contact(caller, province, Channel.VOICE.value)
        scope = f"voice:{caller.principal.id}:{call_id}"
        told = call_event(call_id, event, province, caller.principal.id, seal, standings)
        published = Published(told, topics.voice, call_id, scope, event.event_id)
        return await accepted(request, caller, published)

    @app.post("/v1/contacts/voice", status_code=202, responses=ANSWERS, name="contact.voice")
    async def post_voice_contact(
        request: Request, contact: VoiceContact, caller: Authenticated, idempotency_key: IdempotencyKey = None
    ) -> Accepted:
        """A call recorded as a contact by an agent or the IVR: the 202 is sent only once the bus has
        stored it. Its key is the call's id, unless an Idempotency-Key is given (a second record of the
        same call)."""
        may_post_contact(caller, province, Channel.VOICE.value)
        scope = f"voice:{caller.principal.id}"
        # The call's id first (it has no ':'): a key given for one call never names another's record.
        key = f"call:{contact.call_id}" + (f":{idempotency_key}" if idempotency_key else "")
        contact_id = stable_id("C", scope, key)
        # An anonymous report is tied to no call: the call's events would lead back to the reporter.
        reference = None if contact.anonymous else contact.call_id
        event = contact_event(contact, Channel.VOICE, contact_id, province, seal, reference)
        return await accepted(request, caller, Published(event, topics.contacts, contact_id, scope, key))
