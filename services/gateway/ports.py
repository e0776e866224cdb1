"""What the gateway's API and handlers need beside the case files (services/gateway/case_files.py): its
audit trail, a read model it keeps from events; tests pass an in-memory one."""

from collections.abc import Sequence
from typing import Protocol

from contracts.events import AuditRecordedV1


class AuditTrail(Protocol):
    """Append-only: records are added (a redelivered one is kept once) and read, never changed."""

    async def record(self, entries: Sequence[AuditRecordedV1]) -> None: ...

    async def in_minutes(self, minutes: Sequence[str], principal: str | None) -> list[AuditRecordedV1]: ...
