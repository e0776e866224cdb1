from datetime import datetime
from typing import ClassVar

from pydantic import Field

from contracts.events.base import Event
from contracts.events.vocabulary import WorkOrderType


class FollowUpScheduledV1(Event):
    ce_type: ClassVar[str] = "hotline.followup.scheduled.v1"

    follow_up_id: str
    work_order_id: str
    province: str
    type: WorkOrderType
    due_at: datetime
    rule: str = Field(description="The sampling rule that selected this work order, e.g. 'complaint: 100%'.")
    scheduled_at: datetime

    def subject(self) -> str:
        return self.work_order_id


class FollowUpCancelledV1(Event):
    """A planned visit no longer to be made: the work order was reopened before it was due."""

    ce_type: ClassVar[str] = "hotline.followup.cancelled.v1"

    follow_up_id: str
    work_order_id: str
    province: str
    reason: str = Field(description="Why, e.g. 'reopened: 客户来电表示问题未解决'.")
    cancelled_at: datetime

    def subject(self) -> str:
        return self.work_order_id
