"""Billing and CRM systems keep intake's customer directory: one profile at a time, or a CSV export.

Each profile goes on the bus as CustomerProfileUpdated (key: the account number); intake keeps the
newest of each account. An import reads the whole file first, in a worker thread and one file at a time
per replica (a large export takes seconds to check): the rows that are fine are published, each bad one
is reported with its line and every problem found in it, and nothing is published for a file that cannot
be read at all (415, 422). Event ids come from the account and `updated_at`, both in every row, so the
same file posted again (after a 503, say) repeats no change.
"""

import asyncio
from datetime import datetime
from typing import Any
from uuid import NAMESPACE_URL, uuid4, uuid5

import anyio
from aiokafka.errors import KafkaError
from fastapi import FastAPI, Request

from contracts.events import CustomerProfileUpdatedV1
from plumbing.bus import EventPublisher
from services.gateway.audit import AuditWriter
from services.gateway.customer_import import COLUMNS, NotAnExport, ReadRows, read_export
from services.gateway.customer_schemas import CustomerProfileIn, ImportReport
from services.gateway.limits import TooManyRequests
from services.gateway.principals import Caller, may_update_customers
from services.gateway.problems import AuditNotRecorded, Unreadable
from services.gateway.schemas import Accepted, Problem
from services.gateway.service_passwords import PasswordChange, ServicePasswords

CSV = "text/csv"
IMPORT_PATH = "/v1/customer-imports"
CSV_EXAMPLE = (
    ",".join(COLUMNS) + "\n"
    "4401000123,张三,13926012345;02081234567,resident,,186.5,2019-03-01,720,no,no,2026-12-01T08:00:00+08:00\n"
)
IMPORT_RETRY_SECONDS = 30


def profile_event(profile: CustomerProfileIn, province: str) -> tuple[CustomerProfileUpdatedV1, str]:
    event = CustomerProfileUpdatedV1(province=province, **profile.model_dump())
    key = f"hotline:customer:{province}:{profile.account_number}:{_milliseconds(profile.updated_at)}"
    return event, str(uuid5(NAMESPACE_URL, key))


def _milliseconds(moment: datetime) -> str:
    """The store keeps milliseconds; two sends of one change must make one id whatever finer digits."""
    return moment.isoformat(timespec="milliseconds")


def password_changes(profiles: list[CustomerProfileIn], passwords: ServicePasswords) -> list[PasswordChange]:
    """The service passwords the profiles set or clear (one that leaves the field out changes none)."""
    return [
        passwords.change(p.account_number, p.service_password, p.updated_at)
        for p in profiles
        if "service_password" in p.model_fields_set
    ]


def add_customer_api(
    app: FastAPI,
    Authenticated: Any,
    publisher: EventPublisher,
    audit: AuditWriter,
    topic: str,
    province: str,
    passwords: ServicePasswords,
) -> None:
    statuses = (400, 401, 403, 413, 415, 422, 429, 503)
    answers: dict[int | str, dict[str, Any]] = {status: {"model": Problem} for status in statuses}
    one_import = asyncio.Semaphore(1)

    async def recorded(request: Request, caller: Caller, resource: str, status: int) -> None:
        entry = audit.entry(request, caller, outcome="accepted", status=status, resource=resource)
        try:
            await audit.record(entry)
        except KafkaError as error:
            raise AuditNotRecorded(resource) from error

    @app.post("/v1/customer-profiles", status_code=202, responses=answers, name="customer.post")
    async def post_customer(request: Request, profile: CustomerProfileIn, caller: Authenticated) -> Accepted:
        """One account's whole profile, as billing now holds it; one older than the directory's
        (`updated_at`) changes nothing. The account number is in the body, not the path, so it stays out
        of access logs and traces."""
        may_update_customers(caller, province)
        event, event_id = profile_event(profile, province)
        # Kept before the profile is published: if the bus then fails (503), billing posts the same
        # profile again, and keeping its password a second time changes nothing.
        await passwords.keep(password_changes([profile], passwords))
        await publisher.publish(event, topic, event_id=event_id)
        await recorded(request, caller, profile.account_number, 202)
        return Accepted(id=profile.account_number)

    csv_body = {"required": True, "content": {CSV: {"schema": {"type": "string"}, "example": CSV_EXAMPLE}}}

    @app.post(IMPORT_PATH, responses=answers, name="customer.import", openapi_extra={"requestBody": csv_body})
    async def import_customers(request: Request, caller: Authenticated) -> ImportReport:
        """A billing system's CSV export (UTF-8; a header line naming every column; phones separated by
        ';'): the good rows are loaded, every bad one is listed with its problems."""
        may_update_customers(caller, province)
        media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if media_type != CSV:
            raise Unreadable(415, "Unsupported media type", f"send the export as {CSV}")
        if one_import.locked():
            raise TooManyRequests(IMPORT_RETRY_SECONDS)  # another file is being read on this replica
        async with one_import:
            body = await request.body()
            try:
                read = await anyio.to_thread.run_sync(read_export, body)
                events = await anyio.to_thread.run_sync(_events, read, province)
                changes = await anyio.to_thread.run_sync(password_changes, read.rows, passwords)
            except NotAnExport as error:
                raise Unreadable(422, "Not a customer export", str(error)) from error
            import_id = f"I-{uuid4().hex.upper()}"
            await passwords.keep(changes)
            try:
                await publisher.publish_many(events, topic)
            except KafkaError as error:
                detail = "some rows may be loaded: post the same file again (a loaded row changes nothing)"
                raise Unreadable(503, "Bus unavailable", detail) from error
            await recorded(request, caller, import_id, 200)
        rows = len(read.rows) + len(read.rejected)
        return ImportReport(import_id=import_id, rows=rows, loaded=len(read.rows), rejected=read.rejected)


def _events(read: ReadRows, province: str) -> list[tuple[CustomerProfileUpdatedV1, str | None]]:
    return [profile_event(row, province) for row in read.rows]
