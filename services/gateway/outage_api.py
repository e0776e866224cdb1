"""Known outages, registered by the province's supervisors (the control room): a fault report from an
affected area is then answered with the cause and the expected restoration time instead of being
dispatched. Each change is published for intake (`<p>.outages`) and kept here, so that the API knows
which outages exist and agents can see the active ones."""

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import FastAPI, Path, Request
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from contracts.events import Event, OutageEndedV1, OutageKind, OutageRegisteredV1, OutageUpdatedV1
from services.gateway.audit import AuditWriter
from services.gateway.outages import KeptOutage, OutageBook
from services.gateway.posts import IdempotencyKey, Published, publish_audited
from services.gateway.principals import Caller, NotFound, Role, Scope, acting_as
from services.gateway.problems import Conflict, Unreadable
from services.gateway.schemas import Accepted, Problem, Text

AreaCode = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{0,63}$")]
OutageId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$")]


class OutageNotice(BaseModel):
    """An outage as the operator's outage management system names it (its id is the caller's: a retry
    registers nothing twice)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    outage_id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$")
    kind: OutageKind
    areas: list[AreaCode] = Field(min_length=1, max_length=500, description="Supply area codes.")
    cause: Text = Field(min_length=1, max_length=200, description="As customers are told it.")
    starts_at: AwareDatetime
    expected_restoration_at: AwareDatetime

    @model_validator(mode="after")
    def _in_order(self) -> "OutageNotice":
        if self.expected_restoration_at <= self.starts_at:
            raise ValueError("expected_restoration_at: comes after starts_at")
        return self


class OutageChange(BaseModel):
    """What changed: the fields not given stay as they were."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    areas: list[AreaCode] | None = Field(default=None, min_length=1, max_length=500)
    cause: Text | None = Field(default=None, min_length=1, max_length=200)
    expected_restoration_at: AwareDatetime | None = None

    @model_validator(mode="after")
    def _something(self) -> "OutageChange":
        if not self.model_dump(exclude_none=True):
            raise ValueError("change at least one of areas, cause, expected_restoration_at")
        return self


class OutageShown(BaseModel):
    outage_id: str
    kind: OutageKind
    areas: list[str]
    cause: str
    starts_at: datetime
    expected_restoration_at: datetime
    ended_at: datetime | None


class OutageList(BaseModel):
    outages: list[OutageShown] = Field(description="The province's outages not ended yet, soonest first.")


def outage_shown(kept: KeptOutage) -> OutageShown:
    return OutageShown(**kept.state.model_dump(include=set(OutageShown.model_fields)), ended_at=kept.ended_at)


def add_outage_api(
    app: FastAPI,
    Authenticated: Any,
    book: OutageBook,
    publishing: tuple[Any, AuditWriter, str],
    province: str,
) -> None:
    publisher, audit, topic = publishing
    answers: dict[int | str, dict[str, Any]] = {
        s: {"model": Problem} for s in (401, 403, 404, 409, 422, 429, 503)
    }

    def supervisor_of(caller: Caller) -> str:
        principal = acting_as(caller, (Role.SUPERVISOR,), Scope.OUTAGES_WRITE, "register outages")
        if principal.province != province:
            raise NotFound("no such outage here")
        return principal.id

    async def announce(
        request: Request, caller: Caller, event: Event, outage_id: str, key: str | None
    ) -> Accepted:
        # On the bus before it is kept here: a failure between the two is retried by the caller and the
        # event, the same outage's state again, changes nothing for intake.
        scope = f"outage:{type(event).__name__}:{outage_id}"
        published = Published(event, topic, outage_id, scope, key)
        return await publish_audited(publisher, audit, request, caller, published)

    @app.post("/v1/outages", status_code=202, responses=answers, name="outage.register")
    async def register_outage(
        request: Request, notice: OutageNotice, caller: Authenticated, idempotency_key: IdempotencyKey = None
    ) -> Accepted:
        """Register a planned or ongoing outage; the same notice again is 202, a different one 409."""
        by = supervisor_of(caller)
        event = OutageRegisteredV1(**notice.model_dump(), province=province, by=by, at=datetime.now(UTC))
        kept = await book.find(notice.outage_id)
        if kept is not None:
            if kept.state.model_dump(include=set(OutageNotice.model_fields)) != notice.model_dump():
                raise Conflict(f"outage {notice.outage_id} is registered already: change it with PATCH")
            return Accepted(id=notice.outage_id)
        accepted = await announce(request, caller, event, notice.outage_id, idempotency_key)
        await book.keep(KeptOutage(event))
        return accepted

    @app.patch("/v1/outages/{outage_id}", status_code=202, responses=answers, name="outage.change")
    async def change_outage(
        request: Request,
        outage_id: OutageId,
        change: OutageChange,
        caller: Authenticated,
        idempotency_key: IdempotencyKey = None,
    ) -> Accepted:
        """Change an outage's areas, cause or expected restoration (an ended one is 409)."""
        by = supervisor_of(caller)
        kept = await book.find(outage_id)
        if kept is None:
            raise NotFound(f"no outage {outage_id} here")
        if kept.ended_at is not None:
            raise Conflict(f"outage {outage_id} ended at {kept.ended_at.isoformat()}")
        state = (
            kept.state.model_dump()
            | change.model_dump(exclude_none=True)
            | {"by": by, "at": datetime.now(UTC)}
        )
        event = OutageUpdatedV1.model_validate(state)
        if event.expected_restoration_at <= event.starts_at:
            detail = "expected_restoration_at: comes after the outage's starts_at"
            raise Unreadable(422, "Invalid request", detail)
        accepted = await announce(request, caller, event, outage_id, idempotency_key)
        await book.keep(KeptOutage(event))
        return accepted

    @app.post("/v1/outages/{outage_id}/end", status_code=202, responses=answers, name="outage.end")
    async def end_outage(
        request: Request, outage_id: OutageId, caller: Authenticated, idempotency_key: IdempotencyKey = None
    ) -> Accepted:
        """Supply is back: fault reports from its areas are dispatched again. Ending it twice is 202."""
        by = supervisor_of(caller)
        kept = await book.find(outage_id)
        if kept is None:
            raise NotFound(f"no outage {outage_id} here")
        if kept.ended_at is not None:
            return Accepted(id=outage_id)
        ended = datetime.now(UTC)
        event = OutageEndedV1(outage_id=outage_id, province=province, ended_at=ended, by=by)
        accepted = await announce(request, caller, event, outage_id, idempotency_key)
        await book.keep(KeptOutage(kept.state, ended))
        return accepted

    @app.get("/v1/outages", responses=answers, name="outage.list")
    async def list_outages(request: Request, caller: Authenticated) -> OutageList:
        """The province's outages not ended yet: agents answer callers from it."""
        principal = acting_as(caller, (Role.AGENT, Role.SUPERVISOR), Scope.WORKORDERS_READ, "list outages")
        if principal.province != province:
            raise NotFound("no such outages here")
        active = sorted(await book.active(), key=lambda kept: (kept.state.starts_at, kept.state.outage_id))
        entry = audit.entry(request, caller, outcome="accepted", status=200, resource="outages")
        await audit.record(entry)
        return OutageList(outages=[outage_shown(kept) for kept in active])
