"""Where a contact's work order goes before any dispatch (intake's handlers ask, in one unit of work):
linked to the customer's own open work order on the same matter, answered (out of scope, a known
outage), gathered into a storm's incident, or opened on its own."""

import asyncio
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime

from contracts.envelope import Envelope
from contracts.events import AnswerReason, Event, WorkOrderCreatedV1, WorkOrderInfoRequestedV1
from contracts.ids import fault_cluster_id_for
from services.intake.domain.incidents import FaultCluster, Reported
from services.intake.domain.outages import Outage
from services.intake.domain.storms import StormRules
from services.intake.domain.work_order import WorkOrder
from services.intake.domain.work_order_outcomes import WorkOrderStatus
from services.intake.ports import IntakeUnit


class Placing:
    """One batch's placing: what the batch's contacts find in the store (the areas' outages, the
    customers' open work orders), looked up once, and what the batch itself opened."""

    def __init__(self, uow: IntakeUnit, storms: StormRules, topic: str) -> None:
        self._uow = uow
        self._storms = storms
        self._topic = topic
        self._outages: list[Outage] = []
        self._open: list[WorkOrder] = []
        self._placed: set[str] = set()
        self._replies: dict[str, str] = {}

    async def look_up(
        self, orders: Iterable[WorkOrder], now: datetime, replies: Mapping[str, str] | None = None
    ) -> None:
        """Read what the batch's contacts may meet, side by side: one indexed lookup per area, per
        repeat key (of the types that link repeats, and of texts that answer one of notify's: `replies`,
        their reply codes by contact id) and per contact (placed before?)."""
        orders = list(orders)
        self._replies = dict(replies or {})
        areas = {order.area.code for order in orders if order.area is not None}
        keys = [
            key
            for o in orders
            if o.type in self._storms.repeats.types or o.contact_id in self._replies
            for key in o.repeat_keys()
        ]
        self._outages, self._open, self._placed = await asyncio.gather(
            self._uow.outages.active_in(areas),
            self._uow.work_orders.open_for(keys),
            self._uow.work_orders.placed(order.contact_id for order in orders),
        )
        for outage in self._outages:  # ended a day ago: no report of it can come any more
            if outage.forget(now):
                tracked = await self._uow.outages.get(outage.id)
                if tracked is not None and tracked.forget(now):
                    self._uow.outages.save(tracked)

    async def place(
        self,
        order: WorkOrder,
        opened: WorkOrderCreatedV1 | WorkOrderInfoRequestedV1,
        at: datetime,
        now: datetime,
        cause: Envelope,
    ) -> Event | None:
        """What to announce of `order` (the contact's own, accepted at `at`), added to the unit; None
        when it opens none: the contact is linked to another (announced with that one), or was placed
        before (a redelivery: what it caused is stored, its events sent or pending there)."""
        if order.contact_id in self._placed:
            stored = await self._uow.work_orders.get(order.id)  # its events, if pending, go out now
            if stored is not None:
                self._open = [stored if o.id == stored.id else o for o in self._open]
            return None
        if await self._replied(order, at, now, cause) is not None:
            return None
        cluster = await self._cluster_of(order) if self._clusters(order) else None
        if cluster is not None and cluster.joined(order.contact_id):
            return None  # a report redelivered after it joined an incident
        # An incident's opener whose first try wrote the cluster but lost the race for its own work
        # order: still the incident's, though the customer may have an open work order to repeat by now.
        opener = cluster is not None and cluster.opened_by(order.contact_id)
        if not opener and await self._repeated(order, at, now, cause) is not None:
            return None
        announced: Event = opened
        if isinstance(opened, WorkOrderCreatedV1):
            decided, _ = await self._decide(order, opened, at, now, cause)
            if decided is None:
                return None  # linked to the incident: no work order of its own
            announced = decided
        self._uow.work_orders.add(order)
        self._open.append(order)
        return announced

    async def completed(
        self, order: WorkOrder, created: WorkOrderCreatedV1, now: datetime, cause: Envelope
    ) -> Event | None:
        """A stored work order complete only now (its owner supplied what it lacked), placed as a new
        contact would be, as of now: the customer's own open one on the same matter, an outage, the
        operator's scope and a storm's incident are first judged once the fault is known. What to
        announce of it; None when it is closed as a link to another (the link announces it)."""
        await self.look_up([order], now)
        self._open = [o for o in self._open if o.id != order.id]
        target = await self._repeated(order, now, now, cause)
        if target is None:
            announced, target = await self._decide(order, created, now, now, cause)
            if announced is not None:
                return announced
        assert target is not None
        order.close_as_link(target, now)
        return None

    async def relink(self, order: WorkOrder, now: datetime, cause: Envelope) -> None:
        """For an action redelivered after it closed `order` as a repeat's link: the link again, if
        the first try wrote the closed work order but lost the race for its target's write (the target
        changed first). An incident's link needs none: its cluster is written first."""
        if order.status is not WorkOrderStatus.LINKED or order.link_target is None:
            return
        cluster = await self._cluster_of(order) if self._clusters(order) else None
        if cluster is not None and cluster.joined(order.contact_id):
            return
        target = await self._uow.work_orders.get(order.link_target)
        if target is None or order.contact_id in target.linked:
            return
        linked = target.link_repeat(order, now, now)
        if linked is not None:
            self._uow.work_orders.save(target)
            self._uow.publish(linked, self._topic, target, cause=cause)

    async def _decide(
        self, order: WorkOrder, created: WorkOrderCreatedV1, at: datetime, now: datetime, cause: Envelope
    ) -> tuple[Event | None, str | None]:
        """A complete work order answered (out of scope, a known outage), an incident's, or its own;
        or (None, the incident's work order) when the report joins an incident."""
        answer = self._storms.out_of_scope_answer(order.type, order.category)
        outage = self._outage_of(order, at)
        if answer is not None:
            return order.answer(created, AnswerReason.OUT_OF_SCOPE, answer, now), None
        if outage is not None:
            assert order.area is not None
            text = self._storms.outage_answer(outage, order.area)
            restoration = outage.expected_restoration_at
            answered = order.answer(
                created,
                AnswerReason.OUTAGE,
                text,
                now,
                outage_id=outage.id,
                expected_restoration_at=restoration,
            )
            return answered, None
        if self._clusters(order):
            reported = await self._report(order, at, now, cause)
            if not reported.opened:
                return None, reported.incident.work_order_id
            return order.opens_incident(reported.incident.id, created), None
        return created, None

    async def _replied(self, order: WorkOrder, at: datetime, now: datetime, cause: Envelope) -> str | None:
        """A text that answers the news of one of the customer's own open work orders (it came back to
        that one's reply code, from the number the news went to) linked there, whatever its matter:
        that one's id. Of two that share the code (one in ten thousand), the newest, whose news is likelier
        the one answered. A work order resolved already takes no link: the answer opens one of its own."""
        code = self._replies.get(order.contact_id)
        if code is None:
            return None
        matches = [o for o in self._open if o.takes_reply(order, code)]
        if not matches:
            return None
        newest = max(matches, key=lambda o: (o.created_at, o.id))
        return await self._link_to(
            newest.id, order, lambda target: target.takes_reply(order, code), at, now, cause
        )

    async def _repeated(self, order: WorkOrder, at: datetime, now: datetime, cause: Envelope) -> str | None:
        """Linked to the customer's own open work order on the same matter, if there is one (the
        oldest): that one's id; it announces the link."""
        repeats = self._storms.repeats
        if order.type not in repeats.types:
            return None
        matches = [o for o in self._open if o.takes_repeat(order, at, repeats.window)]
        if not matches:
            return None
        oldest = min(matches, key=lambda o: (o.created_at, o.id))
        window = repeats.window
        return await self._link_to(
            oldest.id, order, lambda target: target.takes_repeat(order, at, window), at, now, cause
        )

    async def _link_to(
        self,
        target_id: str,
        order: WorkOrder,
        still_takes: Callable[[WorkOrder], bool],
        at: datetime,
        now: datetime,
        cause: Envelope,
    ) -> str | None:
        """`order`'s contact linked to the stored work order `target_id`, if that one `still_takes` it
        as read now (it may have been resolved since it was found): its id; it announces the link."""
        target = await self._uow.work_orders.get(target_id)  # tracked: changed in this unit of work
        if target is None or not still_takes(target):
            return None
        linked = target.link_repeat(order, at, now)
        if linked is not None:
            self._uow.work_orders.save(target)
            self._uow.publish(linked, self._topic, target, cause=cause)
        return target.id

    async def _cluster_of(self, order: WorkOrder) -> FaultCluster | None:
        """The fault cluster of the report's area and category, as stored (or changed in this unit):
        whether it joined or opened an incident already. (An opener is placed by its own work order;
        one whose work order was never written is written again by `_report`.)"""
        assert order.area is not None
        assert order.category is not None
        return await self._uow.fault_clusters.get(
            fault_cluster_id_for(order.province, order.area.code, order.category)
        )

    def _outage_of(self, order: WorkOrder, at: datetime) -> Outage | None:
        """The known outage that answers this fault report, if one covers its area at the time."""
        if order.area is None or not self._storms.answered_by_outages(order.type, order.category):
            return None
        covering = [outage for outage in self._outages if outage.covers(order.area.code, at)]
        return min(covering, key=lambda outage: (outage.starts_at, outage.id)) if covering else None

    def _clusters(self, order: WorkOrder) -> bool:
        """A fault report that may form an incident: of a category that does, placed in an area, and not
        sealed (a sealed reporter is linked to no one)."""
        forms = self._storms.forms_incidents(order.type, order.category)
        return forms and order.area is not None and not order.anonymous

    async def _report(self, order: WorkOrder, at: datetime, now: datetime, cause: Envelope) -> Reported:
        assert order.area is not None
        assert order.category is not None
        cluster_id = fault_cluster_id_for(order.province, order.area.code, order.category)
        cluster = await self._uow.fault_clusters.get(cluster_id)
        if cluster is None:
            cluster = FaultCluster.of(order.province, order.area, order.category)
            self._uow.fault_clusters.add(cluster)
        reported = cluster.report(order, at, self._storms.incidents, now)
        for event in reported.events:
            self._uow.publish(event, self._topic, cluster, cause=cause)
        return reported
