"""What dispatch's handlers need: a unit of work over its dispatches, and a clock."""

from collections.abc import Callable

from plumbing.repository import Repository
from plumbing.unit_of_work import UnitOfWork
from services.dispatch.domain.dispatch import Dispatch


class DispatchUnit(UnitOfWork):
    def __init__(self, source: str, dispatches: Repository[Dispatch]) -> None:
        super().__init__(source, [dispatches])
        self.dispatches = dispatches


UnitFactory = Callable[[], DispatchUnit]
