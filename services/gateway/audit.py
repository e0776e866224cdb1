"""The audit trail's writing end: one AuditRecorded event per call through the API, accepted or refused,
published on the subsystem's audit topic before the caller is answered (an accepted call is answered
only once both its event and its audit record are on the bus)."""

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Literal
from uuid import NAMESPACE_URL, uuid4, uuid5

from fastapi import Request
from starlette.routing import Match

from contracts.events import AuditRecordedV1
from plumbing.bus import EventPublisher
from services.gateway.principals import Caller

PUBLIC = "public"  # the principal and role of a call made without a credential


def client_of(request: Request) -> str | None:
    """The client's address (the peer's, or the one the trusted proxies give for it: settings), with
    the X-Forwarded-For it came with kept beside it: addresses no trusted proxy vouches for are only
    what the sender claims."""
    client = request.client.host if request.client else None
    forwarded = request.headers.get("x-forwarded-for")
    return f"{client} (forwarded for: {forwarded[:200]})" if forwarded else client


def action_of(request: Request) -> str:
    """The route's name ("contact.post"), as declared with the route."""
    route = request.scope.get("route")
    if route is None:  # refused before routing finished: find it the way the router does
        for candidate in request.app.routes:
            if candidate.matches(request.scope)[0] is Match.FULL:
                route = candidate
                break
    return str(getattr(route, "name", None) or request.url.path)


class AuditWriter:
    def __init__(self, publisher: EventPublisher, topic: str, province: str) -> None:
        self._publisher = publisher
        self._topic = topic
        self._province = province

    def entry(
        self,
        request: Request,
        caller: Caller,
        *,
        outcome: Literal["accepted", "refused"],
        status: int,
        resource: str | None = None,
        detail: str | None = None,
        key: str | None = None,
        shown: Sequence[str] = (),
        unsealed: bool = False,
        listed: Sequence[str] = (),
    ) -> AuditRecordedV1:
        """`key`: the request's idempotency key; a retry with it is the same record, kept once.
        `shown`: the personal fields a read showed in clear (their names only); `listed`: the ids a list
        showed."""
        return self._entry(
            request,
            caller.principal.id,
            caller.principal.role.value,
            outcome=outcome,
            status=status,
            resource=resource,
            detail=detail,
            key=key,
            token_id=caller.token_id,
            shown=shown,
            unsealed=unsealed,
            listed=listed,
        )

    def public_entry(
        self,
        request: Request,
        *,
        outcome: Literal["accepted", "refused"],
        status: int,
        resource: str | None = None,
        detail: str | None = None,
        signed_by: str | None = None,
        key: str | None = None,
    ) -> AuditRecordedV1:
        """A call that carries no credential (a customer's own status lookup): recorded as `public`; one
        signed by a provider's webhook signature (Twilio's) as that provider's channel adapter."""
        principal, role = (signed_by, "channel_adapter") if signed_by else (PUBLIC, PUBLIC)
        return self._entry(
            request,
            principal,
            role,
            outcome=outcome,
            status=status,
            resource=resource,
            detail=detail,
            key=key,
        )

    def _entry(
        self,
        request: Request,
        principal_id: str,
        role: str,
        *,
        outcome: Literal["accepted", "refused"],
        status: int,
        resource: str | None = None,
        detail: str | None = None,
        key: str | None = None,
        token_id: str | None = None,
        shown: Sequence[str] = (),
        unsealed: bool = False,
        listed: Sequence[str] = (),
    ) -> AuditRecordedV1:
        action = action_of(request)
        stable = f"hotline:audit:{principal_id}:{action}:{resource}:{key}:{outcome}:{status}"
        audit_id = str(uuid5(NAMESPACE_URL, stable) if key else uuid4())
        return AuditRecordedV1(
            audit_id=audit_id,
            province=self._province,
            at=datetime.now(UTC),
            principal_id=principal_id,
            role=role,
            action=action,
            resource=resource,
            outcome=outcome,
            status=status,
            client=client_of(request),
            token_id=token_id,
            detail=detail,
            shown=list(shown),
            unsealed=unsealed,
            listed=list(listed),
        )

    async def record(self, entry: AuditRecordedV1) -> None:
        await self._publisher.publish(entry, self._topic, event_id=entry.audit_id)
