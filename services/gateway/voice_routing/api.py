"""`POST /v1/voice/routing-decisions`: the CTI asks, as a call arrives, which agent group to queue it for
and how far up. Answered from this replica's memory alone (services/gateway/voice_routing/feeds.py): no
store or bus round trip, and no span of its own (a thousand a second would drown the traces).

The trail holds one record a minute per principal with how many decisions it asked for, not one per
call: a record per decision would be a bus write per call, which the hot path may not make, and what a
decision tells (where the CTI's own caller stands in the queue) is no one else's data."""

import asyncio
from typing import Any

from aiokafka.errors import KafkaError
from fastapi import FastAPI, Request
from pydantic import BaseModel, ConfigDict, Field

from contracts.events import AuditRecordedV1, Channel
from services.gateway.audit import AuditWriter
from services.gateway.principals import Caller, may_post_contact
from services.gateway.schemas import PhoneNumber, Problem
from services.gateway.voice_routing.decisions import decide
from services.gateway.voice_routing.feeds import VoiceRouting
from services.gateway.voice_schemas import CtiId

ANSWERS: dict[int | str, dict[str, object]] = {s: {"model": Problem} for s in (401, 403, 413, 422, 429)}


class RoutingAsked(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    call_id: CtiId
    caller_number: PhoneNumber | None = Field(default=None, description="None: the caller ID is withheld.")
    called_number: str | None = Field(default=None, pattern=r"^[0-9]{3,20}$", examples=["95598"])


class RoutingDecided(BaseModel):
    """Where the call goes and at what position: not the caller's tier or lists, which a CTI key could
    otherwise read for any number it names."""

    call_id: str
    group_id: str = Field(description="The agent group whose queue the call waits in.")
    queue_priority: int = Field(
        description="Lower is served first: the VIP and high tier's green channel 1, "
        "the blacklist last, as intake's tier rules number them."
    )
    reason: str
    overflowed: bool = Field(description="The caller's city group had every agent busy.")
    callback_if_abandoned: bool = Field(
        description="A mid-tier caller: a hang-up while waiting is owed a callback within 24 hours."
    )
    home_city: str | None
    home_province: str | None


class DecisionTally:
    """The routing decisions of the minute, per principal: the first one's record, and how many."""

    def __init__(self, audit: AuditWriter, log: Any) -> None:
        self._audit = audit
        self._log = log
        self._counts: dict[str, tuple[AuditRecordedV1, int]] = {}

    def count(self, request: Request, caller: Caller, call_id: str) -> None:
        principal = caller.principal.id
        first, counted = self._counts.get(principal) or (
            self._audit.entry(request, caller, outcome="accepted", status=200, resource=call_id),
            0,
        )
        self._counts[principal] = (first, counted + 1)

    async def keep_recording(self, every: float = 60.0) -> None:
        try:
            while True:
                await asyncio.sleep(every)
                await self.record()
        finally:
            await self.record()  # what the last minute counted, when the gateway stops

    async def record(self) -> None:
        counts, self._counts = self._counts, {}
        for first, counted in counts.values():
            detail = f"{counted} routing decisions from {first.at.isoformat()} (the first: {first.resource})"
            try:
                await self._audit.record(first.model_copy(update={"detail": detail}))
            except KafkaError as error:
                self._log.error("audit record of routing decisions not published", error=repr(error))


def add_voice_routing_api(
    app: FastAPI, Authenticated: Any, routing: VoiceRouting, tally: DecisionTally, province: str
) -> None:
    app.state.routing_tally = tally

    @app.post("/v1/voice/routing-decisions", responses=ANSWERS, name="voice.routing")
    async def routing_decision(
        request: Request, asked: RoutingAsked, caller: Authenticated
    ) -> RoutingDecided:
        """Where the call that has just arrived waits, and at what position. (On the event loop, not in a
        thread: it only reads memory the feeds change on the loop.)"""
        may_post_contact(caller, province, Channel.VOICE.value)
        decision = decide(asked.caller_number, routing.table, routing.occupancy, routing.standings)
        tally.count(request, caller, asked.call_id)
        return RoutingDecided(
            call_id=asked.call_id,
            group_id=decision.group_id,
            queue_priority=decision.queue_priority,
            reason=decision.reason,
            overflowed=decision.overflowed,
            callback_if_abandoned=decision.callback_if_abandoned,
            home_city=decision.home_city,
            home_province=decision.home_province,
        )
