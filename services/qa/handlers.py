"""Planning follow-up visits when departments close work orders."""

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from contracts.envelope import Envelope
from contracts.events import FollowUpScheduledV1, ReplyKind, WorkOrderRepliedV1
from contracts.topics import Topics
from plumbing.outbox import Outbox, PendingEvents
from services.qa.followups import FollowUpPolicy
from services.qa.ports import FollowUps


class FollowUpPlanner:
    def __init__(
        self,
        follow_ups: FollowUps,
        outbox: Outbox,
        policy: FollowUpPolicy,
        topics: Topics,
        new_pending: Callable[[], PendingEvents],
        log: Any,
    ) -> None:
        self._follow_ups = follow_ups
        self._outbox = outbox
        self._policy = policy
        self._topics = topics
        self._new_pending = new_pending
        self._log = log

    async def work_order_replied(self, envelope: Envelope) -> None:
        reply = envelope.data
        assert isinstance(reply, WorkOrderRepliedV1)
        if reply.kind is not ReplyKind.FINAL:
            return
        if not self._policy.selects(reply.work_order_id, reply.type):
            self._log.info(
                "no follow-up: not sampled",
                work_order_id=reply.work_order_id,
                rule=self._policy.describe(reply.type),
            )
            return
        scheduled = FollowUpScheduledV1(
            follow_up_id=f"FU-{reply.work_order_id}",
            work_order_id=reply.work_order_id,
            province=reply.province,
            type=reply.type,
            due_at=self._policy.due(reply.type, reply.replied_at),
            rule=self._policy.describe(reply.type),
            scheduled_at=datetime.now(UTC),
        )
        pending = self._new_pending()
        pending.add(scheduled, self._topics.followups)
        document = scheduled.model_dump(mode="python") | {
            "_id": scheduled.follow_up_id,
            "status": "planned",
            "customer": reply.customer.model_dump(),
            "department": reply.department,
            "closed_on_time": reply.on_time,
        }
        if await self._follow_ups.add(document | pending.for_new_document()):
            await self._outbox.flush(scheduled.follow_up_id, inserted=pending)
        else:  # stored by an earlier delivery of this message, which may not have published it
            await self._outbox.flush(scheduled.follow_up_id)
