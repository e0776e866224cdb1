"""Dispatching new work orders to departments and recording the departments' replies."""

from collections.abc import Callable
from datetime import UTC, datetime

from contracts.envelope import Envelope
from contracts.events import (
    Customer,
    DepartmentRepliedV1,
    ReplyKind,
    WorkOrderCreatedV1,
    WorkOrderDispatchedV1,
    WorkOrderRepliedV1,
)
from contracts.topics import Topics
from plumbing.consumer import Rejected
from plumbing.outbox import Outbox, PendingEvents
from services.dispatch.ports import Dispatches
from services.dispatch.routing import RuleTable


def dispatch_id_for(work_order_id: str, attempt: int = 1) -> str:
    """Forms spawned by one acceptance stay linked: the dispatch id carries the work order id."""
    return f"{work_order_id}-D{attempt}"


class Dispatcher:
    def __init__(
        self,
        dispatches: Dispatches,
        outbox: Outbox,
        rules: RuleTable,
        topics: Topics,
        new_pending: Callable[[], PendingEvents],
    ) -> None:
        self._dispatches = dispatches
        self._outbox = outbox
        self._rules = rules
        self._topics = topics
        self._new_pending = new_pending

    async def work_order_created(self, envelope: Envelope) -> None:
        order = envelope.data
        assert isinstance(order, WorkOrderCreatedV1)
        route = self._rules.route(order.type)
        now = datetime.now(UTC)
        dispatched = WorkOrderDispatchedV1(
            work_order_id=order.work_order_id,
            dispatch_id=dispatch_id_for(order.work_order_id),
            province=order.province,
            department=route.department,
            type=order.type,
            dispatched_at=now,
            reply_due_at=route.reply_within.due(now),
            customer=order.customer,
            address=order.address,
            description=order.description,
        )
        pending = self._new_pending()
        event_id = pending.add(dispatched, self._topics.department(route.department))
        # The same event, same id, for notify and qa: they follow progress without reading department topics.
        pending.add(dispatched, self._topics.dispatch_progress, event_id=event_id)
        document = dispatched.model_dump(mode="python") | {
            "_id": order.work_order_id,
            "status": "dispatched",
            "seen_events": [envelope.id],
            "history": [
                {"at": now, "action": "dispatched", "department": route.department, "event_id": envelope.id}
            ],
        }
        if await self._dispatches.add(document | pending.for_new_document()):
            await self._outbox.flush(order.work_order_id, inserted=pending)
        else:  # stored by an earlier delivery of this message, which may not have published it
            await self._outbox.flush(order.work_order_id)

    async def department_replied(self, envelope: Envelope) -> None:
        reply = envelope.data
        assert isinstance(reply, DepartmentRepliedV1)
        dispatch = await self._dispatches.get(reply.work_order_id)
        if dispatch is None or dispatch["dispatch_id"] != reply.dispatch_id:
            raise Rejected(f"no dispatch {reply.dispatch_id} for work order {reply.work_order_id}")
        if envelope.id in dispatch["seen_events"]:
            await self._outbox.flush(reply.work_order_id)
            return
        if dispatch["department"] != reply.department:
            raise Rejected(f"{reply.department} replied to a dispatch sent to {dispatch['department']}")
        if dispatch["status"] == "closed":
            raise Rejected(f"dispatch {reply.dispatch_id} is already closed")
        replied = WorkOrderRepliedV1(
            work_order_id=reply.work_order_id,
            dispatch_id=reply.dispatch_id,
            province=dispatch["province"],
            department=reply.department,
            type=dispatch["type"],
            kind=reply.kind,
            message=reply.message,
            replied_at=reply.replied_at,
            on_time=reply.replied_at <= dispatch["reply_due_at"],
            customer=Customer.model_validate(dispatch["customer"]),
        )
        pending = self._new_pending()
        pending.add(replied, self._topics.dispatch_progress)
        status = "closed" if reply.kind is ReplyKind.FINAL else "in_progress"
        entry = {
            "at": datetime.now(UTC),
            "action": f"{reply.kind.value}_reply",
            "message": reply.message,
            "responder": reply.responder,
            "event_id": envelope.id,
        }
        await self._dispatches.record_once(
            reply.work_order_id, envelope.id, {"status": status} | pending.for_update(), entry
        )
        # Stored now or by an earlier delivery of this message: publish whatever is pending.
        await self._outbox.flush(reply.work_order_id)
