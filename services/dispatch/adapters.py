"""Dispatch's storage: the `dispatches` collection, one document per work order with its history."""

from typing import Any, ClassVar

from contracts.events import Customer, WorkOrderType
from services.dispatch.domain.dispatch import Action, Dispatch, DispatchStatus, HistoryEntry

Document = dict[str, Any]


class DispatchDocuments:
    """Schema 1: the dispatch's fields at the top level, the customer and each history step nested.

    Schema 0 (before schemas were numbered) named no department on reply steps (it was always the
    dispatch's) and kept no reply id.
    """

    schema: ClassVar[int] = 1
    indexes: ClassVar[tuple[str, ...]] = ()

    def to_document(self, dispatch: Dispatch) -> Document:
        return {
            "work_order_id": dispatch.work_order_id,
            "dispatch_id": dispatch.dispatch_id,
            "province": dispatch.province,
            "type": dispatch.type.value,
            "department": dispatch.department,
            "customer": dispatch.customer.model_dump(),
            "address": dispatch.address,
            "description": dispatch.description,
            "dispatched_at": dispatch.dispatched_at,
            "reply_due_at": dispatch.reply_due_at,
            "status": dispatch.status.value,
            "history": [_entry_document(entry) for entry in dispatch.history],
        }

    def from_document(self, document: Document, schema: int) -> Dispatch:
        return Dispatch(
            work_order_id=document["work_order_id"],
            dispatch_id=document["dispatch_id"],
            province=document["province"],
            type=WorkOrderType(document["type"]),
            department=document["department"],
            customer=Customer.model_validate(document["customer"]),
            address=document.get("address"),
            description=document["description"],
            dispatched_at=document["dispatched_at"],
            reply_due_at=document["reply_due_at"],
            status=DispatchStatus(document["status"]),
            history=[_entry(entry, document["department"]) for entry in document["history"]],
        )


def _entry_document(entry: HistoryEntry) -> Document:
    return {
        "at": entry.at,
        "action": entry.action.value,
        "department": entry.department,
        "message": entry.message,
        "responder": entry.responder,
        "reply_id": entry.reply_id,
    }


def _entry(document: Document, dispatch_department: str) -> HistoryEntry:
    return HistoryEntry(
        at=document["at"],
        action=Action(document["action"]),
        department=document.get("department", dispatch_department),
        message=document.get("message"),
        responder=document.get("responder"),
        reply_id=document.get("reply_id"),
    )
