"""Requests signed with the local principals' credentials (deploy/local/credentials.py): the demo, the
tests and the bench call the gateway as a channel adapter or a department would. Channel adapters use
their API key; departments use OAuth2 client credentials, so both ways are exercised on every run."""

from __future__ import annotations

import base64
import re
import time
from collections.abc import Generator

import httpx

from deploy.local.credentials import channel_id, department_id, local_keys, local_secrets, role_id

_CONTACTS = re.compile(r"^/v1/contacts/(?P<channel>[a-z0-9_]+)$")
_DEPARTMENTS = re.compile(r"^/v1/departments/(?P<department>[a-z0-9_]+)/(replies|actions)$")
RENEW_BEFORE_SECONDS = 60  # a token about to expire is replaced, not sent


def principal_for(province: str, path: str) -> str | None:
    """The principal that may call `path` in `province`: its channel, its department, its auditor."""
    if match := _CONTACTS.match(path):
        return channel_id(province, match["channel"])
    if match := _DEPARTMENTS.match(path):
        return department_id(province, match["department"])
    if path == "/v1/audit":
        return role_id(province, "auditor")
    return None


def signed_as(principal: str) -> dict[str, str]:
    """The header of a request made as a local principal, with its API key."""
    return {"Authorization": f"Bearer {local_keys()[principal]}"}


def key_for(province: str, path: str) -> str | None:
    principal = principal_for(province, path)
    pair = local_secrets().get(principal) if principal else None
    return pair["api_key"] if pair else None


class LocalCaller(httpx.Auth):
    """Signs each request as the caller who may make it: an API key for a channel, an access token
    (fetched from the gateway's token endpoint, kept until shortly before it expires) for a department."""

    requires_response_body = True  # the token endpoint's answer is read before the request goes on

    def __init__(self, province: str) -> None:
        self._province = province
        self._tokens: dict[str, tuple[str, float]] = {}

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        principal = principal_for(self._province, request.url.path)
        secrets = local_secrets().get(principal) if principal else None
        if principal is None or secrets is None or "authorization" in request.headers:
            yield request
            return
        if principal.split(".")[1] != "department":
            request.headers["Authorization"] = f"Bearer {secrets['api_key']}"
            yield request
            return
        token, expires = self._tokens.get(principal, ("", 0.0))
        if time.monotonic() > expires - RENEW_BEFORE_SECONDS:
            answer = yield self._token_request(request, principal, secrets["client_secret"])
            if answer.status_code != 200:
                raise RuntimeError(f"the gateway gave {principal} no token: {answer.text}")
            body = answer.json()
            token, expires = body["access_token"], time.monotonic() + body["expires_in"]
            self._tokens[principal] = (token, expires)
        request.headers["Authorization"] = f"Bearer {token}"
        yield request

    @staticmethod
    def _token_request(request: httpx.Request, principal: str, secret: str) -> httpx.Request:
        pair = base64.b64encode(f"{principal}:{secret}".encode()).decode()
        return httpx.Request(
            "POST",
            request.url.copy_with(path="/oauth/token", query=None),
            data={"grant_type": "client_credentials"},
            headers={"Authorization": f"Basic {pair}"},
        )
