"""Dispatch's storage: the `dispatches` collection, one document per work order with its forms, clocks and
history, and its next timer stored as a slot of time for the timers' equality lookups."""

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, ClassVar

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from contracts.events import Area, Customer, WorkOrderType
from plumbing.due_minutes import slot_of
from plumbing.mongo_repository import MongoRepository
from plumbing.stored_upgrades import StoredUpgrade
from plumbing.write_guard import guarded, retrying_stale
from services.common.clock import Clock as TimeNow
from services.common.clock import system_clock
from services.common.deadlines import Deadline
from services.dispatch.domain.clocks import Clock
from services.dispatch.domain.dispatch import Dispatch, Form, HistoryEntry
from services.dispatch.domain.lifecycle import State, Step
from services.dispatch.domain.sla import Stage
from services.dispatch.ports import TIMER_SLOT, DispatchRepository, UnitFactory

Document = dict[str, Any]
TIMER_SLOT_FIELD = "timer_slot"
# Schema 1 knew one deadline per work order and no accepted or returned states.
_SCHEMA_1_STATES = {
    "dispatched": State.DISPATCHED,
    "in_progress": State.IN_PROGRESS,
    "closed": State.RESOLVED,
}


class DispatchDocuments:
    """Schema 2: forms, SLA plan, clocks and state; the timer's slot (`timer_slot`) and moment.

    Schema 1 had one form (its fields at the top level), a status and a reply deadline and no clocks: read
    as one form with one running result clock to that deadline. Schema 0 named no department on reply steps
    (it was always the dispatch's) and kept no reply id.
    """

    schema: ClassVar[int] = 2
    indexes: ClassVar[tuple[str, ...]] = (TIMER_SLOT_FIELD,)

    def __init__(self, alarm_every: Callable[[], timedelta], clock: TimeNow = system_clock) -> None:
        """`alarm_every`: the SLA table's alarm interval in force (it sets an overdue clock's next alarm)."""
        self._alarm_every = alarm_every
        self._clock = clock

    def to_document(self, dispatch: Dispatch) -> Document:
        timer_at = dispatch.next_timer_at(self._alarm_every())
        # Stored in a slot still to be looked at: a timer already due (set so by a table edit, or read
        # from an older schema) is found in the next round, not lost in a slot closed before it.
        slot = slot_of(max(timer_at, self._clock()), TIMER_SLOT) if timer_at else None
        return {
            "work_order_id": dispatch.work_order_id,
            "dispatch_id": dispatch.dispatch_id,
            "province": dispatch.province,
            "type": dispatch.type.value,
            "department": dispatch.department,
            "customer": dispatch.customer.model_dump(),
            "address": dispatch.address,
            "description": dispatch.description,
            "category": dispatch.category,
            "area": dispatch.area.model_dump() if dispatch.area else None,
            "plan": dispatch.plan,
            "stages": [stage.model_dump(mode="json", exclude_defaults=True) for stage in dispatch.stages],
            "forms": [vars(form) for form in dispatch.forms],
            "state": dispatch.state.value,
            "escalated": dispatch.escalated,
            "clocks": [_clock_document(clock) for clock in dispatch.clocks],
            "history": [_entry_document(entry) for entry in dispatch.history],
            "timer_at": timer_at,
            TIMER_SLOT_FIELD: slot,
        }

    def from_document(self, document: Document, schema: int) -> Dispatch:
        if schema < 2:
            return _from_schema_1(document)
        area = document.get("area")
        return Dispatch(
            **_work_order_fields(document),
            category=document.get("category"),
            area=Area.model_validate(area) if area else None,
            plan=document["plan"],
            stages=[Stage.model_validate(stage) for stage in document["stages"]],
            forms=[Form(**form) for form in document["forms"]],
            state=State(document["state"]),
            escalated=document["escalated"],
            clocks=[_clock(clock) for clock in document["clocks"]],
            history=[_entry(entry, document["department"]) for entry in document["history"]],
        )


def _work_order_fields(document: Document) -> dict[str, Any]:
    """What every schema stores of the work order itself."""
    return {
        "work_order_id": document["work_order_id"],
        "province": document["province"],
        "type": WorkOrderType(document["type"]),
        "customer": Customer.model_validate(document["customer"]),
        "address": document.get("address"),
        "description": document["description"],
    }


