"""The gateway's authentication: the caller's API key to its principal, and the problems it answers."""

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import FastAPI, Header, Request
from fastapi.responses import JSONResponse

from services.gateway.limits import RateLimit, TooManyRequests
from services.gateway.principals import Forbidden, Principal, PrincipalTable
from services.gateway.schemas import Problem


class Unauthenticated(Exception):
    pass


def authenticator(table: PrincipalTable, rate: RateLimit) -> Callable[..., Awaitable[Principal]]:
    """A FastAPI dependency: the principal whose key the request carries (else 401), within its rate
    (else 429)."""

    async def authenticated(
        authorization: Annotated[str | None, Header(description="Bearer <API key>")] = None,
        x_api_key: Annotated[
            str | None, Header(description="The API key, for clients without Bearer")
        ] = None,
    ) -> Principal:
        scheme, _, credentials = (authorization or "").partition(" ")
        key = credentials.strip() if scheme.lower() == "bearer" else x_api_key
        if not key:
            raise Unauthenticated("no API key: send Authorization: Bearer <key> or X-API-Key")
        principal = table.authenticate(key)
        if principal is None:
            raise Unauthenticated("unknown API key")
        await rate.take(principal)
        return principal

    return authenticated


def answer_auth_problems(app: FastAPI) -> None:
    @app.exception_handler(Unauthenticated)
    async def unauthenticated(_: Request, error: Unauthenticated) -> JSONResponse:
        problem = Problem(title="Unauthenticated", status=401, detail=str(error))
        return problem.response({"WWW-Authenticate": 'Bearer realm="hotline"'})

    @app.exception_handler(TooManyRequests)
    async def too_many(_: Request, error: TooManyRequests) -> JSONResponse:
        problem = Problem(title="Too many requests", status=429, detail=str(error))
        return problem.response({"Retry-After": str(error.retry_after)})

    @app.exception_handler(Forbidden)
    async def forbidden(_: Request, error: Forbidden) -> JSONResponse:
        return Problem(title="Forbidden", status=403, detail=str(error)).response()
