"""What dispatch's handlers need: a unit of work over its dispatches, the timers' checkpoint, a clock."""

from abc import abstractmethod
from collections.abc import Callable
from datetime import datetime
from typing import Protocol

from plumbing.repository import Repository
from plumbing.unit_of_work import UnitOfWork
from services.dispatch.domain.dispatch import Dispatch


class DispatchRepository(Repository[Dispatch]):
    @abstractmethod
    async def timers_in(self, minute: str) -> list[tuple[str, datetime]]:
        """Each work order whose next timer falls in that minute (`plumbing.due_minutes`), with the
        timer's moment."""


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
