"""What the gateway takes from the bus: the dispatches it must know to check a department's reply, and
its own audit records, kept for the auditor."""

from collections.abc import Sequence

from contracts.envelope import Envelope
from contracts.events import AuditRecordedV1, WorkOrderDispatchedV1
from services.gateway.ports import AuditTrail, DispatchDirectory, DispatchSeen


class GatewayHandlers:
    def __init__(self, dispatches: DispatchDirectory, audit: AuditTrail) -> None:
        self.dispatches = dispatches
        self.audit = audit

    async def dispatches_seen(self, envelopes: Sequence[Envelope]) -> None:
        seen = []
        for envelope in envelopes:
            assert isinstance(envelope.data, WorkOrderDispatchedV1)
            data = envelope.data
            seen.append(DispatchSeen(data.dispatch_id, data.work_order_id, data.department))
        await self.dispatches.record(seen)

    async def audits_recorded(self, envelopes: Sequence[Envelope]) -> None:
        entries = []
        for envelope in envelopes:
            assert isinstance(envelope.data, AuditRecordedV1)
            entries.append(envelope.data)
        await self.audit.record(entries)
