"""Open311 GeoReport v2 (wiki.open311.org/GeoReport_v2), under /open311/v2, each answer in JSON or XML
as its path ends (`services.json`, `services.xml`).

- discovery, services and service definitions (from intake's field rules: open311_services.py);
- POST requests: a contact on the web channel (`external_ref` `open311:<service_request_id>`), posted
  by the province's web channel adapter with its API key (`api_key`, in the form or the query as
  Open311 says, or the gateway's usual headers). The answer names the work order at once (its id is
  derived from the contact's) and the token (the contact's id). Idempotent: a retry with the same
  Idempotency-Key, or without one the same request sent again, is the same contact; the same key
  with another form is refused (409);
- GET requests, requests/{id} and tokens/{token}: public, as Open311 has them, showing what
  open311_requests.py allows and no more.

jurisdiction_id is optional (this gateway serves one province); given, it must be the province's code.
"""

import hashlib
import re
import time
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from aiokafka.errors import KafkaError
from fastapi import FastAPI, Path, Query, Request, Response

from contracts.events import Channel, WorkOrderFieldsInForceV1
from contracts.ids import work_order_id_for
from contracts.topics import Topics
from plumbing.bus import EventPublisher
from services.gateway.audit import AuditWriter
from services.gateway.case_files import CaseFiles
from services.gateway.fields_copy import FieldsCopy
from services.gateway.limits import RateLimit
from services.gateway.open311_documents import (
    DISCOVERY,
    REQUEST,
    SERVICE,
    SERVICE_DEFINITION,
    TAKEN,
    documented,
    listed,
)
from services.gateway.open311_documents import (
    TOKEN as TOKEN_SCHEMA,
)
from services.gateway.open311_formats import OPEN311, answer
from services.gateway.open311_forms import FORM, REQUEST_FORM, read_request
from services.gateway.open311_requests import public_request, requested, wanted_from
from services.gateway.open311_services import codes_of, definition_of, find, service_of
from services.gateway.posts import IdempotencyKey, Published, contact_event, publish_audited, stable_id
from services.gateway.principals import NotFound, may_post_contact
from services.gateway.problems import Unreadable
from services.gateway.schemas import Problem
from services.gateway.seal import Seal

Format = Annotated[str, Path(pattern=r"^(json|xml)$", description="json or xml")]
Jurisdiction = Annotated[
    str | None, Query(max_length=16, description="Optional: this gateway serves one province (its code).")
]
# Read as text, then as RFC 3339 (a number is no date: pydantic would take it as seconds since 1970).
Moment = Annotated[
    str | None,
    Query(max_length=40, description="RFC 3339, with its offset.", json_schema_extra={"format": "date-time"}),
]
TOKEN = r"^C-[0-9A-F]{32}$"
CHANGESET = "2026-12-08T00:00:00Z"  # when this API last changed, as Open311's discovery tells it
RETRY_WINDOW_SECONDS = 600  # without an Idempotency-Key, the same request again within it is a retry
NOTICE = "Taken by the hotline: the work order opens within seconds; its status is at GET requests/{id}."
READS_RATE = "120/minute"  # public reads per client and replica: each list reads up to 90 days of hours
MAX_IDS = 50


class NotAnnounced(Exception):
    """Intake has not announced its field rules to this gateway yet: no service to describe."""


