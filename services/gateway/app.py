"""The gateway's HTTP API: channels post contacts, departments post replies; both land on the bus."""

import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Annotated
from uuid import NAMESPACE_URL, uuid4, uuid5

from aiokafka.errors import KafkaError
from fastapi import Depends, FastAPI, Header, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from starlette.exceptions import HTTPException as StarletteHTTPException

from contracts.events import Channel, ContactReceivedV1, DepartmentRepliedV1
from plumbing.bus import EventPublisher
from plumbing.runtime import Runtime
from plumbing.serve import add_probes
from services.gateway.access import Access
from services.gateway.auth import AuthenticatedFirst, Authenticator, answer_auth_problems
from services.gateway.limits import BodyLimit
from services.gateway.oauth import add_token_endpoint
from services.gateway.openapi import document_problems
from services.gateway.principals import Caller, may_post_contact, may_reply_for
from services.gateway.schemas import Accepted, DepartmentReply, FieldError, Problem, WebContact

ANSWERS: dict[int | str, dict[str, object]] = {
    status: {"model": Problem} for status in (400, 401, 403, 413, 422, 429, 503)
}
IdempotencyKey = Annotated[
    str | None, Header(max_length=128, description="Retries with the same key give the same id.")
]


def _stable_id(prefix: str, scope: str, key: str | None) -> str:
    return f"{prefix}-" + (uuid5(NAMESPACE_URL, f"hotline:{scope}:{key}") if key else uuid4()).hex.upper()


def _event_id(scope: str, key: str | None) -> str | None:
    """A retried post is the same event: consumers that drop duplicates by CloudEvents id drop it too."""
    return str(uuid5(NAMESPACE_URL, f"hotline:event:{scope}:{key}")) if key else None


def create_app(
    runtime: Runtime,
    publisher: EventPublisher,
    access: Access,
    *,
    max_body_bytes: int = 65536,
) -> FastAPI:
    topics = runtime.settings.topics
    province = runtime.settings.hotline_province
    authenticator = Authenticator(access.principals, access.tokens, access.rate)
    Authenticated = Annotated[Caller, Depends(authenticator.dependency())]

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        async with runtime.serving():
            yield

    app = FastAPI(title="Hotline gateway", version="1", lifespan=lifespan)
    app.router.route_class = AuthenticatedFirst
    app.state.authenticator = authenticator
    answer_auth_problems(app)
    add_token_endpoint(app, access.principals, access.tokens, access.rate, access.token_failures)
    app.add_middleware(BodyLimit, max_bytes=max_body_bytes)
    FastAPIInstrumentor.instrument_app(
        app,
        tracer_provider=runtime.tracer_provider,
        meter_provider=runtime.telemetry.meter_provider,
        excluded_urls="healthz,readyz",
    )

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_: Request, error: RequestValidationError) -> JSONResponse:
        errors = [
            FieldError(
                field=".".join(str(p) for p in e["loc"] if p != "body"), message=e["msg"], type=e["type"]
            )
            for e in error.errors()
        ]
        problem = Problem(
            title="Invalid request", status=422, detail="Fix the fields listed in errors.", errors=errors
        )
        return problem.response()

    @app.exception_handler(StarletteHTTPException)
    async def http_problem(_: Request, error: StarletteHTTPException) -> JSONResponse:
        """Starlette's and FastAPI's own refusals (a body that is not JSON, an unknown path, a method
        not served) as problem+json too."""
        title = HTTPStatus(error.status_code).phrase
        problem = Problem(title=title, status=error.status_code, detail=str(error.detail))
        return problem.response(dict(error.headers or {}))

    @app.exception_handler(KafkaError)
    async def bus_unavailable(_: Request, error: KafkaError) -> JSONResponse:
        runtime.log.error("bus unavailable; contact not accepted", error=repr(error))
        problem = Problem(
            title="Bus unavailable", status=503, detail="Nothing was accepted; retry with the same key."
        )
        return problem.response({"Retry-After": "5"})

    @app.post("/v1/contacts/web", status_code=202, responses=ANSWERS)
    async def post_web_contact(
        contact: WebContact, caller: Authenticated, idempotency_key: IdempotencyKey = None
    ) -> Accepted:
        """Accept a contact: the 202 is sent only once the bus has stored it."""
        may_post_contact(caller, province, Channel.WEB.value)
        contact_id = _stable_id("C", "web", idempotency_key)
        event = ContactReceivedV1(
            contact_id=contact_id,
            channel=Channel.WEB,
            received_at=datetime.now(UTC),
            province=province,
            phone=contact.phone,
            customer_name=contact.customer_name,
            address=contact.address,
            account_number=contact.account_number,
            requested_type=contact.type,
            description=contact.description,
            anonymous=contact.anonymous,
            external_ref=contact.external_ref,
        )
        await publisher.publish(event, topics.contacts, event_id=_event_id("web", idempotency_key))
        return Accepted(id=contact_id)

    @app.post(
        "/v1/departments/{department}/replies",
        status_code=202,
        responses=ANSWERS,
    )
    async def post_department_reply(
        department: str, reply: DepartmentReply, caller: Authenticated, idempotency_key: IdempotencyKey = None
    ) -> Accepted:
        may_reply_for(caller, province, department)
        reply_id = _stable_id("R", f"reply:{department}", idempotency_key)
        event = DepartmentRepliedV1(
            reply_id=reply_id,
            work_order_id=reply.work_order_id,
            dispatch_id=reply.dispatch_id,
            department=department,
            kind=reply.kind,
            message=reply.message,
            responder=reply.responder,
            replied_at=datetime.now(UTC),
        )
        await publisher.publish(
            event, topics.department_replies, event_id=_event_id(f"reply:{department}", idempotency_key)
        )
        return Accepted(id=reply_id)

    add_probes(app, runtime)
    document_problems(app)
    return app
