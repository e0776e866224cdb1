"""What intake's handlers need: a unit of work over its work orders."""

from collections.abc import Callable

from plumbing.repository import Repository
from plumbing.unit_of_work import UnitOfWork
from services.intake.domain.work_order import WorkOrder


class IntakeUnit(UnitOfWork):
    def __init__(self, source: str, work_orders: Repository[WorkOrder]) -> None:
        super().__init__(source, [work_orders])
        self.work_orders = work_orders


UnitFactory = Callable[[], IntakeUnit]
