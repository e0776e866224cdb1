"""SMS through Kannel: smsbox's `get-url` brings each text a customer sends to the hotline's number, and
the `dlr-url` notify gives each of its texts brings that text's delivery reports. Kannel sends the user
and password those URLs name as HTTP Basic; without GATEWAY_KANNEL_PASSWORD the routes answer 404.

Kannel's own id of a text is its key, so a call smsbox repeats (it retries what was not answered 2xx, as
its `http-request-retry` says) makes no second contact; a report is the same event again. Both answer an
empty 200: smsbox would text a body back to the customer, and notify texts the acceptance itself."""

import base64
import binascii
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.security.utils import get_authorization_scheme_param
from pydantic import SecretStr
from starlette.datastructures import Headers

from contracts.events import SmsDeliveryReportedV1
from contracts.topics import Topics
from plumbing.bus import EventPublisher
from services.gateway.audit import AuditWriter
from services.gateway.kannel_forms import read_report, read_sms
from services.gateway.posts import stable_id, text_contact
from services.gateway.principals import NotFound
from services.gateway.schemas import Problem
from services.gateway.webhook_trail import WebhookTrail

SMS_PATH, REPORT_PATH = "/v1/channels/kannel/sms", "/v1/channels/kannel/dlr"
USERNAME = "kannel"
SIGNED_BY = "kannel"


@dataclass(frozen=True)
class KannelSettings:
    password: SecretStr | None
    # The hotline's SMS number (notify's sender): what follows it in the number a text was sent to is the
    # reply code of the work order it answers.
    number: str | None


NO_KANNEL = KannelSettings(None, None)


def documented(*names: tuple[str, str, bool]) -> dict[str, object]:
    """The query the route reads itself (as bytes, services/gateway/kannel_forms.py), for the OpenAPI
    document: name, what Kannel fills it with, required."""
    return {
        "parameters": [
            {
                "name": name,
                "in": "query",
                "required": required,
                "description": what,
                "schema": {"type": "string"},
            }
            for name, what, required in names
        ]
    }


SMS_QUERY = documented(
    ("id", "%I: Kannel's id of the text (a UUID), its key", True),
    ("from", "%p: the customer's number", True),
    ("to", "%P: the number texted, the hotline's and any reply code after it", True),
    ("text", "%b: the text's bytes as received, URL-encoded", False),
    ("coding", "%c: 0 7-bit, 1 8-bit, 2 UCS-2", False),
    ("charset", "%C: the charset of a 7- or 8-bit text", False),
    ("at", "%T: when the SMSC took it, Unix time", False),
)
REPORT_QUERY = documented(
    ("reference", "the reference notify put in the dlr-url", True),
    (
        "status",
        "%d: Kannel's DLR type, 1 delivered, 2 undeliverable, 4 buffered, 8 submitted, 16 rejected",
        True,
    ),
    ("answer", "%A: what the SMSC said", False),
    ("at", "%T: when, Unix time", False),
)


class Unauthorised(Exception):
    pass


def basic_password(headers: Headers) -> tuple[str, str] | None:
    scheme, credentials = get_authorization_scheme_param(headers.get("authorization"))
    if scheme.lower() != "basic":
        return None
    try:
        user, _, password = base64.b64decode(credentials, validate=True).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return user, password


def add_kannel_api(
    app: FastAPI,
    publisher: EventPublisher,
    audit: AuditWriter,
    topics: Topics,
    province: str,
    kannel: KannelSettings,
    log: Any,
) -> None:
    answers: dict[int | str, dict[str, object]] = {s: {"model": Problem} for s in (401, 404, 422, 503)}
    answers[200] = {"content": {"text/plain": {}}, "description": "Taken (an empty body: no reply text)"}
    trail = WebhookTrail(audit, log, SIGNED_BY)

    @app.exception_handler(Unauthorised)
    async def unauthorised(_: Request, error: Unauthorised) -> Response:
        problem = Problem(title="Unauthenticated", status=401, detail=str(error))
        return problem.response({"WWW-Authenticate": 'Basic realm="kannel"'})

    async def checked(request: Request) -> None:
        """Kannel's password, else 401 (404 if Kannel is not set up here)."""
        if kannel.password is None:
            raise NotFound("Kannel is not set up for this province (GATEWAY_KANNEL_PASSWORD)")
        given = basic_password(request.headers)
        expected = f"{USERNAME}:{kannel.password.get_secret_value()}".encode()
        if given is None or not hmac.compare_digest(f"{given[0]}:{given[1]}".encode(), expected):
            await trail.refused(request, 401, f"bad Kannel credentials for {request.url.path}")
            raise Unauthorised("Kannel's user and password, as the get-url and dlr-url name them")

    @app.get(SMS_PATH, responses=answers, name="kannel.sms", response_class=Response, openapi_extra=SMS_QUERY)
    async def sms(request: Request) -> Response:
        """A text to the hotline's number: a contact on the SMS channel, linked by intake to the work
        order whose news it answers when it came back to that work order's reply code."""
        await checked(request)
        text = read_sms(request)
        phone = text.customer_phone()
        if phone is None:
            # An operator's short code, say: no customer to call back. Answered 200 all the same, or
            # smsbox would ask again and again; in the trail, and said.
            log.warning("a text from a number no customer texts from, not taken", kannel_id=text.id)
            await trail.refused(request, 200, f"a text from {text.sender!r}: not a customer's number")
            return Response(b"", media_type="text/plain")
        contact_id = stable_id("C", "kannel-sms", text.id)
        sent_at, reply_code = text.sent_at(datetime.now(UTC)), text.reply_code(kannel.number)
        event = text_contact(contact_id, province, phone, text.text, f"kannel:{text.id}", sent_at, reply_code)
        await publisher.publish(event, topics.contacts, event_id=stable_id("E", "kannel-sms", text.id))
        await trail.taken(request, contact_id, text.id)
        return Response(b"", media_type="text/plain")

    @app.get(
        REPORT_PATH, responses=answers, name="kannel.dlr", response_class=Response, openapi_extra=REPORT_QUERY
    )
    async def report(request: Request) -> Response:
        """A delivery report of one of notify's texts, for notify to record on it."""
        await checked(request)
        found = read_report(request)
        now = datetime.now(UTC)
        event = SmsDeliveryReportedV1(
            reference=found.reference,
            province=province,
            state=found.state(),
            gateway_status=found.status,
            gateway_answer=found.answer,
            reported_at=datetime.fromtimestamp(found.at, UTC) if found.at is not None else now,
            received_at=now,
            source=SIGNED_BY,
        )
        key = f"{found.reference}:{found.status}:{found.at}"
        await publisher.publish(event, topics.sms_reports, event_id=stable_id("R", "kannel-dlr", key))
        await trail.taken(request, found.reference, key)
        return Response(b"", media_type="text/plain")
