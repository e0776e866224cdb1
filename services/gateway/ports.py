"""What the gateway's API and handlers need: the dispatches it has seen (to know whose each is) and
its audit trail. Both are read models it keeps from events; tests pass in-memory ones."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from contracts.events import AuditRecordedV1


@dataclass(frozen=True)
class DispatchSeen:
    dispatch_id: str
    work_order_id: str
    department: str


class DispatchDirectory(Protocol):
    async def record(self, dispatches: Sequence[DispatchSeen]) -> None: ...

    async def find(self, dispatch_id: str) -> DispatchSeen | None: ...


class AuditTrail(Protocol):
    """Append-only: records are added (a redelivered one is kept once) and read, never changed."""

    async def record(self, entries: Sequence[AuditRecordedV1]) -> None: ...

    async def in_minutes(self, minutes: Sequence[str], principal: str | None) -> list[AuditRecordedV1]: ...
