"""The dispatch lifecycle through the API: a department accepts its dispatch, reports its crew on site or
returns it; the work order's owner (or a supervisor) chases, urges, re-dispatches, resumes, escalates,
closes or reopens it. A step the work order's state does not allow is 409 with the states it needs
(contracts/lifecycle.py), before anything is posted; dispatch holds every step to the same table."""

from datetime import UTC, datetime
from typing import Any

from fastapi import FastAPI, Request
from pydantic import BaseModel, ConfigDict, Field, model_validator

from contracts.events import (
    DepartmentActedV1,
    DepartmentAction,
    DispatchActionRequestedV1,
    ReturnReason,
    SupervisionAction,
)
from contracts.lifecycle import Step
from contracts.topics import Topics
from plumbing.bus import EventPublisher
from services.gateway.audit import AuditWriter
from services.gateway.case_files import CaseFiles
from services.gateway.desk_access import may_work_on
from services.gateway.desk_api import Action
from services.gateway.dispatch_lookup import DispatchLookup
from services.gateway.lifecycle_checks import step_allowed
from services.gateway.posts import ANSWERS, IdempotencyKey, Published, publish_audited, stable_id
from services.gateway.principals import may_reply_for
from services.gateway.problems import Conflict, Unreadable
from services.gateway.routing_copy import RoutingCopy
from services.gateway.schemas import Accepted, Text
from services.gateway.work_order_api import WorkOrderId

DEPARTMENT_STEPS = {DepartmentAction.ACCEPT: Step.ACCEPTED, DepartmentAction.ARRIVE: Step.ARRIVED}
SUPERVISION_STEPS = {
    SupervisionAction.CHASE: Step.CHASED,
    SupervisionAction.URGE: Step.URGED,
    SupervisionAction.REDISPATCH: Step.REDISPATCHED,
    SupervisionAction.RESUME: Step.RESUMED,
    SupervisionAction.ESCALATE: Step.ESCALATED,
    SupervisionAction.CLOSE: Step.CLOSED,
    SupervisionAction.REOPEN: Step.REOPENED,
}


class DepartmentStep(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    work_order_id: str = Field(min_length=1, max_length=64)
    dispatch_id: str = Field(min_length=1, max_length=80)
    action: DepartmentAction
    reason: ReturnReason | None = Field(default=None, description="Required to return it.")
    message: Text | None = Field(default=None, max_length=2000)
    by: Text | None = Field(default=None, max_length=100, description="The handler or crew leader.")

    @model_validator(mode="after")
    def _reason_to_return(self) -> "DepartmentStep":
        if (self.action is DepartmentAction.RETURN) != (self.reason is not None):
            raise ValueError("a return gives its reason (wrong_department or missing_information); no other")
        return self


class SupervisionStep(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    action: SupervisionAction
    reason: Text = Field(min_length=1, max_length=500)
    department: str | None = Field(
        default=None,
        pattern=r"^[a-z][a-z0-9_-]*$",
        description="Where to re-dispatch to; without it the routing table sends it to the next department "
        "that matches and has not had it, or, when none is left, onto the supervisor's queue.",
    )

    @model_validator(mode="after")
    def _department_to_redispatch(self) -> "SupervisionStep":
        if self.department is not None and self.action is not SupervisionAction.REDISPATCH:
            raise ValueError("only a redispatch names a department")
        return self


async def department_routed(routing: RoutingCopy, department: str) -> None:
    """422 naming the departments the routing table in force does name, when it names not this one."""
    table = await routing.in_force()
    if table is not None and department not in table.departments:
        raise Unreadable(
            422,
            "Invalid request",
            f"department: {department!r} is not in {table.province}'s routing table (as read "
            f"{table.loaded_at.isoformat()}); it names {', '.join(table.departments)}",
        )


def add_dispatch_api(
    app: FastAPI,
    Authenticated: Any,
    reading: tuple[CaseFiles, RoutingCopy],
    lookup: DispatchLookup,
    publishing: tuple[EventPublisher, AuditWriter, Topics],
    province: str,
) -> None:
    publisher, audit, topics = publishing
    cases, routing = reading

    @app.post("/v1/departments/{department}/actions", status_code=202, responses=ANSWERS, name="dispatch.act")
    async def post_department_step(
        request: Request,
        department: str,
        asked: DepartmentStep,
        caller: Authenticated,
        idempotency_key: IdempotencyKey = None,
    ) -> Accepted:
        """Accept a dispatch sent to the department, report its crew on site, or return it with the
        reason; another department's dispatch is 403, one never sent here 404, a step its state does not
        allow (or on a replaced form) 409."""
        may_reply_for(caller, province, department)
        case = await lookup.sent_to(department, asked.work_order_id, asked.dispatch_id)
        arrived = any(s.step == "arrived" and s.dispatch_id == asked.dispatch_id for s in case.steps)
        if asked.action is DepartmentAction.ARRIVE and arrived:
            raise Conflict(f"the crew of {asked.dispatch_id} has reported itself on site already")
        missing = asked.reason is ReturnReason.MISSING_INFORMATION
        returned = Step.INFO_REQUESTED if missing else Step.RETURNED
        step_allowed(case, DEPARTMENT_STEPS.get(asked.action, returned))
        scope = f"act:{caller.principal.id}"
        action_id = stable_id("A", scope, idempotency_key)
        event = DepartmentActedV1(
            action_id=action_id, department=department, at=datetime.now(UTC), **asked.model_dump()
        )
        published = Published(
            event, topics.department_replies, action_id, scope, idempotency_key, asked.work_order_id
        )
        return await publish_audited(publisher, audit, request, caller, published)

    @app.post(
        "/v1/work-orders/{work_order_id}/dispatch-actions",
        status_code=202,
        responses=ANSWERS,
        name="dispatch.supervise",
    )
    async def post_supervision_step(
        request: Request,
        work_order_id: WorkOrderId,
        asked: SupervisionStep,
        caller: Authenticated,
        idempotency_key: IdempotencyKey = None,
    ) -> Accepted:
        """Chase, urge, re-dispatch, resume, escalate, close or reopen a work order: its owner, any
        agent while the desk holds it, or a supervisor. Close only once the department's result is in
        (the customer has been answered); a step its state does not allow is 409."""
        case = await cases.find(work_order_id)
        principal = may_work_on(caller, province, case)
        assert case is not None
        step_allowed(case, SUPERVISION_STEPS[asked.action])
        if asked.department is not None:
            await department_routed(routing, asked.department)
        action = Action(f"dispatch-{asked.action.value}", principal.id, work_order_id, idempotency_key)
        event = DispatchActionRequestedV1(**action.fields(province), **asked.model_dump())
        return await publish_audited(
            publisher, audit, request, caller, action.published(event, topics.dispatch_actions)
        )
