"""Where a work order's SLA clocks stand, as the latest of its events that told them left them."""

from dataclasses import dataclass, replace
from datetime import datetime

from contracts.events import ClockReading


@dataclass(frozen=True)
class Readings:
    clocks: tuple[ClockReading, ...]
    escalated: bool
    known: bool = True  # False: no event that tells them seen yet (or only ones from before they did)

    @property
    def next_due_at(self) -> datetime | None:
        """The earliest deadline of a running clock: what the work order is next due for."""
        return min((clock.due_at for clock in self.clocks if clock.due_at is not None), default=None)

    @property
    def overdue(self) -> bool:
        """A running clock has raised its alarm (dispatch raises it at the breach)."""
        return any(clock.alarms > 0 and clock.due_at is not None for clock in self.clocks)

    def on_forms(self, dispatch_ids: set[str]) -> "Readings":
        return replace(self, clocks=tuple(c for c in self.clocks if c.dispatch_id in dispatch_ids))
