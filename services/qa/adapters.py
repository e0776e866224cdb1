"""QA's storage: the `follow_ups` collection, one planned visit per closed work order the rules select."""

from typing import Any, ClassVar

from contracts.events import Customer, WorkOrderType
from services.qa.domain.follow_up import FollowUp, FollowUpStatus

Document = dict[str, Any]


class FollowUpDocuments:
    """Schema 1: the visit's fields at the top level, the customer nested.

    Schema 0 (before schemas were numbered) has the same fields; it is read as it stands.
    """

    schema: ClassVar[int] = 1
    indexes: ClassVar[tuple[str, ...]] = ()

    def to_document(self, follow_up: FollowUp) -> Document:
        return {
            "work_order_id": follow_up.work_order_id,
            "province": follow_up.province,
            "type": follow_up.type.value,
            "due_at": follow_up.due_at,
            "rule": follow_up.rule,
            "scheduled_at": follow_up.scheduled_at,
            "customer": follow_up.customer.model_dump(),
            "department": follow_up.department,
            "closed_on_time": follow_up.closed_on_time,
            "status": follow_up.status.value,
        }

    def from_document(self, document: Document, schema: int) -> FollowUp:
        return FollowUp(
            id=document["_id"],
            work_order_id=document["work_order_id"],
            province=document["province"],
            type=WorkOrderType(document["type"]),
            due_at=document["due_at"],
            rule=document["rule"],
            scheduled_at=document["scheduled_at"],
            customer=Customer.model_validate(document["customer"]),
            department=document["department"],
            closed_on_time=document["closed_on_time"],
            status=FollowUpStatus(document["status"]),
        )
