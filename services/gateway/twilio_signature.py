"""Twilio's webhook signature (X-Twilio-Signature), checked with `twilio`'s RequestValidator over the URL
Twilio called and the form it posted. Behind an ingress the gateway sees another URL than Twilio did,
so the public one is rebuilt from X-Forwarded-Proto and X-Forwarded-Host, but only for a request whose
peer is one of the trusted proxies (GATEWAY_TRUSTED_PROXIES): anyone else could name any host."""

import ipaddress
from collections.abc import Sequence

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send
from twilio.request_validator import RequestValidator

PEER = "hotline.peer"  # the connection's own peer, kept before the proxy headers replace the client


class KeepPeer:
    """Outermost: notes the peer the connection came from, as ProxyHeadersMiddleware rewrites the client."""

    def __init__(self, app: ASGIApp) -> None:
        self._app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope.get("client"):
            scope[PEER] = scope["client"][0]
        await self._app(scope, receive, send)


def public_url(request: Request, trusted: Sequence[str]) -> str:
    """The URL Twilio called: the request's own, or the trusted proxy's view of it."""
    url = request.url
    peer = request.scope.get(PEER)
    if peer and _trusted(peer, trusted):
        # The last value is the one our own proxy added; any before it are what the client claimed.
        scheme = request.headers.get("x-forwarded-proto", url.scheme).split(",")[-1].strip()
        host = request.headers.get("x-forwarded-host", url.netloc).split(",")[-1].strip()
        url = url.replace(scheme=scheme, netloc=host)
    return str(url)


def _trusted(peer: str, trusted: Sequence[str]) -> bool:
    try:
        address = ipaddress.ip_address(peer)
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(network, strict=False) for network in trusted)


def signed(auth_token: str, url: str, form: FormData, signature: str | None) -> bool:
    """Whether Twilio, holding `auth_token`, signed this form posted to `url` (every value of a field
    given twice, as Twilio signs them)."""
    if not signature:
        return False
    return bool(RequestValidator(auth_token).validate(url, form, signature))
