from collections.abc import Callable
from datetime import UTC, datetime

from contracts.envelope import Envelope
from contracts.events import ContactReceivedV1
from contracts.topics import Topics
from plumbing.outbox import Outbox, PendingEvents
from services.intake.domain import open_work_order
from services.intake.ports import WorkOrders


class ContactHandler:
    def __init__(
        self,
        work_orders: WorkOrders,
        outbox: Outbox,
        topics: Topics,
        new_pending: Callable[[], PendingEvents],
    ) -> None:
        self._work_orders = work_orders
        self._outbox = outbox
        self._topics = topics
        self._new_pending = new_pending

    async def __call__(self, envelope: Envelope) -> None:
        assert isinstance(envelope.data, ContactReceivedV1)
        created = open_work_order(envelope.data, datetime.now(UTC))
        pending = self._new_pending()
        pending.add(created, self._topics.workorders)
        document = created.model_dump(mode="python") | {
            "_id": created.work_order_id,
            "status": "open",
            "source_event_id": envelope.id,
            "history": [
                {"at": created.created_at, "action": "created", "by": "intake", "event_id": envelope.id}
            ],
        }
        if await self._work_orders.add(document | pending.for_new_document()):
            await self._outbox.flush(created.work_order_id, inserted=pending)
        else:  # stored by an earlier delivery of this message, which may not have published it
            await self._outbox.flush(created.work_order_id)
