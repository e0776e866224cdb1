"""Announces intake's field rules (`hotline.intake.fields_in_force.v1` on `<p>.fields`): at start and
again every hour, so a gateway whose copy was lost (or a topic whose retention dropped the last
announcement) learns them again without a restart of intake. The rules are read once at start, so an
edit reaches the gateway with the restart that takes it.

Not through the outbox: it is no change of a work order, and a lost announcement is simply made again.
Every replica announces; the gateway keeps the rules read last.
"""

import asyncio
import hashlib
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from contracts.events import Event, TypeFieldsAnnounced, WorkOrderFieldsInForceV1
from services.intake.domain.type_fields import FieldRules

AGAIN_EVERY = 3600.0  # seconds


def in_force(rules: FieldRules, province: str, loaded_at: datetime) -> WorkOrderFieldsInForceV1:
    types = [
        TypeFieldsAnnounced(
            type=type, required=fields.required, optional=fields.optional, categories=fields.categories
        )
        for type, fields in rules.types.items()
    ]
    digest = hashlib.sha256(rules.model_dump_json().encode()).hexdigest()
    return WorkOrderFieldsInForceV1(province=province, types=types, digest=digest, loaded_at=loaded_at)


class FieldsAnnouncer:
    def __init__(
        self,
        announced: WorkOrderFieldsInForceV1,
        publish: Callable[[Event, str], Awaitable[Any]],
        topic: str,
        *,
        again_every: float = AGAIN_EVERY,
    ) -> None:
        self._announced, self._publish, self._topic = announced, publish, topic
        self._again_every = again_every

    async def announce(self) -> None:
        await self._publish(self._announced, self._topic)

    async def keep_announcing(self) -> None:
        while True:
            await self.announce()
            await asyncio.sleep(self._again_every)
