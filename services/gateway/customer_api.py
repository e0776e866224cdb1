"""Billing and CRM systems keep intake's customer directory: one profile at a time, or a CSV export.

Each profile goes on the bus as CustomerProfileUpdated (key: the account number); intake keeps the
newest of each account. An import reads the whole file first: the rows that are fine are published, each
bad one is reported with its line and every problem found in it, and nothing is published for a file
that cannot be read at all (415, 422). The event ids come from the account and `updated_at`, so posting
the same file again (after a 503, say) repeats no change.
"""

from datetime import UTC, datetime
from typing import Annotated, Any
from uuid import NAMESPACE_URL, uuid4, uuid5

from aiokafka.errors import KafkaError
from fastapi import FastAPI, Path, Request

from contracts.events import CustomerProfileUpdatedV1
from plumbing.bus import EventPublisher
from services.gateway.audit import AuditWriter
from services.gateway.customer_import import NotAnExport, read_export
from services.gateway.customer_schemas import ACCOUNT_NUMBER, CustomerProfileIn, ImportReport
from services.gateway.principals import Caller, may_update_customers
from services.gateway.problems import AuditNotRecorded, Unreadable
from services.gateway.schemas import Accepted, Problem

CSV = "text/csv"
IMPORT_PATH = "/v1/customer-imports"
CSV_EXAMPLE = (
    "account_number,name,phones,kind,monthly_spend,customer_since,credit_score,red_list,blacklisted\n"
    "4401000123,张三,13926012345;02081234567,resident,186.5,2019-03-01,720,no,no\n"
)


def profile_event(
    account_number: str, profile: CustomerProfileIn, province: str, now: datetime
) -> tuple[CustomerProfileUpdatedV1, str]:
    updated_at = profile.updated_at or now
    event = CustomerProfileUpdatedV1(
        account_number=account_number,
        province=province,
        updated_at=updated_at,
        **profile.model_dump(exclude={"updated_at", "account_number"}),
    )
    key = f"hotline:customer:{province}:{account_number}:{updated_at.isoformat()}"
    return event, str(uuid5(NAMESPACE_URL, key))


def add_customer_api(
    app: FastAPI, Authenticated: Any, publisher: EventPublisher, audit: AuditWriter, topic: str, province: str
) -> None:
    statuses = (400, 401, 403, 413, 415, 422, 429, 503)
    answers: dict[int | str, dict[str, Any]] = {status: {"model": Problem} for status in statuses}

    async def recorded(request: Request, caller: Caller, resource: str, status: int) -> None:
        entry = audit.entry(request, caller, outcome="accepted", status=status, resource=resource)
        try:
            await audit.record(entry)
        except KafkaError as error:
            raise AuditNotRecorded(resource) from error

    @app.put("/v1/customers/{account_number}", status_code=202, responses=answers, name="customer.put")
    async def put_customer(
        request: Request,
        account_number: Annotated[str, Path(pattern=ACCOUNT_NUMBER)],
        profile: CustomerProfileIn,
        caller: Authenticated,
    ) -> Accepted:
        """One account's profile, as billing now holds it; an older `updated_at` than the directory's
        changes nothing."""
        may_update_customers(caller, province)
        event, event_id = profile_event(account_number, profile, province, datetime.now(UTC))
        await publisher.publish(event, topic, event_id=event_id)
        await recorded(request, caller, account_number, 202)
        return Accepted(id=account_number)

    csv_body = {"required": True, "content": {CSV: {"schema": {"type": "string"}, "example": CSV_EXAMPLE}}}

    @app.post(
        IMPORT_PATH,
        responses=answers,
        name="customer.import",
        openapi_extra={"requestBody": csv_body},
    )
    async def import_customers(request: Request, caller: Authenticated) -> ImportReport:
        """A billing system's CSV export (UTF-8, a header line; phones separated by ';'): the good rows
        are loaded, every bad one is listed with its problems."""
        may_update_customers(caller, province)
        media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if media_type != CSV:
            raise Unreadable(415, "Unsupported media type", f"send the export as {CSV}")
        try:
            read = read_export(await request.body())
        except NotAnExport as error:
            raise Unreadable(422, "Not a customer export", str(error)) from error
        now, import_id = datetime.now(UTC), f"I-{uuid4().hex.upper()}"
        events = [profile_event(row.account_number, row, province, now) for _, row in read.rows]
        await publisher.publish_many(events, topic)
        await recorded(request, caller, import_id, 200)
        rows = len(read.rows) + len(read.rejected)
        return ImportReport(import_id=import_id, rows=rows, loaded=len(read.rows), rejected=read.rejected)
