from typing import Any, Protocol

Document = dict[str, Any]


class Dispatches(Protocol):
    async def add(self, document: Document) -> bool:
        """Store a new dispatch; False if the work order was already dispatched (a redelivery)."""
        ...

    async def get(self, work_order_id: str) -> Document | None: ...

    async def record_once(
        self, work_order_id: str, event_id: str, changes: Document, entry: Document
    ) -> bool:
        """Apply `changes` ($set fields) and append `entry` to the history unless `event_id` was recorded."""
        ...
