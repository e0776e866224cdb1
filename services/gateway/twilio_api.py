"""Voice and SMS through Twilio: its webhooks, each checked by Twilio's signature (services/gateway/
twilio_signature.py) before anything is read from it, so a forged or altered call gets 403 and stores
nothing. Twilio's own ids (MessageSid, CallSid) are the keys: a webhook Twilio retries repeats nothing.

- SMS: each message is a contact on the SMS channel. The TwiML answer is empty: notify texts the
  customer that the contact was taken, once, as for every channel.
- Voice: a small IVR. A call's first webhook answers with a <Gather> of one digit (the kind of work
  order); the digit hands the call to that kind's queue (<Enqueue>), whose result says whether an agent
  took it or the caller hung up waiting; the status callback ends it. After three rounds without a
  choice the call waits in the general queue. Each step goes on the voice topic as a CTI's would.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import FastAPI, Query, Request, Response
from pydantic import SecretStr
from twilio.twiml.messaging_response import MessagingResponse
from twilio.twiml.voice_response import VoiceResponse

from contracts.events import CallEventKind, VoiceCallEventV1, WorkOrderType
from contracts.topics import Topics
from plumbing.bus import EventPublisher
from services.gateway.audit import AuditWriter
from services.gateway.posts import stable_id, text_contact
from services.gateway.principals import Forbidden, NotFound
from services.gateway.schemas import Problem
from services.gateway.seal import Seal
from services.gateway.twilio_forms import TwilioCall, TwilioSms, read
from services.gateway.twilio_signature import public_url, signed
from services.gateway.voice_routing.decisions import owed_callback_if_abandoned
from services.gateway.voice_routing.standings import StandingTable
from services.gateway.webhook_trail import WebhookTrail

TWIML = "application/xml"
VOICE_PATH, QUEUE_PATH = "/v1/channels/twilio/voice", "/v1/channels/twilio/voice/queue"
STATUS_PATH = "/v1/channels/twilio/voice/status"
MENU = {  # the digit a caller keys in -> the kind of work order, whose queue the call waits in
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
SPEAK = {"voice": "Polly.Zhiyu", "language": "cmn-CN"}  # a voice Twilio has for Mandarin
ROUNDS = 3  # menus heard before the call waits in the general queue
# A queue's result for a caller who left it without an agent.
LEFT_WAITING = {"hangup", "leave", "error", "system-error"}
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
    seal: Seal,
    log: Any,
    standings: StandingTable | None = None,
) -> None:
    """`standings`: this replica's copy of every number's standing, to mark a call whose caller is owed a
    callback should they hang up waiting in the queue (as the CTI's offers are marked)."""
    answers: dict[int | str, dict[str, object]] = {s: {"model": Problem} for s in (403, 404, 413, 422, 503)}
    answers[200] = {"content": {TWIML: {}}, "description": "TwiML"}
    trail = WebhookTrail(audit, log, SIGNED_BY)

    async def verified(request: Request) -> dict[str, str]:
        """The form Twilio posted, once its signature is checked; else 403 (404 if Twilio is not set up)."""
        if twilio.auth_token is None:
            raise NotFound("Twilio is not set up for this province (GATEWAY_TWILIO_AUTH_TOKEN)")
        form = await request.form()
        url = public_url(request, twilio.trusted_proxies)
        if not signed(
            twilio.auth_token.get_secret_value(), url, form, request.headers.get("x-twilio-signature")
        ):
            await trail.refused(request, 403, f"bad Twilio signature for {url.split('?')[0]}")
            raise Forbidden("not signed by Twilio for this URL")
        return {key: str(value) for key, value in form.multi_items()}

    taken = trail.taken

    async def told(
        call: TwilioCall, kind: CallEventKind, step: str, **fields: str | bool | int | None
    ) -> None:
        now = datetime.now(UTC)
        step_id = f"{call.CallSid}:{step}"
        event = VoiceCallEventV1(
            call_id=call.CallSid,
            cti_event_id=step_id,
            source=SIGNED_BY,
            province=province,
            kind=kind,
            at=now,
            received_at=now,
            **fields,
        )
        await publisher.publish(event, topics.voice, event_id=stable_id("V", "twilio", step_id))

    def menu(response: VoiceResponse, rounds: int) -> VoiceResponse:
        action = f"{VOICE_PATH}?round={rounds + 1}"
        gather = response.gather(num_digits=1, action=action, method="POST", timeout=6)
        gather.say(PROMPT, **SPEAK)
        response.redirect(action, method="POST")  # no digit keyed in: the menu again
        return response

    def waits(response: VoiceResponse, queue: str) -> VoiceResponse:
        response.enqueue(queue, action=QUEUE_PATH, method="POST")
        return response

    @app.post("/v1/channels/twilio/sms", responses=answers, name="twilio.sms", response_class=Response)
    async def sms(request: Request) -> Response:
        """An SMS to the hotline's number: a contact on the SMS channel."""
        message = read(TwilioSms, await verified(request))
        sid = message.MessageSid
        contact_id = stable_id("C", "twilio-sms", sid)
        event = text_contact(contact_id, province, message.From, message.Body, sid, datetime.now(UTC))
        await publisher.publish(event, topics.contacts, event_id=stable_id("E", "twilio-sms", sid))
        await taken(request, contact_id, sid)
        return Response(str(MessagingResponse()), media_type=TWIML)

    @app.post(VOICE_PATH, responses=answers, name="twilio.voice", response_class=Response)
    async def voice(
        request: Request, heard: Annotated[int, Query(alias="round", ge=1, le=10)] = 1
    ) -> Response:
        """A call to the hotline (no digit yet: the menu), or the digit keyed in at the menu."""
        call = read(TwilioCall, await verified(request))
        response, digits = VoiceResponse(), call.Digits
        if digits is None and heard == 1:
            caller = call.caller()
            sealed = seal.seal(caller) if caller else None
            standing = standings.of(caller) if caller and standings else None
            owed = owed_callback_if_abandoned(standing) if standing else None
            await told(
                call,
                CallEventKind.OFFERED,
                "offered",
                sealed_caller=sealed,
                called_number=call.called(),
                callback_if_abandoned=owed,
                queue_priority=standing.priority if standing else None,
            )
        if digits in MENU:
            queue = f"{province}-{MENU[digits].value}"
            await told(call, CallEventKind.IVR_DIGITS, f"digits:{heard}", digits=digits)
            await told(call, CallEventKind.QUEUED, f"queued:{queue}", queue_id=queue)
            waits(response, queue)
        elif heard > ROUNDS:
            queue = f"{province}-general"
            await told(call, CallEventKind.QUEUED, f"queued:{queue}", queue_id=queue)
            waits(response, queue)
        else:
            if digits is not None:
                response.say("输入有误。", **SPEAK)
            menu(response, heard)
        await taken(request, call.CallSid, f"{call.CallSid}:{heard}:{digits}")
        return Response(str(response), media_type=TWIML)

    @app.post(QUEUE_PATH, responses=answers, name="twilio.voice.queue", response_class=Response)
    async def queue_left(request: Request) -> Response:
        """The call left its queue: an agent took it, the caller hung up waiting, or the queue was full."""
        call = read(TwilioCall, await verified(request))
        response, result = VoiceResponse(), call.QueueResult
        if result == "bridged":
            await told(call, CallEventKind.ANSWERED, "answered")
        elif result in LEFT_WAITING:
            await told(
                call, CallEventKind.ABANDONED, f"abandoned:{result}", reason=f"left the queue: {result}"
            )
        elif result == "queue-full":
            await told(call, CallEventKind.ABANDONED, "abandoned:queue-full", reason="the queue was full")
            response.say("非常抱歉，当前线路繁忙，请稍后再拨。", **SPEAK)
            response.hangup()
        await taken(request, call.CallSid, f"{call.CallSid}:queue:{result}")
        return Response(str(response), media_type=TWIML)

    @app.post(STATUS_PATH, responses=answers, name="twilio.voice.status", response_class=Response)
    async def status(request: Request) -> Response:
        """Twilio's status callback: the call is over."""
        call = read(TwilioCall, await verified(request))
        if call.CallStatus in ("completed", "busy", "failed", "no-answer", "canceled"):
            await told(call, CallEventKind.ENDED, "ended", reason=call.CallStatus)
        await taken(request, call.CallSid, f"{call.CallSid}:status:{call.CallStatus}")
        return Response(str(VoiceResponse()), media_type=TWIML)
