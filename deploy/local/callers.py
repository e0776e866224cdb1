"""Requests signed with the local principals' keys (deploy/local/credentials.py): the demo, the tests and
the bench call the gateway as a channel adapter or a department would, each with its own key."""

from __future__ import annotations

import re
from collections.abc import Generator

import httpx

from deploy.local.credentials import channel_id, department_id, local_keys

_CONTACTS = re.compile(r"^/v1/contacts/(?P<channel>[a-z0-9_]+)$")
_REPLIES = re.compile(r"^/v1/departments/(?P<department>[a-z0-9_]+)/replies$")


def key_for(province: str, path: str) -> str | None:
    """The key of the principal that may post to `path` in `province`: its channel, or its department."""
    keys = local_keys()
    if match := _CONTACTS.match(path):
        return keys.get(channel_id(province, match["channel"]))
    if match := _REPLIES.match(path):
        return keys.get(department_id(province, match["department"]))
    return None


class LocalCaller(httpx.Auth):
    """Signs each request with the key its path calls for, as the caller who owns that key would."""

    def __init__(self, province: str) -> None:
        self._province = province

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        key = key_for(self._province, request.url.path)
        if key is not None and "authorization" not in request.headers:
            request.headers["Authorization"] = f"Bearer {key}"
        yield request
