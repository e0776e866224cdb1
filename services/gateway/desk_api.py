"""The agents' desk: each owner's list of work orders (the desk's queue for those nobody owns yet),
supplying the fields a work order in `needs_info` lacks (which intake checks again and, once nothing is
missing, opens for dispatch), and handing a work order over to another agent. Lists are read from the
case files; every list shown and every action is in the audit trail."""

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import FastAPI, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field, model_validator

from contracts.events import WorkOrderHandoverRequestedV1, WorkOrderInfoSuppliedV1
from services.gateway.audit import AuditWriter
from services.gateway.case_files import CaseFiles
from services.gateway.desk_access import may_list, may_work_on
from services.gateway.posts import IdempotencyKey, Published, publish_audited, stable_id
from services.gateway.principals import PrincipalTable, Role
from services.gateway.privacy import FieldAccess, show
from services.gateway.problems import Conflict, Unreadable
from services.gateway.reading import may_unseal
from services.gateway.schemas import Accepted, Category, Details, Problem, Text, WorkOrderShown
from services.gateway.work_order_api import WorkOrderId, shown_as

Owner = Annotated[
    str,
    Path(
        min_length=1,
        max_length=128,
        pattern=r"^[A-Za-z0-9._-]+$",
        description="An agent's principal id, or `desk` for the work orders nobody owns yet.",
    ),
]


class InfoSupplied(BaseModel):
    """Fields a work order lacked; those not given stay as they were."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    category: Category | None = None
    address: Text | None = Field(default=None, min_length=1, max_length=300)
    account_number: Text | None = Field(default=None, min_length=1, max_length=64)
    customer_name: Text | None = Field(
        default=None, min_length=1, max_length=100, description="Never kept for a sealed report."
    )
    details: Details = {}

    @model_validator(mode="after")
    def _something(self) -> "InfoSupplied":
        if not (self.model_dump(exclude_none=True, exclude={"details"}) or self.details):
            raise ValueError("supply at least one field")
        return self


class Handover(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    to: str = Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9._-]+$", description="An agent's id.")
    reason: Text = Field(min_length=1, max_length=500)


class WorkOrderList(BaseModel):
    owner: str
    work_orders: list[WorkOrderShown] = Field(description="Oldest first.")
    more: bool = Field(description="More are on the list than the limit let through.")


def add_desk_api(
    app: FastAPI,
    Authenticated: Any,
    cases: CaseFiles,
    rules: FieldAccess,
    publishing: tuple[Any, AuditWriter, str],
    principals: PrincipalTable,
    province: str,
) -> None:
    publisher, audit, actions_topic = publishing
    answers: dict[int | str, dict[str, Any]] = {
        s: {"model": Problem} for s in (401, 403, 404, 409, 422, 429, 503)
    }

    @app.get("/v1/owners/{owner}/work-orders", responses=answers, name="desk.list")
    async def list_work_orders(
        request: Request,
        owner: Owner,
        caller: Authenticated,
        needs_info: Annotated[bool, Query(description="Only those waiting for fields.")] = False,
        limit: Annotated[int, Query(ge=1, le=500)] = 100,
    ) -> WorkOrderList:
        """An owner's work orders: an agent lists its own and the desk's, a supervisor anyone's."""
        principal, queue = may_list(caller, province, owner)
        found = await cases.on_list(queue, needs_info, limit + 1)
        unseal = may_unseal(caller)
        shown = [(case, show(case.facts, principal.role, unseal, rules)) for case in found[:limit]]
        clear = sorted({name for _, s in shown for name in s.clear})
        entry = audit.entry(
            request,
            caller,
            outcome="accepted",
            status=200,
            resource=f"owners/{owner}",
            listed=[case.facts.work_order_id for case, _ in shown],  # whose data it showed
            shown=clear,
            unsealed=any(s.unsealed for _, s in shown),
        )
        await audit.record(entry)  # no record, no read
        listed = [shown_as(case, s) for case, s in shown]
        return WorkOrderList(owner=owner, work_orders=listed, more=len(found) > limit)

    @app.post("/v1/work-orders/{work_order_id}/info", status_code=202, responses=answers, name="desk.supply")
    async def supply_info(
        request: Request,
        work_order_id: WorkOrderId,
        supplied: InfoSupplied,
        caller: Authenticated,
        idempotency_key: IdempotencyKey = None,
    ) -> Accepted:
        """Supply what a work order in `needs_info` lacks: its owner, any agent while the desk holds
        it, or a supervisor. One that lacks nothing is 409."""
        case = await cases.find(work_order_id)
        principal = may_work_on(caller, province, case)
        assert case is not None
        if case.status != "needs_info":
            raise Conflict(f"work order {work_order_id} is {case.status}: it lacks no field")
        if supplied.customer_name is not None and case.facts.anonymous is not False:
            detail = "customer_name: a sealed report keeps no reporter's name, not even on the bus"
            raise Unreadable(422, "Invalid request", detail)
        scope = f"info:{principal.id}:{work_order_id}"
        action_id = stable_id("A", scope, idempotency_key)
        event = WorkOrderInfoSuppliedV1(
            action_id=action_id,
            work_order_id=work_order_id,
            province=province,
            by=principal.id,
            at=datetime.now(UTC),
            **supplied.model_dump(),
        )
        published = Published(event, actions_topic, action_id, scope, idempotency_key, work_order_id)
        return await publish_audited(publisher, audit, request, caller, published)

    @app.post(
        "/v1/work-orders/{work_order_id}/owner", status_code=202, responses=answers, name="desk.handover"
    )
    async def hand_over(
        request: Request,
        work_order_id: WorkOrderId,
        handover: Handover,
        caller: Authenticated,
        idempotency_key: IdempotencyKey = None,
    ) -> Accepted:
        """Hand a work order to another agent of the province, with the reason: its owner, any agent
        for one the desk holds (to take it), or a supervisor. The history keeps every handover."""
        case = await cases.find(work_order_id)
        principal = may_work_on(caller, province, case)
        assert case is not None
        if case.facts.missing is None:  # only a dispatch of it seen yet: whose it is is not known here
            raise Conflict(f"work order {work_order_id} is not known here yet as intake opened it; retry")
        to = principals.by_id(handover.to)
        if to is None or to.role is not Role.AGENT or to.province != province:
            detail = f"to: {handover.to} is not an agent of {province}; only an agent owns work orders"
            raise Unreadable(422, "Invalid request", detail)
        scope = f"handover:{principal.id}:{work_order_id}"
        action_id = stable_id("A", scope, idempotency_key)
        event = WorkOrderHandoverRequestedV1(
            action_id=action_id,
            work_order_id=work_order_id,
            province=province,
            by=principal.id,
            at=datetime.now(UTC),
            to=handover.to,
            reason=handover.reason,
            expected_owner=case.facts.queue,  # its owner, or the desk's queue
        )
        published = Published(event, actions_topic, action_id, scope, idempotency_key, work_order_id)
        return await publish_audited(publisher, audit, request, caller, published)
