"""Reading a work order: agents and supervisors of its province, the departments it was sent to, the
discipline inspector for reports. Each sees the personal fields its role needs (privacy.py), and every
read is in the audit trail with the fields it showed before the answer leaves."""

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import FastAPI, Path, Query, Request

from services.gateway.audit import AuditWriter
from services.gateway.case_files import CaseFacts, CaseFile, CaseFiles
from services.gateway.clock_schemas import clocks_shown
from services.gateway.principals import Forbidden
from services.gateway.privacy import FieldAccess, Shown, show
from services.gateway.problems import Unreadable
from services.gateway.reading import case_for, may_read_work_orders, may_unseal
from services.gateway.schemas import (
    AreaShown,
    CustomerShown,
    DispatchShown,
    IncidentShown,
    MissingShown,
    Problem,
    ReclassificationShown,
    ReplyShown,
    StepShown,
    WorkOrderShown,
)
from services.gateway.seal import Seal, SealBroken

WorkOrderId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$")]


def customer_shown(facts: CaseFacts, shown: Shown) -> CustomerShown:
    return CustomerShown(
        name=shown.values["customer.name"],
        phone=shown.values["customer.phone"],
        home_region=shown.values["customer.home_region"],
        tier=facts.tier,
        priority=facts.priority,
    )


def shown_as(case: CaseFile, shown: Shown) -> WorkOrderShown:
    facts = case.facts
    return WorkOrderShown(
        work_order_id=facts.work_order_id,
        province=facts.province,
        type=facts.type,
        category=facts.category,
        channel=facts.channel,
        created_at=facts.created_at,
        status=case.status,
        owner=facts.owner,
        missing=[MissingShown(name=name, reason=reason) for name, reason in facts.missing or ()],
        details=facts.details or {},
        customer=customer_shown(facts, shown),
        address=shown.values["address"],
        account_number=shown.values["account_number"],
        description=facts.description,
        sealed=shown.sealed,
        # Placed by the reporter's address: sealed with it.
        area=AreaShown(**facts.area.model_dump())
        if facts.area and (not shown.sealed or shown.unsealed)
        else None,
        dispatches=[DispatchShown(**vars(dispatch)) for dispatch in case.dispatches],
        replies=[ReplyShown(**vars(reply)) for reply in case.replies],
        dispatch_state=case.dispatch_state,
        steps=[StepShown(**vars(step)) for step in case.steps],
        # Unknown until dispatch tells them (its events before clocks were carried did not).
        clocks=clocks_shown(case.readings.clocks, datetime.now(UTC)) if case.readings.known else None,
        escalated=case.readings.escalated if case.readings.known else None,
        answer=facts.answer,
        incident=IncidentShown(incident_id=facts.incident_id, reporters=case.reporters)
        if facts.incident_id
        else None,
        linked_to=facts.linked_to,
        reclassifications=[ReclassificationShown(**vars(step)) for step in case.reclassifications],
    )


def add_work_order_api(
    app: FastAPI,
    Authenticated: Any,
    cases: CaseFiles,
    rules: FieldAccess,
    audit: AuditWriter,
    province: str,
    seal: Seal,
) -> None:
    answers: dict[int | str, dict[str, Any]] = {s: {"model": Problem} for s in (401, 403, 404, 422, 429, 503)}

    @app.get("/v1/work-orders/{work_order_id}", responses=answers, name="workorder.read")
    async def read_work_order(
        request: Request,
        work_order_id: WorkOrderId,
        caller: Authenticated,
        unseal: Annotated[
            bool,
            Query(
                description="Show an anonymous reporter's identity: for a credential carrying "
                "sealed:read only, and marked in the audit trail."
            ),
        ] = False,
    ) -> WorkOrderShown:
        """One work order as the caller's role may see it; one it may not see is 404, as is one that
        does not exist."""
        principal = may_read_work_orders(caller, province)
        if unseal and not may_unseal(caller):
            raise Forbidden("this credential does not carry the sealed:read scope, so it may not unseal")
        case = case_for(principal, await cases.find(work_order_id))
        try:
            shown = show(case.facts, principal.role, seal if unseal else None, rules)
        except SealBroken as error:  # refused and audited as such: nothing was shown
            detail = "the reporter was sealed with a key this gateway no longer holds; nothing is shown"
            raise Unreadable(500, "Seal unreadable", detail) from error
        entry = audit.entry(
            request,
            caller,
            outcome="accepted",
            status=200,
            resource=work_order_id,
            shown=shown.clear,
            unsealed=shown.unsealed,
        )
        await audit.record(entry)  # no record, no read: the bus being down answers 503
        return shown_as(case, shown)
