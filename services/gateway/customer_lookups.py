"""Customers asking after their own work order, in two steps of trust.

- Anyone with the work order's number and the phone it was filed with learns its status (no credential:
  the web portal's public form). Nothing private is in the answer.
- Its content (what was reported, the departments' replies) is private: it is told only to a caller the
  network vouches for, a call or text from the number it was filed with, as a voice or SMS adapter
  reports it (the operators' "call from the registered number"), or to one who keys in the service
  password of the account intake found it to be about (services/gateway/service_passwords.py): five
  wrong ones in a row lock the account's password for a day, on every replica. A locked password is
  answered 429, which tells a guesser that the work order exists and has a password on file: the
  operators want the customer told, and the lock is what stops the guessing.

A wrong number, an unknown work order and another province's are answered alike (404). Attempts, right
or wrong, are counted before the work order is looked at (so a burst sent at once is counted whole), per
work order and per asker; past the rate every attempt is 429 until the window moves on. The public form
counts per client address and per work order; the vouched lookup per caller number and per work order
and caller number, apart from the public counts, so a stranger's guessing at the public form does not
lock the customer out of the phone line; a lookup by service password is counted per work order, and
the password's own lock is kept in the store. The counts are kept per gateway replica (as the request
rate).
"""

import math
from datetime import UTC, datetime
from typing import Any

from fastapi import FastAPI, Request

from contracts.events import ReplyKind
from services.gateway.audit import AuditWriter
from services.gateway.case_files import CaseFile, CaseFiles
from services.gateway.limits import RateLimit, TooManyRequests
from services.gateway.principals import NotFound, may_look_up_for_caller
from services.gateway.schemas import CallerLookup, CaseForCustomer, Problem, StatusLookup, StatusShown
from services.gateway.service_passwords import ServicePasswords, Verdict

# Unknown work order, another province's, a number with no password on file or a wrong password: alike.
PASSWORD_NOT_FOUND = "no work order with this number whose account has this service password"


def status_of(case: CaseFile) -> StatusShown:
    facts = case.facts
    return StatusShown(
        work_order_id=facts.work_order_id,
        type=facts.type,
        status=case.status,
        created_at=facts.created_at,
        updated_at=case.updated_at,
    )


def add_customer_lookups(
    app: FastAPI,
    Authenticated: Any,
    cases: CaseFiles,
    audit: AuditWriter,
    attempts: RateLimit,
    province: str,
    passwords: ServicePasswords,
) -> None:
    statuses = (400, 401, 403, 404, 422, 429, 503)
    answers: dict[int | str, dict[str, Any]] = {status: {"model": Problem} for status in statuses}

    async def matching(work_order_id: str, phone: str, *counted: str) -> CaseFile | None:
        """The case if `phone` is its number; the attempt is counted against each of `counted` first."""
        for key in counted:
            await attempts.take(key)
        case = await cases.find(work_order_id)
        return case if case is not None and case.facts.phone == phone else None

    @app.post("/v1/public/work-order-status", responses=answers, name="status.lookup")
    async def look_up_status(request: Request, lookup: StatusLookup) -> StatusShown:
        """The status of a work order, for whoever has its number and the phone it was filed with.
        A POST, so the phone is in no URL and no access log."""
        peer = request.client.host if request.client else "unknown"
        wanted = lookup.work_order_id
        case = await matching(wanted, lookup.phone, f"public:{wanted}", f"public-peer:{peer}")
        if case is None:
            detail = "no work order with this number and phone"
            refusal = audit.public_entry(
                request, outcome="refused", status=404, resource=wanted, detail=detail
            )
            await audit.record(refusal)
            raise NotFound(detail)
        entry = audit.public_entry(request, outcome="accepted", status=200, resource=lookup.work_order_id)
        await audit.record(entry)
        return status_of(case)

    @app.post("/v1/customer-lookups", responses=answers, name="customer.lookup")
    async def look_up_for_caller(
        request: Request, lookup: CallerLookup, caller: Authenticated
    ) -> CaseForCustomer:
        """A work order's content for the customer on the line: the caller's number (from the network)
        must be the one it was filed with, or the service password keyed in that of the account the
        number it was filed with belongs to."""
        may_look_up_for_caller(caller, province)
        wanted = lookup.work_order_id
        if lookup.caller_number is not None:
            number = lookup.caller_number
            case = await matching(wanted, number, f"vouched:{wanted}:{number}", f"vouched-caller:{number}")
            if case is None:
                raise NotFound("no work order with this number filed from this caller's number")
        elif lookup.service_password is not None:
            case = await by_password(wanted, lookup.service_password)
        else:  # the model's own check refuses this (422)
            raise NotFound("give caller_number or service_password")
        entry = audit.entry(
            request,
            caller,
            outcome="accepted",
            status=200,
            resource=wanted,
            shown=["description", "replies"],
        )
        await audit.record(entry)
        finals = [reply.message for reply in case.replies if reply.kind is ReplyKind.FINAL]
        return CaseForCustomer(
            **status_of(case).model_dump(), description=case.facts.description, replies=finals
        )

    async def by_password(wanted: str, password: str) -> CaseFile:
        """The case if `password` is the service password of the account intake found it to be about;
        else 404, or 429 while that password is locked after too many wrong ones."""
        await attempts.take(f"password:{wanted}")
        case = await cases.find(wanted)
        account = case.facts.account_number if case is not None else None
        if case is None or account is None:
            why = "no such work order" if case is None else "the work order has no account"
            raise NotFound(PASSWORD_NOT_FOUND, audit_detail=why)
        now = datetime.now(UTC)
        checked = await passwords.check(account, password, now)
        if checked.verdict is Verdict.LOCKED:
            until = checked.locked_until or now
            detail = f"too many wrong service passwords in a row: locked until {until.isoformat()}"
            wait = max(1, math.ceil((until - now).total_seconds()))
            raise TooManyRequests(
                wait, detail, audit_detail=f"service password locked ({checked.tries} wrong in a row)"
            )
        if checked.verdict is Verdict.WRONG:
            raise NotFound(
                PASSWORD_NOT_FOUND, audit_detail=f"wrong service password ({checked.tries} in a row)"
            )
        if checked.verdict is Verdict.NONE_ON_FILE:
            raise NotFound(PASSWORD_NOT_FOUND, audit_detail="no service password on file for the account")
        return case
