"""The audit trail of providers' webhooks (Twilio's, Kannel's): they carry no principal's credential but
a signature or password of the provider's, and are recorded as that provider's channel adapter."""

from typing import Any

from aiokafka.errors import KafkaError
from fastapi import Request

from services.gateway.audit import AuditWriter
from services.gateway.limits import RateLimit, TooManyRequests

# Per client: more refused calls than that are refused unrecorded.
REFUSALS_AUDITED = "30/minute"


class WebhookTrail:
    def __init__(self, audit: AuditWriter, log: Any, signed_by: str) -> None:
        self._audit = audit
        self._log = log
        self._signed_by = signed_by
        self._refusals = RateLimit(REFUSALS_AUDITED)

    async def refused(self, request: Request, status: int, detail: str) -> None:
        """A call refused for its signature or password; a flood of them is refused without a record
        each, so that forgeries cannot fill the trail."""
        try:
            await self._refusals.take(request.client.host if request.client else "unknown")
        except TooManyRequests:
            return
        await self._audit.record(
            self._audit.public_entry(request, outcome="refused", status=status, detail=detail)
        )

    async def taken(self, request: Request, resource: str, key: str, status: int = 200) -> None:
        """A call taken: its event is on the bus already, so a record that fails is logged and the answer
        still sent (a caller is not hung up on, a text not refused, for the trail)."""
        entry = self._audit.public_entry(
            request, outcome="accepted", status=status, resource=resource, signed_by=self._signed_by, key=key
        )
        try:
            await self._audit.record(entry)
        except KafkaError as error:
            self._log.error(
                "audit record of a webhook not published", signed_by=self._signed_by, error=repr(error)
            )
