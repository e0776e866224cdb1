"""The gateway's authentication: the credential a request carries (an API key or an OAuth2 access
token) to its caller, and the problems it answers.

A guarded route authenticates before anything else, its body included: a caller without a valid
credential learns nothing about its request but 401.
"""

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request, Response
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from services.gateway.limits import RateLimit
from services.gateway.open311_formats import OPEN311
from services.gateway.principals import Caller, PrincipalTable
from services.gateway.schemas import Problem
from services.gateway.tokens import InvalidToken, TokenService

# Documented as security schemes; auto_error off: a missing credential is our 401 problem.
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


async def _open311_api_key(request: Request) -> str | None:
    """Open311 sends its `api_key` as a parameter (in the query, or a POST's form): taken there on its
    paths alone, where clients cannot be asked for a header. The body is kept for the route to read."""
    key = request.query_params.get("api_key")
    if key or not request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        return key
    await request.body()
    found = (await request.form()).get("api_key")
    return found if isinstance(found, str) else None


def _looks_like_jwt(credential: str) -> bool:
    return credential.count(".") == 2  # API keys are URL-safe base64: never a dot


class Authenticator:
    def __init__(self, table: PrincipalTable, tokens: TokenService, rate: RateLimit) -> None:
        self._table, self._tokens, self._rate = table, tokens, rate

    async def identify(self, request: Request) -> Caller:
        """Who sent `request` (else Unauthenticated), within its rate (else TooManyRequests)."""
        scheme, _, bearer = request.headers.get("authorization", "").partition(" ")
        credential = bearer.strip() if scheme.lower() == "bearer" else request.headers.get("x-api-key")
        if not credential and request.url.path.startswith(OPEN311 + "/"):
            credential = await _open311_api_key(request)
        if not credential:
            raise Unauthenticated("no credential: send Authorization: Bearer <token or key>, or X-API-Key")
        if _looks_like_jwt(credential):
            try:
                caller = self._tokens.verify(credential)
            except InvalidToken as error:
                raise Unauthenticated(str(error)) from error
        else:
            principal = self._table.by_api_key(credential)
            if principal is None:
                raise Unauthenticated("unknown API key")
            caller = Caller(principal, principal.granted)
        await self._rate.take(caller.principal.id)
        return caller

    def dependency(self) -> Callable[..., Awaitable[Caller]]:
        """For a route's signature: the caller its route class identified first."""

        async def authenticated(
            request: Request,
            _bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_BEARER)],
            _api_key: Annotated[str | None, Depends(_API_KEY)],
        ) -> Caller:
            caller = getattr(request.state, "caller", None)
            return caller if isinstance(caller, Caller) else await self.identify(request)

        return authenticated


class AuthenticatedFirst(APIRoute):
    """A route that takes a credential identifies its caller before its body is read or checked."""

    def get_route_handler(self) -> Callable[[Request], Any]:
        handler = super().get_route_handler()
        if not any(getattr(d.call, "__name__", "") == "authenticated" for d in self.dependant.dependencies):
            return handler

        async def authenticated_first(request: Request) -> Response:
            authenticator: Authenticator = request.app.state.authenticator
            request.state.caller = await authenticator.identify(request)
            response: Response = await handler(request)
            return response

        return authenticated_first


def answer_unauthenticated(app: FastAPI) -> None:
    @app.exception_handler(Unauthenticated)
    async def unauthenticated(_: Request, error: Unauthenticated) -> JSONResponse:
        problem = Problem(title="Unauthenticated", status=401, detail=str(error))
        return problem.response({"WWW-Authenticate": 'Bearer realm="hotline", error="invalid_token"'})
