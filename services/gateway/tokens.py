"""OAuth2 client credentials: short-lived signed JWT access tokens, issued and checked by the gateway.

A token names its principal (`sub`) and the scopes granted; the principal is looked up again on every
request, so a principal removed from the table has its tokens refused as soon as the gateway runs on
the new table (it reads the table at start), before they expire.
"""

import time
from dataclasses import dataclass
from uuid import uuid4

import jwt

from services.gateway.key_set import ALGORITHM, KeySource
from services.gateway.principals import Caller, Principal, PrincipalTable, Scope

LEEWAY_SECONDS = 30  # clocks of the gateway's replicas and of the client drift this much


class InvalidToken(Exception):
    """The message is safe to return to the caller: it never echoes the token."""


class InvalidScope(Exception):
    pass


@dataclass(frozen=True)
class Issued:
    access_token: str
    expires_in: int
    scope: str
    jti: str


def granted_scopes(principal: Principal, requested: str | None) -> frozenset[Scope]:
    """RFC 6749 3.3: no scope asked for gives all the principal holds; one it does not hold is refused."""
    if not requested:
        return principal.granted
    wanted = set(requested.split())
    known = {scope.value for scope in principal.granted}
    if not wanted <= known:
        raise InvalidScope(f"not granted to this client: {', '.join(sorted(wanted - known))}")
    return frozenset(Scope(value) for value in wanted)


class TokenService:
    def __init__(
        self, keys: KeySource, principals: PrincipalTable, *, issuer: str, lifetime_seconds: int
    ) -> None:
        self._keys = keys
        self._principals = principals
        self._issuer = issuer
        self._lifetime = lifetime_seconds

    @property
    def jwks(self) -> dict[str, object]:
        return self._keys.keys.public

    def issue(self, principal: Principal, scopes: frozenset[Scope]) -> Issued:
        keys = self._keys.keys
        now = int(time.time())
        scope = " ".join(sorted(scope.value for scope in scopes))
        claims = {
            "iss": self._issuer,
            "aud": self._issuer,
            "sub": principal.id,
            "iat": now,
            "nbf": now,
            "exp": now + self._lifetime,
            "jti": uuid4().hex,
            "scope": scope,
            "province": principal.province,
            "role": principal.role.value,
        }
        token = jwt.encode(
            claims,
            keys.private[keys.signing_kid],
            algorithm=ALGORITHM,
            headers={"kid": keys.signing_kid},
        )
        return Issued(token, self._lifetime, scope, str(claims["jti"]))

    def verify(self, token: str) -> Caller:
        keys = self._keys.keys
        try:
            kid = jwt.get_unverified_header(token).get("kid")
        except jwt.PyJWTError as error:
            raise InvalidToken("not a token this gateway issued") from error
        key = keys.private.get(kid) if isinstance(kid, str) else None
        if key is None:
            raise InvalidToken("signed by a key this gateway does not hold (rotated out?): get a new token")
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=[ALGORITHM],
                audience=self._issuer,
                issuer=self._issuer,
                leeway=LEEWAY_SECONDS,
                options={"require": ["exp", "iat", "sub", "aud", "iss", "jti"]},
            )
        except jwt.ExpiredSignatureError as error:
            raise InvalidToken("the token has expired: get a new one") from error
        except jwt.PyJWTError as error:
            raise InvalidToken(f"the token is not valid here: {error}") from error
        principal = self._principals.by_id(str(claims["sub"]))
        if principal is None or principal.province != claims.get("province"):
            raise InvalidToken("the token's principal is no longer known")
        try:
            scopes = frozenset(Scope(value) for value in str(claims.get("scope", "")).split())
        except ValueError as error:
            raise InvalidToken("the token carries an unknown scope") from error
        return Caller(principal, scopes & principal.granted, token_id=str(claims["jti"]))
