"""Whose a dispatch is, as the gateway's case file of its work order tells (kept from dispatch's progress
topic).

A department may reply moments after its dispatch reached it, before the gateway's copy has caught up:
a dispatch not known yet is looked for again for a few seconds before it is answered 404.
"""

import asyncio
import time

from services.gateway.case_files import CaseFile, CaseFiles, DispatchNote
from services.gateway.lifecycle_checks import current_form
from services.gateway.principals import Forbidden, NotFound


class DispatchLookup:
    def __init__(self, cases: CaseFiles, *, patience: float = 3.0, every: float = 0.1) -> None:
        self._cases = cases
        self._patience = patience
        self._every = every

    async def find(self, work_order_id: str, dispatch_id: str) -> DispatchNote | None:
        found = await self.case_of(work_order_id, dispatch_id)
        return found[1] if found else None

    async def sent_to(self, department: str, work_order_id: str, dispatch_id: str) -> CaseFile:
        """The case file of a department's step on a dispatch form: 404 for one this province never
        sent, 403 for another department's, 409 for one a later form replaced."""
        found = await self.case_of(work_order_id, dispatch_id)
        if found is None:
            raise NotFound(f"no dispatch {dispatch_id} of work order {work_order_id} here")
        case, form = found
        if form.department != department:
            raise Forbidden("this dispatch was sent to another department")
        current_form(case, dispatch_id)
        return case

    async def case_of(self, work_order_id: str, dispatch_id: str) -> tuple[CaseFile, DispatchNote] | None:
        """The case file once it knows the dispatch form, and the form."""
        deadline = time.monotonic() + self._patience
        while True:
            case = await self._cases.find(work_order_id)
            seen = next((d for d in case.dispatches if d.dispatch_id == dispatch_id), None) if case else None
            if case is not None and seen is not None:
                return case, seen
            if time.monotonic() >= deadline:
                return None
            await asyncio.sleep(self._every)
