"""The gateway's authentication: the credential a request carries (an API key or an OAuth2 access
token) to its caller, and the problems it answers."""

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from services.gateway.limits import RateLimit, TooManyRequests
from services.gateway.principals import Caller, Forbidden, PrincipalTable
from services.gateway.schemas import Problem
from services.gateway.tokens import InvalidToken, TokenService

# auto_error off: a missing credential is our 401 problem, not FastAPI's 403 text.
_BEARER = HTTPBearer(
    auto_error=False,
    bearerFormat="JWT or API key",
    description="An access token from /oauth/token, or an API key.",
)
_API_KEY = APIKeyHeader(
    name="X-API-Key", auto_error=False, description="An API key, for clients without Bearer."
)


class Unauthenticated(Exception):
    pass


def _looks_like_jwt(credential: str) -> bool:
    return credential.count(".") == 2  # API keys are URL-safe base64: never a dot


def authenticator(
    table: PrincipalTable, tokens: TokenService, rate: RateLimit
) -> Callable[..., Awaitable[Caller]]:
    """A FastAPI dependency: who sent the request (else 401), within its rate (else 429)."""

    async def authenticated(
        bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_BEARER)],
        api_key: Annotated[str | None, Depends(_API_KEY)],
    ) -> Caller:
        credential = bearer.credentials.strip() if bearer is not None else api_key
        if not credential:
            raise Unauthenticated("no credential: send Authorization: Bearer <token or key>, or X-API-Key")
        if _looks_like_jwt(credential):
            try:
                caller = tokens.verify(credential)
            except InvalidToken as error:
                raise Unauthenticated(str(error)) from error
        else:
            principal = table.by_api_key(credential)
            if principal is None:
                raise Unauthenticated("unknown API key")
            caller = Caller(principal, principal.granted)
        await rate.take(caller.principal.id)
        return caller

    return authenticated


def answer_auth_problems(app: FastAPI) -> None:
    @app.exception_handler(Unauthenticated)
    async def unauthenticated(_: Request, error: Unauthenticated) -> JSONResponse:
        problem = Problem(title="Unauthenticated", status=401, detail=str(error))
        return problem.response({"WWW-Authenticate": 'Bearer realm="hotline", error="invalid_token"'})

    @app.exception_handler(TooManyRequests)
    async def too_many(_: Request, error: TooManyRequests) -> JSONResponse:
        problem = Problem(title="Too many requests", status=429, detail=str(error))
        return problem.response({"Retry-After": str(error.retry_after)})

    @app.exception_handler(Forbidden)
    async def forbidden(_: Request, error: Forbidden) -> JSONResponse:
        problem = Problem(title="Forbidden", status=403, detail=str(error))
        return problem.response({"WWW-Authenticate": 'Bearer realm="hotline", error="insufficient_scope"'})
