"""How many calls each agent group has in hand, kept from the calls' own events (<p>.voice): a call
counts against the group that answered it (or that it was transferred to) from `answered` until the
agent's after-call work ends, and against none before or after. Each call's state is kept by its id, so
reading an event twice (a replica reading the last hour again as it starts) changes nothing.

As fresh as the voice topic: the CTI's post, the gateway's publish and this replica's read, well under a
second when nothing is down. A call whose end never arrives stops counting after `forget_after`.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from contracts.envelope import Envelope
from contracts.events import CallEventKind, VoiceCallEventV1

FORGET_AFTER = timedelta(hours=1)  # longer than any call and its after-call work


@dataclass
class _Call:
    group: str | None  # in hand of this group, None while not (queued, or over)
    last_at: datetime
    over: bool = False
    agent: str | None = None  # the agent who has it now


class Occupancy:
    def __init__(self, forget_after: timedelta = FORGET_AFTER) -> None:
        self._calls: dict[str, _Call] = {}
        self._busy: dict[str, int] = {}
        self._forget_after = forget_after
        self._latest: datetime | None = None

    def busy(self, group_id: str) -> int:
        return self._busy.get(group_id, 0)

    def in_hand(self) -> int:
        return sum(self._busy.values())

    def take(self, envelope: Envelope) -> None:
        event = envelope.data
        if isinstance(event, VoiceCallEventV1):
            self.heard(event)

    def heard(self, event: VoiceCallEventV1) -> None:
        call = self._calls.get(event.call_id)
        if call is None:
            call = self._calls[event.call_id] = _Call(None, event.at)
        if call.over:
            return  # its after-call work ended: a late or repeated event of it counts for nothing
        call.last_at = max(call.last_at, event.at)
        kind = event.kind
        if kind is CallEventKind.ANSWERED:
            self._hand(call, event.group_id or call.group)
            call.agent = event.agent_id
        elif kind is CallEventKind.TRANSFERRED and call.group is not None:
            # To a group (or an agent of the same group): in that one's hands; to a queue alone: waiting
            # again, in no group's hands until it is answered there.
            to_group = event.to_group_id or (call.group if event.to_agent_id else None)
            self._hand(call, to_group)
            call.agent = event.to_agent_id
        elif kind is CallEventKind.ABANDONED or (
            # The after-call work of the agent who has the call ends it; an earlier agent's, after a
            # transfer, does not (the call is in the next agent's hands).
            kind is CallEventKind.ACW_ENDED and (call.agent is None or event.agent_id in (None, call.agent))
        ):
            self._hand(call, None)
            call.over = True
        self._forget_stale(event.at)

    def _hand(self, call: _Call, group: str | None) -> None:
        if call.group is not None:
            self._busy[call.group] -= 1
        call.group = group
        if group is not None:
            self._busy[group] = self._busy.get(group, 0) + 1

    def _forget_stale(self, now: datetime) -> None:
        """Every so often (a minute of the calls' own time), the calls not heard of for too long go."""
        if self._latest is not None and now - self._latest < timedelta(minutes=1):
            return
        self._latest = now
        for call_id, call in list(self._calls.items()):
            if now - call.last_at > self._forget_after:
                self._hand(call, None)
                del self._calls[call_id]
