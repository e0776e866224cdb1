"""How the gateway answers what goes wrong, always as problem+json: invalid requests, Starlette's own
refusals, the bus being down, and the refusals of access control (each of those also audited); what no
handler here answers is a 500 (server_errors.py)."""

from http import HTTPStatus
from typing import Any

from aiokafka.errors import KafkaError
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pymongo.errors import PyMongoError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match, Route

from plumbing.error_text import error_text
from plumbing.write_guard import StaleWrite
from services.gateway.audit import AuditWriter
from services.gateway.limits import TooManyRequests
from services.gateway.principals import Caller, Forbidden, NotFound
from services.gateway.schemas import FieldError, Problem


class Unreadable(Exception):
    """A request the route refuses as a whole, audited: a file of the wrong type or shape (415, 422), or
    a bus that failed partway through publishing it (503, with what that means for a retry)."""

    def __init__(self, status: int, title: str, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.title = title


class Conflict(Exception):
    """The request is sound but the object's state does not allow it now (409)."""


class AuditNotRecorded(Exception):
    """The call's event is on the bus but its audit record is not: the caller retries with its key."""

    def __init__(self, resource: str) -> None:
        super().__init__(resource)
        self.resource = resource


def answer_problems(app: FastAPI, audit: AuditWriter, log: Any) -> None:
    @app.exception_handler(AuditNotRecorded)
    async def audit_not_recorded(_: Request, error: AuditNotRecorded) -> JSONResponse:
        log.error("call taken but its audit record not published", resource=error.resource)
        problem = Problem(
            title="Audit record not kept",
            status=503,
            detail=f"{error.resource} was taken but its audit record was not; retry with the same "
            "Idempotency-Key: the retry is the same call, kept once.",
        )
        return problem.response({"Retry-After": "5"})

    @app.exception_handler(StaleWrite)
    async def store_contended(_: Request, error: StaleWrite) -> JSONResponse:
        log.warning("a write lost every race for its document; call not answered", error=str(error))
        problem = Problem(
            title="Store busy", status=503, detail="Too many writes to one record at once; retry."
        )
        return problem.response({"Retry-After": "1"})

    @app.exception_handler(PyMongoError)
    async def store_unavailable(_: Request, error: PyMongoError) -> JSONResponse:
        log.error("store unavailable; call not answered", error=error_text(error))
        problem = Problem(title="Store unavailable", status=503, detail="Nothing was accepted; retry.")
        return problem.response({"Retry-After": "5"})

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, error: RequestValidationError) -> JSONResponse:
        errors = [
            FieldError(
                field=".".join(str(p) for p in e["loc"] if p != "body"), message=e["msg"], type=e["type"]
            )
            for e in error.errors()
        ]
        if request.url.path == "/oauth/token":  # RFC 6749 5.2: a malformed token request is 400
            title, status, code = "Token refused", 400, "invalid_request"
        else:
            title, status, code = "Invalid request", 422, None
        detail = "Fix the fields listed in errors."
        problem = Problem(title=title, status=status, detail=detail, errors=errors, error=code)
        # In the trail like every other refusal of a known caller: which fields, never what was in them.
        fields = ", ".join(sorted({e.field or "body" for e in errors}))
        return await refused(request, problem, {}, audit_detail=f"invalid fields: {fields}")

    @app.exception_handler(StarletteHTTPException)
    async def http_problem(request: Request, error: StarletteHTTPException) -> JSONResponse:
        """Starlette's and FastAPI's own refusals (a body that is not JSON, an unknown path, a method
        not served) as problem+json too."""
        title = HTTPStatus(error.status_code).phrase
        problem = Problem(title=title, status=error.status_code, detail=str(error.detail))
        headers = dict(error.headers or {})
        if error.status_code == HTTPStatus.METHOD_NOT_ALLOWED:
            # Starlette names the methods of the first route of the path only; a path served by
            # several routes (GET and POST /v1/outages) allows all of theirs.
            headers["Allow"] = ", ".join(sorted(_methods_of(request)))
        return problem.response(headers)

    @app.exception_handler(KafkaError)
    async def bus_unavailable(_: Request, error: KafkaError) -> JSONResponse:
        log.error("bus unavailable; call not accepted", error=repr(error))
        problem = Problem(
            title="Bus unavailable", status=503, detail="Nothing was accepted; retry with the same key."
        )
        return problem.response({"Retry-After": "5"})

    @app.exception_handler(TooManyRequests)
    async def too_many(request: Request, error: TooManyRequests) -> JSONResponse:
        problem = Problem(title="Too many requests", status=429, detail=str(error))
        headers = {"Retry-After": str(error.retry_after)}
        return await refused(request, problem, headers, audit_detail=error.audit_detail)

    async def refused(
        request: Request, problem: Problem, headers: dict[str, str], *, audit_detail: str | None = None
    ) -> JSONResponse:
        caller = getattr(request.state, "caller", None)
        if isinstance(caller, Caller):
            key = request.headers.get("idempotency-key")  # a retried refusal is the same record
            status, detail = problem.status, audit_detail or problem.detail
            entry = audit.entry(request, caller, outcome="refused", status=status, detail=detail, key=key)
            try:
                await audit.record(entry)
            except KafkaError as error:  # the refusal stands; the missing record is said loudly
                log.error(
                    "audit record of a refusal not published", error=repr(error), audit_id=entry.audit_id
                )
        return problem.response(headers)

    @app.exception_handler(Forbidden)
    async def forbidden(request: Request, error: Forbidden) -> JSONResponse:
        problem = Problem(title="Forbidden", status=403, detail=str(error))
        return await refused(
            request, problem, {"WWW-Authenticate": 'Bearer realm="hotline", error="insufficient_scope"'}
        )

    @app.exception_handler(Unreadable)
    async def unreadable(request: Request, error: Unreadable) -> JSONResponse:
        problem = Problem(title=error.title, status=error.status, detail=str(error))
        return await refused(request, problem, {})

    @app.exception_handler(Conflict)
    async def conflict(request: Request, error: Conflict) -> JSONResponse:
        return await refused(request, Problem(title="Conflict", status=409, detail=str(error)), {})

    @app.exception_handler(NotFound)
    async def not_found(request: Request, error: NotFound) -> JSONResponse:
        problem = Problem(title="Not found", status=404, detail=str(error))
        return await refused(request, problem, {}, audit_detail=error.audit_detail)


def _methods_of(request: Request) -> set[str]:
    methods: set[str] = set()
    for route in request.app.routes:
        if isinstance(route, Route) and route.matches(request.scope)[0] is not Match.NONE:
            methods |= route.methods or set()
    return methods
