"""What intake's handlers need: a unit of work over its work orders, fault clusters and known outages,
and the customer directory."""

from abc import abstractmethod
from collections.abc import AsyncIterator, Callable, Iterable
from datetime import date
from typing import Protocol

from plumbing.repository import Repository
from plumbing.unit_of_work import UnitOfWork
from services.intake.domain.customers import CustomerProfile, DirectoryLookup
from services.intake.domain.incidents import FaultCluster
from services.intake.domain.outages import Outage
from services.intake.domain.work_order import WorkOrder


class WorkOrderRepository(Repository[WorkOrder]):
    @abstractmethod
    async def placed(self, contact_ids: Iterable[str]) -> set[str]:
        """Those of these contacts placed before: opening a work order of their own (any status) or
        linked to another as a repeat."""

    @abstractmethod
    async def open_for(self, keys: Iterable[str]) -> list[WorkOrder]:
        """The open work orders found by any of these repeat keys (WorkOrder.repeat_keys), as stored;
        `get` one to change it."""


class OutageRepository(Repository[Outage]):
    @abstractmethod
    async def active_in(self, area_codes: Iterable[str]) -> list[Outage]:
        """The outages not forgotten yet (not ended, or ended within a day) that affect any of these
        areas."""


class IntakeUnit(UnitOfWork):
    def __init__(
        self,
        source: str,
        work_orders: WorkOrderRepository,
        fault_clusters: Repository[FaultCluster],
        outages: OutageRepository,
    ) -> None:
        # Clusters first: a report's place in an incident is decided (and may lose to another replica)
        # before the incident's work order is written; its redelivery writes what a failure left out.
        super().__init__(source, [fault_clusters, work_orders, outages])
        self.work_orders = work_orders
        self.fault_clusters = fault_clusters
        self.outages = outages


UnitFactory = Callable[[], IntakeUnit]


class CustomerDirectory(Protocol):
    """Billing's customer profiles as intake keeps them: by account number and by each phone number."""

    async def update(self, profile: CustomerProfile) -> bool:
        """Store the profile unless a newer one of the account is stored; True if it was stored."""
        ...

    async def lookup(self, accounts: Iterable[str], phones: Iterable[str]) -> DirectoryLookup:
        """Every stored profile of these accounts and of the accounts these numbers are registered to."""
        ...

    async def dropped_phones(self, accounts: Iterable[str]) -> set[str]:
        """The numbers each account's last stored profile no longer listed."""
        ...

    def every_number(self, page: int) -> AsyncIterator[list[str]]:
        """Every number the directory has known, `page` at a time: a scan, for the daily refresh alone."""
        ...

    async def claim_refresh(self, day: date) -> bool:
        """True for the first replica to ask on `day` (China's date), False for any other: one replica
        refreshes every standing each day."""
        ...
