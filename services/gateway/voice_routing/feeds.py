"""What voice routing keeps in this replica's memory, and the feeds that keep it: every number's
standing from <p>.standings (read from its beginning: compacted, the latest per number), every group's
calls in hand from <p>.voice (read from an hour back: the calls still under way), the CTI's callback
list from <p>.callbacks (a week back). The replica is not ready until each is read to where it stood
when it started."""

from dataclasses import dataclass, field
from datetime import timedelta

from contracts.topics import Topics
from plumbing.runtime import Runtime
from services.gateway.voice_routing.callbacks import LISTED_FOR, CallbackList
from services.gateway.voice_routing.occupancy import FORGET_AFTER, Occupancy
from services.gateway.voice_routing.standings import StandingTable
from services.gateway.voice_routing.table import VoiceRoutingTable


@dataclass
class VoiceRouting:
    table: VoiceRoutingTable
    occupancy: Occupancy = field(default_factory=Occupancy)
    standings: StandingTable = field(default_factory=StandingTable)
    callbacks: CallbackList = field(default_factory=CallbackList)

    def fed(self, runtime: Runtime, topics: Topics, back: timedelta = FORGET_AFTER) -> "VoiceRouting":
        runtime.feed(topics.standings, self.standings.take)
        runtime.feed(topics.voice, self.occupancy.take, back=back)
        runtime.feed(topics.callbacks, self.callbacks.take, back=LISTED_FOR)
        runtime.loops.append(self.standings.keep_folded)
        return self
