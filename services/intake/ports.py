"""What intake's handlers need: a unit of work over its work orders, and the customer directory."""

from collections.abc import Callable, Iterable
from typing import Protocol

from plumbing.repository import Repository
from plumbing.unit_of_work import UnitOfWork
from services.intake.domain.customers import CustomerProfile, DirectoryLookup
from services.intake.domain.work_order import WorkOrder


class IntakeUnit(UnitOfWork):
    def __init__(self, source: str, work_orders: Repository[WorkOrder]) -> None:
        super().__init__(source, [work_orders])
        self.work_orders = work_orders


UnitFactory = Callable[[], IntakeUnit]


class CustomerDirectory(Protocol):
    """Billing's customer profiles as intake keeps them: by account number and by each phone number."""

    async def update(self, profile: CustomerProfile) -> bool:
        """Store the profile unless a newer one of the account is stored; True if it was stored."""
        ...

    async def lookup(self, accounts: Iterable[str], phones: Iterable[str]) -> DirectoryLookup:
        """Every stored profile of these accounts and of the accounts these numbers are registered to."""
        ...
