"""The agents' desk: each owner's list of work orders (the desk's queue for those nobody owns yet),
supplying the fields a work order in `needs_info` lacks (which intake checks again and, once nothing is
missing, opens for dispatch), handing a work order over to another agent, and correcting its type and
category. Lists are read from the case files; every list shown and every action is in the audit
trail."""

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import FastAPI, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field, model_validator

from contracts.events import (
    Event,
    WorkOrderHandoverRequestedV1,
    WorkOrderInfoSuppliedV1,
    WorkOrderReclassificationRequestedV1,
    WorkOrderType,
)
from services.gateway.audit import AuditWriter
from services.gateway.case_files import CaseFiles
from services.gateway.desk_access import may_list, may_work_on
from services.gateway.posts import IdempotencyKey, Published, publish_audited, stable_id
from services.gateway.principals import PrincipalTable, Role
from services.gateway.privacy import FieldAccess, show
from services.gateway.problems import Conflict, Unreadable
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


class Reclassify(BaseModel):
    """The type and category the work order is of, in the agent's judgement, and why."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    type: WorkOrderType
    category: Category | None = Field(
        default=None, description="Within the type, as intake's field rules list its categories."
    )
    reason: Text = Field(min_length=1, max_length=500)


@dataclass(frozen=True)
class Action:
    """One call acting on a work order: its id (stable for a retry with the same key, per principal and
    work order) and the fields every action event shares."""

    kind: str
    by: str
    work_order_id: str
    key: str | None

    @property
    def scope(self) -> str:
        return f"{self.kind}:{self.by}:{self.work_order_id}"

    @property
    def action_id(self) -> str:
        return stable_id("A", self.scope, self.key)

    def fields(self, province: str) -> dict[str, Any]:
        return {
            "action_id": self.action_id,
            "work_order_id": self.work_order_id,
            "province": province,
            "by": self.by,
            "at": datetime.now(UTC),
        }

    def published(self, event: Event, topic: str) -> Published:
        """Named by its action id in the 202, by its work order in the audit trail."""
        return Published(event, topic, self.action_id, self.scope, self.key, self.work_order_id)


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
        # A list never unseals: that is an explicit read of one work order (work_order_api.py).
        shown = [(case, show(case.facts, principal.role, None, rules)) for case in found[:limit]]
        clear = sorted({name for _, s in shown for name in s.clear})
        entry = audit.entry(
            request,
            caller,
            outcome="accepted",
            status=200,
            resource=f"owners/{owner}",
            listed=[case.facts.work_order_id for case, _ in shown],  # whose data it showed
            shown=clear,
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
        action = Action("info", principal.id, work_order_id, idempotency_key)
        event = WorkOrderInfoSuppliedV1(**action.fields(province), **supplied.model_dump())
        return await publish_audited(
            publisher, audit, request, caller, action.published(event, actions_topic)
        )

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
        action = Action("handover", principal.id, work_order_id, idempotency_key)
        event = WorkOrderHandoverRequestedV1(
            **action.fields(province),
            to=handover.to,
            reason=handover.reason,
            expected_owner=case.facts.queue,  # its owner, or the desk's queue
        )
        return await publish_audited(
            publisher, audit, request, caller, action.published(event, actions_topic)
        )

    @app.post(
        "/v1/work-orders/{work_order_id}/classification",
        status_code=202,
        responses=answers,
        name="desk.reclassify",
    )
    async def reclassify(
        request: Request,
        work_order_id: WorkOrderId,
        asked: Reclassify,
        caller: Authenticated,
        idempotency_key: IdempotencyKey = None,
    ) -> Accepted:
        """Correct a work order's type and category, with the reason: its owner, any agent for one the
        desk holds, or a supervisor. Intake checks the fields the new type needs: one waiting for
        fields is announced again (complete, or waiting for others); one announced complete already
        takes only a classification its fields fill. A closed one is 409."""
        case = await cases.find(work_order_id)
        principal = may_work_on(caller, province, case)
        assert case is not None
        if case.facts.missing is None:
            raise Conflict(f"work order {work_order_id} is not known here yet as intake opened it; retry")
        if case.status in ("answered", "linked"):
            raise Conflict(f"work order {work_order_id} is {case.status}: closed, it is not reclassified")
        if (asked.type, asked.category) == (case.facts.type, case.facts.category):
            raise Conflict(f"work order {work_order_id} is {asked.type.value}/{asked.category} already")
        action = Action("reclassify", principal.id, work_order_id, idempotency_key)
        event = WorkOrderReclassificationRequestedV1(
            **action.fields(province),
            **asked.model_dump(),
            seen_type=case.facts.type,
            seen_category=case.facts.category,
        )
        return await publish_audited(
            publisher, audit, request, caller, action.published(event, actions_topic)
        )
