from typing import Any, Protocol

Document = dict[str, Any]


class FollowUps(Protocol):
    async def add(self, document: Document) -> bool:
        """Store a planned follow-up; False if this work order already has one."""
        ...
