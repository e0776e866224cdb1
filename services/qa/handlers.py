"""Planning follow-up visits when departments close work orders."""

from collections.abc import Callable, Sequence
from typing import Any

from contracts.envelope import Envelope
from contracts.events import ReplyKind, WorkOrderReopenedV1, WorkOrderRepliedV1
from contracts.ids import follow_up_id_for
from contracts.topics import Topics
from services.common.clock import Clock
from services.common.working_calendar import WorkingCalendar
from services.qa.domain.follow_up import FollowUp
from services.qa.domain.policy import FollowUpPolicy
from services.qa.ports import UnitFactory


class QaHandlers:
    def __init__(
        self,
        unit: UnitFactory,
        policy: FollowUpPolicy,
        calendar: Callable[[], WorkingCalendar],
        topics: Topics,
        clock: Clock,
        log: Any,
    ) -> None:
        """`calendar`: the working calendar in force (its file's, read again when it changes)."""
        self._unit = unit
        self._policy = policy
        self._calendar = calendar
        self._topics = topics
        self._clock = clock
        self._log = log

    async def dispatch_progressed(self, envelopes: Sequence[Envelope]) -> None:
        """A final reply may call for a visit; a reopening cancels the one planned for the resolution
        it reopened. One handler for both, so a batch of both is taken in order."""
        calendar = self._calendar()  # one calendar for the whole batch
        async with self._unit() as uow:
            for envelope in envelopes:
                reply = envelope.data
                assert isinstance(reply, WorkOrderRepliedV1 | WorkOrderReopenedV1)
                if isinstance(reply, WorkOrderReopenedV1):
                    planned_for = follow_up_id_for(reply.work_order_id, reply.previous_dispatch_id)
                    follow_up = await uow.follow_ups.get(planned_for)
                    cancelled = follow_up.cancel(reply) if follow_up is not None else None
                    if follow_up is not None and cancelled is not None:
                        uow.follow_ups.save(follow_up)
                        uow.publish(cancelled, self._topics.followups, follow_up, cause=envelope)
                    continue
                planned = FollowUp.plan(reply, self._policy, calendar, self._clock())
                if planned is None:
                    if reply.kind is ReplyKind.FINAL:
                        self._log.info(
                            "no follow-up: not sampled",
                            work_order_id=reply.work_order_id,
                            rule=self._policy.describe(reply.type, reply.customer.priority),
                        )
                    continue
                follow_up, scheduled = planned
                uow.follow_ups.add(follow_up)
                uow.publish(scheduled, self._topics.followups, follow_up, cause=envelope)
