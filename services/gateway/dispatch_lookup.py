"""Whose a dispatch is, as the gateway learnt it from dispatch's progress topic.

A department may reply moments after its dispatch reached it, before the gateway's copy has caught up:
a dispatch not known yet is looked for again for a few seconds before it is answered 404.
"""

import asyncio
import time

from services.gateway.ports import DispatchDirectory, DispatchSeen


class DispatchLookup:
    def __init__(self, directory: DispatchDirectory, *, patience: float = 3.0, every: float = 0.1) -> None:
        self._directory = directory
        self._patience = patience
        self._every = every

    async def find(self, dispatch_id: str) -> DispatchSeen | None:
        deadline = time.monotonic() + self._patience
        while True:
            seen = await self._directory.find(dispatch_id)
            if seen is not None or time.monotonic() >= deadline:
                return seen
            await asyncio.sleep(self._every)
