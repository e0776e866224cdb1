"""The OAuth2 token endpoint (client credentials grant, RFC 6749 4.4) and the public key set."""

import base64
import binascii
from typing import Annotated, Literal
from urllib.parse import unquote

from fastapi import FastAPI, Form, Header, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from services.gateway.audit import AuditWriter
from services.gateway.limits import RateLimit
from services.gateway.principals import Caller, PrincipalTable
from services.gateway.schemas import Problem
from services.gateway.tokens import InvalidScope, TokenService, granted_scopes

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


class TokenRequest(BaseModel):
    # Any string is taken, so that another grant is answered as RFC 6749 says (400
    # unsupported_grant_type); the one offered is all the document names.
    grant_type: str = Field(json_schema_extra={"enum": ["client_credentials"]})
    scope: str | None = Field(default=None, description="Space-separated; default: all granted.")
    client_id: str | None = Field(default=None, description="Or in HTTP Basic auth (preferred).")
    client_secret: str | None = None


class TokenAnswer(BaseModel):
    access_token: str
    token_type: Literal["Bearer"] = "Bearer"
    expires_in: int
    scope: str


class OAuthError(Exception):
    def __init__(self, status: int, error: str, detail: str) -> None:
        super().__init__(detail)
        self.status, self.error = status, error


def _client_from_basic(authorization: str | None) -> tuple[str, str] | None:
    """RFC 6749 2.3.1: Basic with the id and secret each form-urlencoded."""
    scheme, _, encoded = (authorization or "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        client_id, colon, secret = base64.b64decode(encoded, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError) as error:
        raise OAuthError(400, "invalid_request", "the Basic credentials are not base64") from error
    if not colon:
        raise OAuthError(400, "invalid_request", "the Basic credentials lack the colon")
    return unquote(client_id.replace("+", " ")), unquote(secret.replace("+", " "))


def add_token_endpoint(
    app: FastAPI,
    principals: PrincipalTable,
    tokens: TokenService,
    limits: tuple[RateLimit, RateLimit],
    audit: AuditWriter,
) -> None:
    """`limits`: the principals' rate, and the rate of wrong secrets per client id."""
    rate, failures = limits

    @app.exception_handler(OAuthError)
    async def oauth_error(_: Request, error: OAuthError) -> JSONResponse:
        problem = Problem(title="Token refused", status=error.status, detail=str(error), error=error.error)
        headers = dict(NO_STORE)
        if error.status == 401:
            headers["WWW-Authenticate"] = 'Basic realm="hotline"'
        return problem.response(headers)

    @app.post(
        "/oauth/token",
        name="token.issue",
        responses={status: {"model": Problem} for status in (400, 401, 413, 422, 429)},
        tags=["oauth2"],
    )
    async def issue_token(
        request: Request,
        form: Annotated[TokenRequest, Form()],
        authorization: Annotated[str | None, Header(include_in_schema=False)] = None,
    ) -> JSONResponse:
        """Trade a client id and secret for a short-lived access token (client credentials grant)."""
        basic = _client_from_basic(authorization)
        if basic and (form.client_id or form.client_secret):
            raise OAuthError(400, "invalid_request", "send the client's credentials one way, not two")
        client_id, secret = basic or (form.client_id, form.client_secret)
        if form.grant_type != "client_credentials":
            raise OAuthError(400, "unsupported_grant_type", "only client_credentials is offered")
        if not client_id or not secret:
            raise OAuthError(401, "invalid_client", "no client credentials: use HTTP Basic")
        # Over its wrong-secret rate, a client id is refused before its secret is even looked at:
        # guessing is slowed to a few tries a minute, a right guess included.
        await failures.check(client_id)
        principal = principals.by_client_secret(client_id, secret)
        if principal is None:
            await failures.take(client_id)
            known = principals.by_id(client_id)
            if known is not None:  # someone tried a known client's secret: the trail says so
                refused = Caller(known, frozenset())
                detail = "wrong client secret"
                await audit.record(
                    audit.entry(request, refused, outcome="refused", status=401, detail=detail)
                )
            raise OAuthError(401, "invalid_client", "unknown client or wrong secret")
        await rate.take(principal.id)
        try:
            scopes = granted_scopes(principal, form.scope)
        except InvalidScope as error:
            raise OAuthError(400, "invalid_scope", str(error)) from error
        issued = tokens.issue(principal, scopes)
        entry = audit.entry(
            request, Caller(principal, scopes), outcome="accepted", status=200, resource=issued.jti
        )
        await audit.record(entry)
        answer = TokenAnswer(
            access_token=issued.access_token, expires_in=issued.expires_in, scope=issued.scope
        )
        return JSONResponse(answer.model_dump(), headers=NO_STORE)

    @app.get("/.well-known/jwks.json", tags=["oauth2"])
    async def public_keys() -> dict[str, object]:
        """The keys access tokens are signed with (public parts only), for anyone who checks them."""
        return tokens.jwks
