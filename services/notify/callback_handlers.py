"""Putting the calls owed a callback on the CTI's callback list, from the calls' own events."""

from collections.abc import Sequence
from datetime import timedelta

from contracts.envelope import Envelope
from contracts.events import VoiceCallEventV1
from contracts.topics import Topics
from services.notify.domain.callbacks import CALLBACK_WITHIN, WATCHED_KINDS, WatchedCall, worth_watching
from services.notify.ports import CallbackUnitFactory


class CallbackHandlers:
    def __init__(
        self, unit: CallbackUnitFactory, topics: Topics, within: timedelta = CALLBACK_WITHIN
    ) -> None:
        self._unit = unit
        self._topics = topics
        self._within = within

    async def calls_heard(self, envelopes: Sequence[Envelope]) -> None:
        # One call at a time, in the order its events came: a batch holds several of a call's events.
        for envelope in envelopes:
            event = envelope.data
            assert isinstance(event, VoiceCallEventV1)
            if event.kind in WATCHED_KINDS:
                await self._heard(envelope, event)

    async def _heard(self, envelope: Envelope, event: VoiceCallEventV1) -> None:
        async with self._unit() as unit:
            call = await unit.calls.get(event.call_id)
            if call is None:
                if not worth_watching(event):
                    return  # most calls: nobody is owed anything, and nothing is stored
                call = WatchedCall.first_heard(event)
                unit.calls.add(call)
            else:
                unit.calls.save(call)
            owed = call.heard(event, self._within)
            if owed is not None:
                unit.publish(owed, self._topics.callbacks, call, cause=envelope)
