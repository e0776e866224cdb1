"""Turning accepted contacts into stored work orders (or links to another, or answers: placing.py),
taking what agents supply, known outages and departments' final replies, and keeping the customer
directory."""

import asyncio
import random
from collections.abc import Sequence
from datetime import datetime

from contracts.envelope import Envelope
from contracts.events import (
    ContactReceivedV1,
    CustomerProfileUpdatedV1,
    Event,
    OutageEndedV1,
    OutageRegisteredV1,
    OutageUpdatedV1,
    ReplyKind,
    WorkOrderCreatedV1,
    WorkOrderHandoverRequestedV1,
    WorkOrderInfoSuppliedV1,
    WorkOrderReclassificationRequestedV1,
    WorkOrderReopenedV1,
    WorkOrderRepliedV1,
)
from contracts.ids import fault_cluster_id_for
from contracts.topics import Topics
from plumbing.concurrency import gather_all
from plumbing.repository import ConcurrentChange
from services.common.clock import Clock
from services.common.errors import DomainError
from services.intake.domain.areas import AreaTable
from services.intake.domain.customers import CustomerProfile, DirectoryLookup, newest_per_account
from services.intake.domain.duty import DutyRoster
from services.intake.domain.outages import Outage
from services.intake.domain.rules import IntakeRules, china_date
from services.intake.domain.storms import StormRules
from services.intake.domain.work_order import WorkOrder
from services.intake.placing import Placing
from services.intake.ports import CustomerDirectory, UnitFactory
from services.intake.standings import StandingsAnnouncer, standings_of

REFRESH_PAGE = 500  # numbers looked up and announced at a time by the daily refresh
# Tries of a batch whose fault clusters other replicas keep changing first (a storm on one area), before
# the consumer's own redelivery takes over.
CLUSTER_ATTEMPTS = 5
CLUSTER_PAUSE = 0.02  # seconds, times the attempt


AgentAction = WorkOrderInfoSuppliedV1 | WorkOrderHandoverRequestedV1 | WorkOrderReclassificationRequestedV1


class UnknownWorkOrder(DomainError):
    pass


class UnknownOutage(DomainError):
    pass