def _clock_document(clock: Clock) -> Document:
    document = vars(clock) | {"within": clock.within.model_dump(exclude_none=True)}
    for name in ("left", "warn_left"):
        value = document[name]
        document[name] = value.total_seconds() if value is not None else None
    return document


def _clock(document: Document) -> Clock:
    fields = document | {"within": Deadline.model_validate(document["within"])}
    for name in ("left", "warn_left"):
        if fields[name] is not None:
            fields[name] = timedelta(seconds=fields[name])
    return Clock(**fields)


def _entry_document(entry: HistoryEntry) -> Document:
    return {name: value for name, value in vars(entry).items() if value is not None} | {
        "action": entry.action.value
    }


def _entry(document: Document, department: str) -> HistoryEntry:
    return HistoryEntry(
        at=document["at"],
        action=Step(document["action"]),
        department=document.get("department", department),
        dispatch_id=document.get("dispatch_id"),
        message=document.get("message"),
        responder=document.get("responder"),
        reply_id=document.get("reply_id"),
        reason=document.get("reason"),
        stage=document.get("stage"),
    )


def _from_schema_1(document: Document) -> Dispatch:
    dispatched_at: datetime = document["dispatched_at"]
    due: datetime = document["reply_due_at"]
    within = Deadline(minutes=max((due - dispatched_at).total_seconds() / 60, 1))
    stage = Stage.model_validate(
        {
            "stage": "result",
            "within": within.model_dump(exclude_none=True),
            "starts": "dispatched",
            "ends": ["final_reply"],
            "result": True,
        }
    )
    state = _SCHEMA_1_STATES[document["status"]]
    form = Form(document["dispatch_id"], 1, document["department"], dispatched_at, due)
    warn_at = dispatched_at + (due - dispatched_at) * 0.75
    clock = Clock("result", form.dispatch_id, within, dispatched_at, due, warn_at)
    if state is State.RESOLVED:
        final = [entry["at"] for entry in document["history"] if entry["action"] == Step.FINAL_REPLY]
        clock.stopped_at = final[-1] if final else due
    return Dispatch(
        **_work_order_fields(document),
        plan="schema-1",
        stages=[stage],
        forms=[form],
        state=state,
        clocks=[clock],
        history=[_entry(entry, document["department"]) for entry in document["history"]],
    )


class MongoDispatches(MongoRepository[Dispatch], DispatchRepository):
    async def timers_in(self, slot: str) -> list[tuple[str, datetime]]:
        cursor = self._collection.find({TIMER_SLOT_FIELD: slot}, {"_id": 1, "timer_at": 1})
        return [(document["_id"], document["timer_at"]) async for document in cursor]


class MongoTimerCheckpoint:
    """One document in dispatch's `dispatch_timers` collection."""

    ID = "checkpoint"

    def __init__(self, collection: AsyncCollection[Document]) -> None:
        self._collection = collection

    async def read(self) -> datetime | None:
        document = await self._collection.find_one({"_id": self.ID})
        return document["looked_up_to"] if document else None

    async def advance(self, to: datetime) -> None:
        update = guarded({"$max": {"looked_up_to": to}})
        try:
            await retrying_stale(lambda: self._collection.update_one({"_id": self.ID}, update, upsert=True))
        except DuplicateKeyError:  # another replica made the document first: it is there to update now
            await retrying_stale(lambda: self._collection.update_one({"_id": self.ID}, update))


def older_schemas(collection: AsyncCollection[Document], unit: UnitFactory) -> StoredUpgrade:
    """Dispatches stored before schema 2, read (upgraded as they load) and written back once: they have
    no timer slot, so no round would find their clocks' timers until a step touched them."""

    async def rewrite(ids: list[str]) -> None:
        async with unit() as uow:
            for work_order_id in ids:
                await uow.dispatches.get(work_order_id)  # outdated: written back at commit

    return StoredUpgrade(f"dispatches: schema {DispatchDocuments.schema}", collection, OLDER_SCHEMAS, rewrite)


# A scan, run once per store (plumbing/stored_upgrades.py): what is missing no index finds.
OLDER_SCHEMAS: Document = {
    "$or": [{"schema": {"$lt": DispatchDocuments.schema}}, {"schema": {"$exists": False}}]
}
