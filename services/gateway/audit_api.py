"""The auditor's view of the trail: the calls made through this province's API, a span of minutes at a
time. Nothing can change or remove a record: there is no route for it, and the store keeps inserts only."""

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel

from contracts.events import AuditRecordedV1
from services.gateway.audit import AuditWriter
from services.gateway.ports import AuditTrail
from services.gateway.principals import may_read_audit
from services.gateway.schemas import Problem

MINUTE = "%Y-%m-%dT%H:%M"
# A date and a time to the minute (seconds allowed), then Z or an offset or nothing; never a number.
ISO_MINUTE = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?(Z|[+-]\d{2}:\d{2})?$"


class AuditPage(BaseModel):
    records: list[AuditRecordedV1]
    next_from: str  # the minute to ask for next, to read on


def _minutes(start: datetime, count: int) -> list[str]:
    return [(start + timedelta(minutes=n)).strftime(MINUTE) for n in range(count)]


def add_audit_api(
    app: FastAPI, Authenticated: Any, trail: AuditTrail, audit: AuditWriter, province: str
) -> None:
    answers: dict[int | str, dict[str, Any]] = {s: {"model": Problem} for s in (400, 401, 403, 422, 429, 503)}

    @app.get("/v1/audit", responses=answers, name="audit.read")
    async def read_audit_trail(
        request: Request,
        caller: Authenticated,
        since: Annotated[
            str,
            Query(
                alias="from",
                pattern=ISO_MINUTE,
                description="The first minute, e.g. 2026-12-02T01:00Z (UTC unless an offset is given).",
            ),
        ],
        minutes: Annotated[int, Query(ge=1, le=60, description="How many minutes from it.")] = 10,
        principal: Annotated[str | None, Query(max_length=128, description="Only this principal's.")] = None,
    ) -> AuditPage:
        """The audit records of `minutes` minutes from `from`, oldest first; reading them is recorded too."""
        may_read_audit(caller, province)
        try:
            given = datetime.fromisoformat(since)
            aware = given if given.tzinfo else given.replace(tzinfo=UTC)
            start = aware.astimezone(UTC).replace(second=0, microsecond=0)
            start + timedelta(minutes=minutes)  # the page and the next one must be on the calendar
        except (OverflowError, ValueError) as error:
            raise RequestValidationError(
                [{"loc": ("query", "from"), "msg": "outside the calendar", "type": "value_error"}]
            ) from error
        records = await trail.in_minutes(_minutes(start, minutes), principal)
        entry = audit.entry(request, caller, outcome="accepted", status=200, resource=start.strftime(MINUTE))
        await audit.record(entry)
        return AuditPage(records=records, next_from=(start + timedelta(minutes=minutes)).strftime(MINUTE))