class IntakeHandlers:
    def __init__(
        self,
        unit: UnitFactory,
        directory: CustomerDirectory,
        rules: IntakeRules,
        storms: StormRules,
        areas: AreaTable,
        roster: DutyRoster,
        topics: Topics,
        clock: Clock,
        first_turn: int = 0,
        standings: StandingsAnnouncer | None = None,
    ) -> None:
        """`standings`: where each number's standing is announced after a profile is taken (none: not
        announced, for tests of other things)."""
        self._unit = unit
        self._directory = directory
        self._rules = rules
        self._storms = storms
        self._areas = areas
        self._roster = roster
        self._turn = first_turn
        self._topics = topics
        self._clock = clock
        self._standings = standings

    async def contacts_received(self, envelopes: Sequence[Envelope]) -> None:
        contacts = [envelope.data for envelope in envelopes]
        assert all(isinstance(contact, ContactReceivedV1) for contact in contacts)
        named = [c for c in contacts if isinstance(c, ContactReceivedV1) and not c.anonymous]
        known = await self._directory.lookup(
            {c.account_number for c in named if c.account_number}, {c.phone for c in named}
        )
        now = self._clock()
        owners = self._owners([c for c in contacts if isinstance(c, ContactReceivedV1)], now)
        for attempt in range(1, CLUSTER_ATTEMPTS + 1):
            try:
                await self._open(envelopes, owners, known, now)
                return
            except ConcurrentChange:
                # Another replica decided for one of the batch's fault clusters first. What this run
                # wrote before is found again by the next (ids come from the contacts). The pause is
                # random so that replicas racing on one cluster do not race again in step.
                if attempt == CLUSTER_ATTEMPTS:
                    raise
                await asyncio.sleep(random.uniform(0, CLUSTER_PAUSE * attempt))

    async def _open(
        self,
        envelopes: Sequence[Envelope],
        owners: list[str | None],
        known: DirectoryLookup,
        now: datetime,
    ) -> None:
        today = china_date(now)
        async with self._unit() as uow:
            opened_orders = []
            for envelope, owner in zip(envelopes, owners, strict=True):
                contact = envelope.data
                assert isinstance(contact, ContactReceivedV1)
                match = known.match(contact.account_number, contact.phone, self._rules.tiers, today)
                area = self._areas.resolve(contact.address, contact.latitude, contact.longitude)
                opened_orders.append(WorkOrder.open(contact, now, match, self._rules, area, owner))
            placing = Placing(uow, self._storms, self._topics.workorders)
            replies = {
                c.contact_id: c.reply_code
                for c in (envelope.data for envelope in envelopes)
                if isinstance(c, ContactReceivedV1) and c.reply_code
            }
            await placing.look_up((order for order, _ in opened_orders), now, replies)
            for envelope, (order, opened) in zip(envelopes, opened_orders, strict=True):
                contact = envelope.data
                assert isinstance(contact, ContactReceivedV1)
                announced = await placing.place(order, opened, contact.received_at, now, envelope)
                if announced is not None:
                    uow.publish(announced, self._topics.workorders, order, cause=envelope)

    async def outages_changed(self, envelopes: Sequence[Envelope]) -> None:
        """Known outages registered, changed and ended through the gateway, in the order announced."""
        async with self._unit() as uow:
            for envelope in envelopes:
                event = envelope.data
                assert isinstance(event, OutageRegisteredV1 | OutageUpdatedV1 | OutageEndedV1)
                outage = await uow.outages.get(event.outage_id)
                if isinstance(event, OutageEndedV1):
                    if outage is None:
                        raise UnknownOutage(f"no outage {event.outage_id} here to end")
                    if outage.end(event, envelope.id):
                        uow.outages.save(outage)
                elif outage is None:
                    uow.outages.add(Outage.registered(event, envelope.id))
                elif outage.restate(event, envelope.id):
                    uow.outages.save(outage)

    def _owners(self, contacts: list[ContactReceivedV1], now: datetime) -> list[str | None]:
        """The agent who took each contact, else the desk's agent on duty whose turn it is; None when
        nobody is on duty.

        Each replica keeps its own turn (starting at a random one), so with k replicas an agent's share
        is within k contacts of an even one. One turn shared through the store would cost every contact a
        write that every replica contends for."""
        on_duty = self._roster.on_duty(now) if self._roster.province else []
        owners: list[str | None] = []
        for contact in contacts:
            if contact.agent is not None or not on_duty:
                owners.append(contact.agent)
                continue
            owners.append(on_duty[self._turn % len(on_duty)])
            self._turn += 1
        return owners

    async def agents_acted(self, envelopes: Sequence[Envelope]) -> None:
        """Fields supplied, handovers and reclassifications, in the order the agents did them (one
        handler for all)."""
        async with self._unit() as uow:
            for envelope in envelopes:
                action = envelope.data
                assert isinstance(action, AgentAction)
                order = await uow.work_orders.get(action.work_order_id)
                if order is None:
                    raise UnknownWorkOrder(f"no work order {action.work_order_id} here")
                if isinstance(action, WorkOrderHandoverRequestedV1):
                    changed = order.hand_over(action)
                    if changed is not None:
                        uow.work_orders.save(order)
                        uow.publish(changed, self._topics.workorders, order, cause=envelope)
                    continue
                placing = Placing(uow, self._storms, self._topics.workorders)
                if isinstance(action, WorkOrderReclassificationRequestedV1):
                    reclassified = order.reclassify(action, self._rules.fields)
                    if reclassified is not None:
                        uow.publish(reclassified[0], self._topics.workorders, order, cause=envelope)
                    supplied = reclassified[1] if reclassified is not None else None
                    taken = reclassified is None  # a redelivery, or no change
                else:
                    area = None
                    if order.area is None and action.address:
                        area = self._areas.resolve(action.address, None, None)
                    supplied = order.supply(action, area, self._rules.fields)
                    taken = supplied is None  # a redelivery: its events sent or pending with the order
                if taken:
                    await placing.relink(order, self._clock(), envelope)
                    continue
                announced: Event | None = supplied
                if isinstance(supplied, WorkOrderCreatedV1):  # complete now: placed as a contact is
                    announced = await placing.completed(order, supplied, self._clock(), envelope)
                uow.work_orders.save(order)
                if announced is not None:
                    uow.publish(announced, self._topics.workorders, order, cause=envelope)

    async def dispatch_progressed(self, envelopes: Sequence[Envelope]) -> None:
        """A department's final reply resolves the work order here (a later contact about the same is a
        new matter) and closes its incident (a new fault of the area opens another); a reopening opens
        it again. One handler for both, so a batch of both is taken in order."""
        async with self._unit() as uow:
            for envelope in envelopes:
                progress = envelope.data
                assert isinstance(progress, WorkOrderRepliedV1 | WorkOrderReopenedV1)
                if isinstance(progress, WorkOrderRepliedV1) and progress.kind is not ReplyKind.FINAL:
                    continue
                order = await uow.work_orders.get(progress.work_order_id)
                if order is None:
                    continue  # not opened here
                if isinstance(progress, WorkOrderReopenedV1):
                    if order.reopen(progress):
                        uow.work_orders.save(order)
                    continue
                if not order.resolve(progress):
                    continue  # taken before
                uow.work_orders.save(order)
                if order.incident_id is None or order.area is None or order.category is None:
                    continue
                cluster_id = fault_cluster_id_for(order.province, order.area.code, order.category)
                cluster = await uow.fault_clusters.get(cluster_id)
                if cluster is not None and cluster.close(order.incident_id):
                    uow.fault_clusters.save(cluster)

    async def customer_profiles_updated(self, envelopes: Sequence[Envelope]) -> None:
        updates = [envelope.data for envelope in envelopes]
        profiles = [CustomerProfile.from_event(u) for u in updates if isinstance(u, CustomerProfileUpdatedV1)]
        # Only each account's newest needs writing: the directory keeps no older one than it holds.
        newest = newest_per_account(profiles)
        await gather_all(self._directory.update(p) for p in newest)
        if self._standings is None:
            return
        # The numbers the accounts list now, and those their last write dropped (a dropped one stands
        # anew): kept by the write, so also found when this is a redelivery after a failed announcement.
        phones = {phone for p in newest for phone in p.phones}
        phones |= await self._directory.dropped_phones(p.account_number for p in newest)
        after = await self._directory.lookup([], phones)
        now = self._clock()
        province = self._topics.prefix
        await self._standings.announce(standings_of(phones, after, self._rules.tiers, province, now))

    async def standings_refreshed(self, page: int = REFRESH_PAGE) -> int | None:
        """Every number's standing announced again, if no replica has today: the numbers stored before
        standings were announced, and the tiers that tenure alone moves, stand right within a day.
        Returns how many were announced; None when another replica has the day."""
        now = self._clock()
        if self._standings is None or not await self._directory.claim_refresh(china_date(now)):
            return None
        announced = 0
        async for numbers in self._directory.every_number(page):
            found = await self._directory.lookup([], numbers)
            province = self._topics.prefix
            await self._standings.announce(standings_of(numbers, found, self._rules.tiers, province, now))
            announced += len(numbers)
        return announced
