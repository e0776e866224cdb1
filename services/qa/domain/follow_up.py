"""A follow-up visit planned when a department closes a work order the sampling rules select."""

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from contracts.events import (
    SEALED_PHONE,
    Customer,
    FollowUpCancelledV1,
    FollowUpScheduledV1,
    ReplyKind,
    WorkOrderReopenedV1,
    WorkOrderRepliedV1,
    WorkOrderType,
)
from contracts.ids import follow_up_id_for
from services.common.working_calendar import WorkingCalendar
from services.qa.domain.policy import FollowUpPolicy


class FollowUpStatus(StrEnum):
    PLANNED = "planned"
    CANCELLED = "cancelled"  # reopened before the visit: the resolution it was to check is not the last


@dataclass
class FollowUp:
    id: str
    work_order_id: str
    province: str
    type: WorkOrderType
    due_at: datetime
    rule: str
    scheduled_at: datetime
    customer: Customer
    department: str
    closed_on_time: bool
    status: FollowUpStatus = FollowUpStatus.PLANNED
    version: int = 0

    @classmethod
    def plan(
        cls, reply: WorkOrderRepliedV1, policy: FollowUpPolicy, calendar: WorkingCalendar, now: datetime
    ) -> tuple["FollowUp", FollowUpScheduledV1] | None:
        """The visit a final reply calls for under the sampling rules; None if it calls for none (nor for
        a sealed reporter, whom no one may call)."""
        priority = reply.customer.priority
        if reply.kind is not ReplyKind.FINAL or reply.customer.phone == SEALED_PHONE:
            return None
        if not policy.selects(reply.work_order_id, reply.type, priority):
            return None
        follow_up = cls(
            id=follow_up_id_for(reply.work_order_id, reply.dispatch_id),
            work_order_id=reply.work_order_id,
            province=reply.province,
            type=reply.type,
            due_at=policy.due(reply.type, reply.replied_at, calendar),
            rule=policy.describe(reply.type, priority),
            scheduled_at=now,
            customer=reply.customer,
            department=reply.department,
            closed_on_time=reply.on_time,
        )
        return follow_up, follow_up.scheduled()

    def cancel(self, reopened: WorkOrderReopenedV1) -> FollowUpCancelledV1 | None:
        """Reopened before the visit was due (the customer called back unhappy): not to be made, as the
        reopened form's final reply plans its own. None when cancelled before (a redelivery), and for a
        reopening once the visit was due: it was made, and its answer may be why (visits are not
        recorded yet, so its due time is what tells)."""
        if self.status is not FollowUpStatus.PLANNED or reopened.at >= self.due_at:
            return None
        self.status = FollowUpStatus.CANCELLED
        return FollowUpCancelledV1(
            follow_up_id=self.id,
            work_order_id=self.work_order_id,
            province=self.province,
            reason=f"reopened: {reopened.reason}",
            cancelled_at=reopened.at,
        )

    def scheduled(self) -> FollowUpScheduledV1:
        return FollowUpScheduledV1(
            follow_up_id=self.id,
            work_order_id=self.work_order_id,
            province=self.province,
            type=self.type,
            due_at=self.due_at,
            rule=self.rule,
            scheduled_at=self.scheduled_at,
        )
