"""Putting the calls owed a callback on the CTI's callback list, from the calls' own events."""

from collections.abc import Sequence
from datetime import timedelta

from contracts.envelope import Envelope
from contracts.events import CallbackAttemptedV1, CallEventKind, VoiceCallEventV1
from contracts.topics import Topics
from services.common.clock import Clock
from services.notify.domain.callbacks import CALLBACK_WITHIN, WATCHED_KINDS, WatchedCall, worth_watching
from services.notify.ports import CallbackUnitFactory


class CallbackHandlers:
    def __init__(
        self, unit: CallbackUnitFactory, topics: Topics, clock: Clock, within: timedelta = CALLBACK_WITHIN
    ) -> None:
        self._unit = unit
        self._topics = topics
        self._clock = clock
        self._within = within

    async def calls_heard(self, envelopes: Sequence[Envelope]) -> None:
        # One call at a time, in the order its events came: a batch holds several of a call's events.
        for envelope in envelopes:
            event = envelope.data
            if isinstance(event, CallbackAttemptedV1):
                await self._attempted(envelope, event)
            elif isinstance(event, VoiceCallEventV1) and event.kind in WATCHED_KINDS:
                await self._heard(envelope, event)

    async def _attempted(self, envelope: Envelope, event: CallbackAttemptedV1) -> None:
        async with self._unit() as unit:
            call = await unit.calls.get(event.call_id)
            if call is None:
                return  # no callback of this call was owed (the gateway tells only those it lists)
            unit.calls.save(call)
            updated = call.attempted(event)
            if updated is not None:
                unit.publish(updated, self._topics.callbacks, call, cause=envelope)

    async def _heard(self, envelope: Envelope, event: VoiceCallEventV1) -> None:
        if event.kind is CallEventKind.OFFERED and not worth_watching(event):
            return  # a call's first event: nothing of it is stored, and most calls' offers end here
        async with self._unit() as unit:
            call = await unit.calls.get(event.call_id)
            if call is None:
                if not worth_watching(event) or self._clock() - event.at > self._within:
                    return  # most calls: nobody is owed anything, and nothing is stored
                call = WatchedCall.first_heard(event)
                unit.calls.add(call)
            else:
                unit.calls.save(call)
            owed = call.heard(event, self._clock(), self._within)
            if owed is not None:
                unit.publish(owed, self._topics.callbacks, call, cause=envelope)
