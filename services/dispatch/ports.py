"""What dispatch's handlers need: a unit of work over its dispatches, the timers' checkpoint, a clock."""

from abc import abstractmethod
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Protocol

from plumbing.repository import Repository
from plumbing.unit_of_work import UnitOfWork
from services.dispatch.domain.dispatch import Dispatch

# The slices of time timers are stored under: a minute of a busy province holds more than a round reads
# quickly (1,500 work orders took 0.9 s on FerretDB); ten seconds' worth take a tenth of that.
TIMER_SLOT = timedelta(seconds=10)


class DispatchRepository(Repository[Dispatch]):
    @abstractmethod
    async def timers_in(self, slot: str) -> list[tuple[str, datetime]]:
        """Each work order whose next timer falls in that slot (`plumbing.due_minutes`, `TIMER_SLOT`
        wide), with the timer's moment."""


class DispatchUnit(UnitOfWork):
    def __init__(self, source: str, dispatches: DispatchRepository) -> None:
        super().__init__(source, [dispatches])
        self.dispatches = dispatches


UnitFactory = Callable[[], DispatchUnit]


class TimerCheckpoint(Protocol):
    """Up to when every replica's timers have looked, shared by them: a replica starting after an
    outage looks back from there, so what fell due meanwhile fires, once."""

    async def read(self) -> datetime | None: ...

    async def advance(self, to: datetime) -> None:
        """Never moves back (replicas may report out of order)."""
        ...
