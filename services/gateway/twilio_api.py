"""Voice and SMS through Twilio: its webhooks, each checked by Twilio's signature (services/gateway/
twilio_signature.py) before anything is read from it, so a forged or altered call gets 403 and stores
nothing. Twilio's own ids (MessageSid, CallSid) are the keys: a webhook Twilio retries repeats nothing.

- SMS: each message is a contact on the SMS channel. The TwiML answer is empty: notify texts the
  customer that the contact was taken, once, as for every channel.
- Voice: a small IVR. The first webhook of a call answers with a <Gather> of one digit (the kind of
  work order); the digit's webhook hands the call to that kind's queue (<Enqueue>); the status callback
  ends it. Each step goes on the voice topic as the call's events, as a CTI's would.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError
from twilio.twiml.messaging_response import MessagingResponse
from twilio.twiml.voice_response import VoiceResponse

from contracts.events import CallEventKind, Channel, ContactReceivedV1, VoiceCallEventV1, WorkOrderType
from contracts.topics import Topics
from plumbing.bus import EventPublisher
from services.gateway.audit import AuditWriter
from services.gateway.posts import stable_id
from services.gateway.principals import Forbidden, NotFound
from services.gateway.schemas import PhoneNumber, Problem, Text, as_e164
from services.gateway.twilio_signature import public_url, signed

TWIML = "application/xml"
VOICE_PATH, STATUS_PATH = "/v1/channels/twilio/voice", "/v1/channels/twilio/voice/status"
# The IVR's menu: the digit a caller keys in -> the kind of work order, and the queue it waits in.
MENU = {
    "1": WorkOrderType.FAULT_REPAIR,
    "2": WorkOrderType.COMPLAINT,
    "3": WorkOrderType.QUERY,
    "4": WorkOrderType.CONSULTATION,
    "5": WorkOrderType.SERVICE_APPLICATION,
    "6": WorkOrderType.REPORT,
}
PROMPT = (
    "您好，这里是供电服务热线。故障报修请按1，投诉请按2，查询请按3，咨询请按4，业务办理请按5，举报请按6。"
)
# Twilio's call statuses that end a call before an agent took it, and those that end it after.
NOT_ANSWERED = {"busy", "no-answer", "canceled", "failed"}
SIGNED_BY = "twilio"


@dataclass(frozen=True)
class TwilioSettings:
    auth_token: SecretStr | None
    trusted_proxies: Sequence[str]


def add_twilio_api(
    app: FastAPI,
    publisher: EventPublisher,
    audit: AuditWriter,
    topics: Topics,
    province: str,
    twilio: TwilioSettings,
) -> None:
    answers: dict[int | str, dict[str, object]] = {s: {"model": Problem} for s in (403, 404, 413, 422, 503)}
    answers[200] = {"content": {TWIML: {}}, "description": "TwiML"}

    async def verified(request: Request) -> dict[str, str]:
        """The form Twilio posted, once its signature is checked; else 403 (404 if Twilio is not set up)."""
        if twilio.auth_token is None:
            raise NotFound("Twilio is not set up for this province (GATEWAY_TWILIO_AUTH_TOKEN)")
        form = await request.form()
        url = public_url(request, twilio.trusted_proxies)
        if not signed(
            twilio.auth_token.get_secret_value(), url, form, request.headers.get("x-twilio-signature")
        ):
            entry = audit.public_entry(request, outcome="refused", status=403, detail="bad Twilio signature")
            await audit.record(entry)
            raise Forbidden("not signed by Twilio for this URL")
        return {key: str(value) for key, value in form.multi_items()}

    async def taken(request: Request, resource: str, key: str) -> None:
        entry = audit.public_entry(
            request, outcome="accepted", status=200, resource=resource, signed_by=SIGNED_BY, key=key
        )
        await audit.record(entry)

    async def call_event(form: dict[str, str], kind: CallEventKind, step: str, **fields: str | None) -> None:
        call_id = form.get("CallSid", "")
        event = VoiceCallEventV1(
            call_id=call_id,
            cti_event_id=f"{call_id}:{step}",
            province=province,
            kind=kind,
            at=datetime.now(UTC),
            received_at=datetime.now(UTC),
            **fields,
        )
        await publisher.publish(event, topics.voice, event_id=stable_id("V", "twilio", f"{call_id}:{step}"))

    @app.post("/v1/channels/twilio/sms", responses=answers, name="twilio.sms", response_class=Response)
    async def sms(request: Request) -> Response:
        """An SMS to the hotline's number: a contact on the SMS channel."""
        message = _read(TwilioSms, await verified(request))
        sid = message.MessageSid
        contact_id = stable_id("C", "twilio-sms", sid)
        event = ContactReceivedV1(
            contact_id=contact_id,
            channel=Channel.SMS,
            received_at=datetime.now(UTC),
            province=province,
            phone=message.From,
            description=message.Body or "(empty message)",
            external_ref=sid,
        )
        await publisher.publish(event, topics.contacts, event_id=stable_id("E", "twilio-sms", sid))
        await taken(request, contact_id, sid)
        return Response(str(MessagingResponse()), media_type=TWIML)

    @app.post(VOICE_PATH, responses=answers, name="twilio.voice", response_class=Response)
    async def voice(request: Request) -> Response:
        """A call to the hotline (no digits yet: the menu), or the digit keyed in at the menu."""
        form = await verified(request)
        response, digits = VoiceResponse(), form.get("Digits")
        if digits is None:
            await call_event(
                form,
                CallEventKind.OFFERED,
                "offered",
                caller_number=_caller(form.get("From")),
                called_number=_digits(form.get("To")),
            )
            gather = response.gather(num_digits=1, action=VOICE_PATH, method="POST", timeout=6)
            gather.say(PROMPT, language="zh-CN")
            response.redirect(VOICE_PATH, method="POST")  # no digit: the menu again
        elif digits in MENU:
            queue = f"{province}-{MENU[digits].value}"
            await call_event(form, CallEventKind.IVR_DIGITS, f"digits:{digits}", digits=digits)
            await call_event(form, CallEventKind.QUEUED, f"queued:{queue}", queue_id=queue, group_id=queue)
            response.enqueue(queue)
        else:
            response.say("输入有误。", language="zh-CN")
            response.redirect(VOICE_PATH, method="POST")
        await taken(request, form.get("CallSid", ""), f"{form.get('CallSid')}:{digits}")
        return Response(str(response), media_type=TWIML)

    @app.post(STATUS_PATH, responses=answers, name="twilio.voice.status", response_class=Response)
    async def status(request: Request) -> Response:
        """Twilio's status callback: the call is over, answered or not."""
        form = await verified(request)
        state = form.get("CallStatus", "")
        kind: Literal[CallEventKind.ABANDONED, CallEventKind.ENDED] | None = None
        if state in NOT_ANSWERED:
            kind = CallEventKind.ABANDONED
        elif state == "completed":
            kind = CallEventKind.ENDED
        if kind is not None:
            await call_event(form, kind, f"status:{state}", reason=state)
        await taken(request, form.get("CallSid", ""), f"{form.get('CallSid')}:{state}")
        return Response(str(VoiceResponse()), media_type=TWIML)


class TwilioSms(BaseModel):
    """What of Twilio's inbound SMS form a contact takes (Twilio sends more fields: they are ignored)."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    MessageSid: str = Field(pattern=r"^[A-Za-z0-9]{2,64}$")
    From: PhoneNumber
    Body: Text = Field(default="", max_length=1600)


def _read(model: type[TwilioSms], form: dict[str, str]) -> TwilioSms:
    try:
        return model.model_validate(form)
    except ValidationError as error:  # answered 422 with each field, as a JSON body's would be
        raise RequestValidationError(error.errors()) from None


def _caller(number: str | None) -> str | None:
    """The caller's number in E.164, or None for a withheld or unknown caller ID."""
    try:
        return as_e164(number) if number else None
    except ValueError:
        return None


def _digits(number: str | None) -> str | None:
    """The hotline number dialled, as the contract keeps it (digits only)."""
    digits = "".join(ch for ch in number or "" if ch.isdigit())
    return digits if 3 <= len(digits) <= 20 else None
