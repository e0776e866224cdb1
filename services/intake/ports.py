"""What intake's handlers need from the outside world; adapters implement these, tests fake them."""

from typing import Any, Protocol

Document = dict[str, Any]


class WorkOrders(Protocol):
    async def add(self, document: Document) -> bool:
        """Store a new work order; False if it is already stored (a redelivered contact)."""
        ...
