"""Turning accepted contacts into stored work orders, and keeping the customer directory."""

from collections.abc import Sequence

from contracts.envelope import Envelope
from contracts.events import ContactReceivedV1, CustomerProfileUpdatedV1
from contracts.topics import Topics
from plumbing.concurrency import gather_all
from services.common.clock import Clock
from services.intake.domain.areas import AreaTable
from services.intake.domain.customers import CustomerProfile, newest_per_account
from services.intake.domain.tiers import TierRules
from services.intake.domain.work_order import WorkOrder, china_date
from services.intake.ports import CustomerDirectory, UnitFactory


class IntakeHandlers:
    def __init__(
        self,
        unit: UnitFactory,
        directory: CustomerDirectory,
        tier_rules: TierRules,
        areas: AreaTable,
        topics: Topics,
        clock: Clock,
    ) -> None:
        self._unit = unit
        self._directory = directory
        self._tier_rules = tier_rules
        self._areas = areas
        self._topics = topics
        self._clock = clock

    async def contacts_received(self, envelopes: Sequence[Envelope]) -> None:
        contacts = [envelope.data for envelope in envelopes]
        assert all(isinstance(contact, ContactReceivedV1) for contact in contacts)
        named = [c for c in contacts if isinstance(c, ContactReceivedV1) and not c.anonymous]
        known = await self._directory.lookup(
            {c.account_number for c in named if c.account_number}, {c.phone for c in named}
        )
        now = self._clock()
        today = china_date(now)
        async with self._unit() as uow:
            for envelope in envelopes:
                contact = envelope.data
                assert isinstance(contact, ContactReceivedV1)
                match = known.match(contact.account_number, contact.phone, self._tier_rules, today)
                area = self._areas.resolve(contact.address, contact.latitude, contact.longitude)
                order, created = WorkOrder.open(contact, now, match, self._tier_rules, area)
                uow.work_orders.add(order)
                uow.publish(created, self._topics.workorders, order, cause=envelope)

    async def customer_profiles_updated(self, envelopes: Sequence[Envelope]) -> None:
        updates = [envelope.data for envelope in envelopes]
        profiles = [CustomerProfile.from_event(u) for u in updates if isinstance(u, CustomerProfileUpdatedV1)]
        # Only each account's newest needs writing: the directory keeps no older one than it holds.
        await gather_all(self._directory.update(p) for p in newest_per_account(profiles))