def add_open311_api(
    app: FastAPI,
    Authenticated: Any,
    publishing: tuple[EventPublisher, AuditWriter, Topics],
    readers: tuple[CaseFiles, FieldsCopy],
    province: str,
    seal: Seal,
) -> None:
    publisher, audit, topics = publishing
    cases, fields = readers
    reads = RateLimit(READS_RATE)

    @app.exception_handler(NotAnnounced)
    async def not_announced(_: Request, __: NotAnnounced) -> Response:
        detail = "this hotline's services are not known yet (intake announces them at start); retry"
        return Problem(title="Services not known yet", status=503, detail=detail).response(
            {"Retry-After": "30"}
        )

    def served(request: Request, jurisdiction: str | None) -> None:
        """This province's, each parameter given once (one would be read, the others silently not)."""
        names = [name for name, _ in request.query_params.multi_items()]
        if len(names) != len(set(names)):
            raise Unreadable(400, "Invalid request", "each parameter once (several ids: comma delimited)")
        if jurisdiction is not None and jurisdiction != province:
            raise NotFound(f"jurisdiction_id {jurisdiction!r} is not served here (this is {province!r})")

    async def in_force() -> WorkOrderFieldsInForceV1:
        announced = await fields.in_force()
        if announced is None:
            raise NotAnnounced()
        return announced

    async def read_publicly(request: Request) -> None:
        """Within the client's rate (429 beyond it)."""
        await reads.take(request.client.host if request.client else "unknown")

    async def publicly_read(request: Request, resource: str | None, status: int = 200) -> None:
        """In the trail as a public read, with how it was answered (a trail that fails is logged)."""
        outcome: Literal["accepted", "refused"] = "accepted" if status < 400 else "refused"
        entry = audit.public_entry(request, outcome=outcome, status=status, resource=resource)
        try:
            await audit.record(entry)
        except KafkaError as error:
            app.state.log.error("audit record of an Open311 read not published", error=repr(error))

    @app.get(
        f"{OPEN311}/discovery.{{response_format}}",
        responses=documented("discovery", DISCOVERY, 400),
        name="open311.discovery",
    )
    async def discovery(request: Request, response_format: Format) -> Response:
        """Where this Open311 endpoint is and what it speaks."""
        endpoint = {
            "specification": "http://wiki.open311.org/GeoReport_v2",
            "url": str(request.base_url).rstrip("/") + OPEN311,
            "changeset": CHANGESET,
            "type": "production",
            "formats": ["application/json", "text/xml"],
        }
        body = {"changeset": CHANGESET, "contact": f"the {province} hotline", "endpoints": [endpoint]}
        return answer(response_format, body, "discovery", None)

    @app.get(
        f"{OPEN311}/services.{{response_format}}",
        responses=documented("services", listed(SERVICE), 400, 404, 503),
        name="open311.services",
    )
    async def services(
        request: Request, response_format: Format, jurisdiction_id: Jurisdiction = None
    ) -> Response:
        """Every service: each work-order type with each of its categories (or alone)."""
        served(request, jurisdiction_id)
        announced = await in_force()
        body = [service_of(code, rules) for rules in announced.types for code in codes_of(rules)]
        return answer(response_format, body, "services", "service")

    @app.get(
        f"{OPEN311}/services/{{service_code}}.{{response_format}}",
        responses=documented("service definition", SERVICE_DEFINITION, 400, 404, 503),
        name="open311.service_definition",
    )
    async def service_definition(
        request: Request,
        response_format: Format,
        service_code: Annotated[str, Path(max_length=100)],
        jurisdiction_id: Jurisdiction = None,
    ) -> Response:
        """The fields one service asks for, from intake's rules of its type."""
        served(request, jurisdiction_id)
        found = find(await in_force(), service_code)
        if found is None:
            raise NotFound(f"no service {service_code!r} (GET services lists them)")
        return answer(response_format, definition_of(*found), "service_definition", None)

    @app.post(
        f"{OPEN311}/requests.{{response_format}}",
        responses=documented("the request taken", listed(TAKEN), 400, 401, 403, 404, 409, 413, 429, 503),
        name="open311.request.post",
        openapi_extra={"requestBody": {"required": True, "content": {FORM: {"schema": REQUEST_FORM}}}},
    )
    async def post_request(
        request: Request,
        caller: Authenticated,
        response_format: Format,
        idempotency_key: IdempotencyKey = None,
    ) -> Response:
        """A service request: the answer is sent once the bus has stored the contact."""
        may_post_contact(caller, province, Channel.WEB.value)
        await request.body()  # kept: the idempotency check digests it after the form is read
        form = await request.form()
        if any(not isinstance(value, str) for _, value in form.multi_items()):
            raise Unreadable(400, "Files not taken", "media are not taken: post the form without files")
        given = [(k, str(v)) for k, v in (*request.query_params.multi_items(), *form.multi_items())]
        served(request, dict(given).get("jurisdiction_id"))
        _, contact = read_request(given, await in_force())
        scope = f"open311:{caller.principal.id}"
        # The request as its parameters say it, wherever they came (query or form, in any order or
        # encoding), the api_key left out: what a key is held to. Without a key, the same request within
        # the same ten minutes is a retry (it repeats nothing); the same form next week is a new report.
        canonical = urlencode(sorted((name, value) for name, value in given if name != "api_key"))
        digest = hashlib.sha256(f"{request.url.path}?{canonical}".encode()).hexdigest()
        window = int(time.time() // RETRY_WINDOW_SECONDS)
        key = idempotency_key or f"form:{window}:{digest}"
        contact_id = stable_id("C", scope, key)
        work_order_id = work_order_id_for(contact_id)
        event = contact_event(contact, Channel.WEB, contact_id, province, seal, f"open311:{work_order_id}")
        published = Published(event, topics.contacts, contact_id, scope, key, status=200, digest=digest)
        await publish_audited(publisher, audit, request, caller, published)
        taken = {"service_request_id": work_order_id, "token": contact_id, "service_notice": NOTICE}
        return answer(response_format, [taken], "service_requests", "request")

    @app.get(
        f"{OPEN311}/requests.{{response_format}}",
        responses=documented("requests", listed(REQUEST), 400, 404, 429),
        name="open311.requests",
    )
    async def get_requests(
        request: Request,
        response_format: Format,
        jurisdiction_id: Jurisdiction = None,
        service_request_id: Annotated[
            str | None, Query(max_length=2000, description="Comma delimited.")
        ] = None,
        service_code: Annotated[str | None, Query(max_length=100)] = None,
        start_date: Moment = None,
        end_date: Moment = None,
        status: Annotated[str | None, Query(max_length=20, description="open, closed or both.")] = None,
    ) -> Response:
        """Requests by id, or those requested in a window (90 days at most, the last 90 by default),
        of a service and status; the newest first, 1,000 at most."""
        served(request, jurisdiction_id)
        wanted = wanted_from(start_date, end_date, service_code, status)  # checked even when overridden
        await read_publicly(request)
        if service_request_id is not None:  # overrides every other filter, as Open311 says
            ids = [one.strip() for one in service_request_id.split(",") if one.strip()]
            if len(ids) > MAX_IDS:
                raise Unreadable(400, "Invalid request", f"service_request_id names {MAX_IDS} at most")
            found = [await cases.find(one) for one in dict.fromkeys(ids)]
            body = [shown for case in found if case and (shown := public_request(case))]
        else:
            body = await requested(cases, wanted)
        await publicly_read(request, None)
        return answer(response_format, body, "service_requests", "request")

    @app.get(
        f"{OPEN311}/requests/{{service_request_id}}.{{response_format}}",
        responses=documented("the request", listed(REQUEST), 400, 404, 429),
        name="open311.request",
    )
    async def get_request(
        request: Request,
        response_format: Format,
        service_request_id: Annotated[str, Path(max_length=64)],
        jurisdiction_id: Jurisdiction = None,
    ) -> Response:
        """One request, as the public sees it."""
        served(request, jurisdiction_id)
        await read_publicly(request)
        case = await cases.find(service_request_id)
        shown = public_request(case) if case else None
        await publicly_read(request, service_request_id, 200 if shown else 404)
        if shown is None:
            raise NotFound(f"no request {service_request_id!r} here (yet: a new one takes a few seconds)")
        return answer(response_format, [shown], "service_requests", "request")

    @app.get(
        f"{OPEN311}/tokens/{{token}}.{{response_format}}",
        responses=documented("the token's request", listed(TOKEN_SCHEMA), 400, 404, 429),
        name="open311.token",
    )
    async def get_token(
        request: Request,
        response_format: Format,
        token: Annotated[str, Path(max_length=64)],
        jurisdiction_id: Jurisdiction = None,
    ) -> Response:
        """The service_request_id of a token once its work order is open; the token alone before."""
        served(request, jurisdiction_id)
        if not _is_token(token):
            raise NotFound(f"{token!r} is not a token this hotline gave")
        await read_publicly(request)
        work_order_id = work_order_id_for(token)
        case = await cases.find(work_order_id)
        # A request the public may not see (anonymous, discipline) is never said to exist: its token
        # answers as one whose work order is not open yet.
        opened = case is not None and case.facts.created_at is not None and public_request(case) is not None
        body = {"service_request_id": work_order_id, "token": token} if opened else {"token": token}
        await publicly_read(request, token)
        return answer(response_format, [body], "service_requests", "request")


def _is_token(text: str) -> bool:
    return re.fullmatch(TOKEN, text) is not None
