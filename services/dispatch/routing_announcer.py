"""Announces the routing table in force (`hotline.routing.in_force.v1` on `<p>.routing`): at start, within
seconds of an edit being taken, and again every hour, so a gateway whose copy was lost (or a topic whose
retention dropped the last announcement) learns it again without a restart of dispatch.

Not through the outbox: it is no change of a work order, and a lost announcement is simply made again.
Every replica announces; the gateway keeps the table read last.
"""

import asyncio
import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from contracts.events import Event, RoutingTableInForceV1
from services.common.clock import Clock
from services.dispatch.domain.routing import RuleTable

CHECK_EVERY = 2.0  # seconds between looks at the table (the file itself is looked at once a second)
AGAIN_EVERY = 3600.0  # seconds


class RoutingAnnouncer:
    def __init__(
        self,
        routing: Callable[[], RuleTable],
        publish: Callable[[Event, str], Awaitable[Any]],
        topic: str,
        province: str,
        clock: Clock,
        *,
        again_every: float = AGAIN_EVERY,
    ) -> None:
        self._routing, self._publish, self._topic = routing, publish, topic
        self._province, self._clock, self._again_every = province, clock, again_every
        self._seen: tuple[RuleTable, datetime] | None = None  # the table in force, and when first seen
        self._announced: tuple[RuleTable, float] | None = None

    def in_force(self) -> RoutingTableInForceV1:
        table = self._routing()
        if self._seen is None or self._seen[0] is not table:
            self._seen = (table, self._clock())
        return RoutingTableInForceV1(
            province=self._province,
            departments=table.departments(),
            default_department=table.default.department,
            digest=table.digest,
            loaded_at=self._seen[1],
        )

    async def announce_if_due(self) -> bool:
        """Announce the table unless this one was announced within the hour; whether it did."""
        table = self._routing()
        now = time.monotonic()
        last = self._announced
        if last is not None and last[0] is table and now - last[1] < self._again_every:
            return False
        await self._publish(self.in_force(), self._topic)
        self._announced = (table, now)
        return True

    async def keep_announcing(self, check_every: float = CHECK_EVERY) -> None:
        while True:
            await self.announce_if_due()
            await asyncio.sleep(check_every)
