"""Whose a dispatch is, as the gateway's case file of its work order tells (kept from dispatch's progress
topic).

A department may reply moments after its dispatch reached it, before the gateway's copy has caught up:
a dispatch not known yet is looked for again for a few seconds before it is answered 404.
"""

import asyncio
import time

from services.gateway.case_files import CaseFiles, DispatchNote


class DispatchLookup:
    def __init__(self, cases: CaseFiles, *, patience: float = 3.0, every: float = 0.1) -> None:
        self._cases = cases
        self._patience = patience
        self._every = every

    async def find(self, work_order_id: str, dispatch_id: str) -> DispatchNote | None:
        deadline = time.monotonic() + self._patience
        while True:
            case = await self._cases.find(work_order_id)
            seen = next((d for d in case.dispatches if d.dispatch_id == dispatch_id), None) if case else None
            if seen is not None or time.monotonic() >= deadline:
                return seen
            await asyncio.sleep(self._every)
