"""Whatever the interleaving of fault reports and redeliveries across two intake replicas (each taking its
partitions' contacts in turn, as Kafka delivers them), every fault report ends in exactly one place: its
own work order, an incident, an outage's answer, out of scope, or (the same customer again) linked to
their own open work order as a repeat; a report whose category its owner supplies only later too."""

import asyncio
from dataclasses import dataclass
from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contracts.envelope import Envelope
from contracts.events import ContactLinkedV1, ContactReceivedV1, OutageKind, OutageRegisteredV1
from contracts.ids import work_order_id_for
from plumbing.repository import ConcurrentChange
from services.intake.domain.incidents import FaultCluster
from services.intake.domain.outages import Outage
from services.intake.domain.work_order import WorkOrder
from services.intake.domain.work_order_outcomes import WorkOrderStatus
from services.intake.handlers import IntakeHandlers
from tests.fakes import FakeClock, InMemoryStore, envelope_of
from tests.unit.test_intake import intake
from tests.unit.test_storms import T0, a_fault
from tests.unit.test_work_orders_by_type import supplied

PLACES = ("gz-tianhe", "gz-panyu", "nowhere")  # the last is an address no area claims
CATEGORIES = ("no_power", "line_down", "meter_fault", "own_equipment")


@dataclass(frozen=True)
class Report:
    place: str
    category: str
    minute: int
    customer: int  # a few customers, so that some report again
    waits: bool  # sent without its category, which its owner supplies once every contact is in


reports = st.lists(
    st.builds(
        Report,
        st.sampled_from(PLACES),
        st.sampled_from(CATEGORIES),
        st.integers(0, 240),
        st.integers(0, 5),
        st.booleans(),
    ),
    min_size=1,
    max_size=25,
)


class Province:
    def __init__(self) -> None:
        self.orders: InMemoryStore[WorkOrder] = InMemoryStore()
        self.clusters: InMemoryStore[FaultCluster] = InMemoryStore(self.orders.bus)
        self.outages: InMemoryStore[Outage] = InMemoryStore(self.orders.bus)
        clock = FakeClock(T0)
        self.replicas: list[IntakeHandlers] = [
            intake(self.orders, clock, clusters=self.clusters, outages=self.outages) for _ in range(2)
        ]

    async def take(self, replica: int, batch: list[Envelope]) -> None:
        # As the consumer does: a message twice in one batch is taken once, and a batch that lost its
        # races is redelivered.
        envelopes = list({envelope.id: envelope for envelope in batch}.values())
        while True:
            try:
                return await self.replicas[replica].contacts_received(envelopes)
            except ConcurrentChange:
                continue

    async def act(self, replica: int, action: Envelope) -> None:
        while True:
            try:
                return await self.replicas[replica].agents_acted([action])
            except ConcurrentChange:
                continue


def contact_of(report: Report) -> ContactReceivedV1:
    phone = f"+86139000000{report.customer:02d}"
    category = None if report.waits else report.category
    if report.place == "nowhere":
        address = "北京市海淀区中关村大街1号"
        return a_fault(report.minute, category=category, address=address, phone=phone)
    return a_fault(report.minute, area=report.place, category=category, phone=phone)


def places_of(province: Province, contact: ContactReceivedV1) -> list[str]:
    """Every place the report ended in (exactly one is right)."""
    found = []
    stored = province.orders.stored.get(work_order_id_for(contact.contact_id))
    order = stored.aggregate if stored else None
    if order is not None and order.status is WorkOrderStatus.LINKED:
        pass  # closed once complete: linked where it is counted below
    elif order is not None and order.status is WorkOrderStatus.ANSWERED:
        note = order.history[-1].note or ""
        found.append("an outage's answer" if note.startswith("outage") else "out of scope")
    elif order is not None and order.incident_id is None:
        found.append("its own work order")
    repeats = [kept.aggregate for kept in province.orders.stored.values()]
    found += ["linked as a repeat" for order in repeats if contact.contact_id in order.linked]
    for kept in province.clusters.stored.values():
        cluster = kept.aggregate
        incidents = [cluster.current, *cluster.earlier] if cluster.current else cluster.earlier
        found += ["an incident" for incident in incidents if contact.contact_id in incident.reporters]
    return found


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    reports=reports,
    order=st.randoms(use_true_random=False),
    redelivered=st.lists(st.integers(0, 24), max_size=8),
    batch_size=st.integers(1, 6),
    with_outage=st.booleans(),
)
def test_every_fault_report_ends_in_exactly_one_place(reports, order, redelivered, batch_size, with_outage):
    async def scenario() -> None:
        province = Province()
        if with_outage:
            outage = OutageRegisteredV1(
                outage_id="OUT-P",
                province="gd",
                kind=OutageKind.UNPLANNED,
                areas=["gz-panyu"],
                cause="线路故障抢修",
                starts_at=T0 + timedelta(minutes=60),
                expected_restoration_at=T0 + timedelta(hours=4),
                by="gd.supervisor",
                at=T0,
            )
            await province.replicas[0].outages_changed([envelope_of(outage)])
        contacts = [contact_of(report) for report in reports]
        sent = [envelope_of(contact) for contact in contacts]  # a redelivery is the same message again
        deliveries = sent + [sent[i % len(sent)] for i in redelivered]
        order.shuffle(deliveries)
        # As Kafka delivers them: a contact's partition (by its id, the topic's key) is one replica's,
        # which takes it and every redelivery of it in turn; the two replicas run at once.
        shares: list[list[Envelope]] = [[], []]
        for envelope in deliveries:
            shares[sum(envelope.data.contact_id.encode()) % 2].append(envelope)  # type: ignore[attr-defined]
        await asyncio.gather(
            *(
                _take_all(
                    province, replica, [share[i : i + batch_size] for i in range(0, len(share), batch_size)]
                )
                for replica, share in enumerate(shares)
            )
        )
        # Each waiting report's category, supplied by its owner (the action delivered twice), on the
        # replica whose partition holds its work order.
        waiting = [(c, r) for c, r in zip(contacts, reports, strict=True) if r.waits]
        for contact, report in waiting:
            work_order_id = work_order_id_for(contact.contact_id)
            kept = province.orders.stored.get(work_order_id)
            assert kept is not None, "a report without its category waits on its owner's list"
            assert kept.aggregate.status is WorkOrderStatus.NEEDS_INFO
            action = envelope_of(supplied(work_order_id, f"A-{contact.contact_id}", category=report.category))
            for _ in range(2):
                await province.act(sum(work_order_id.encode()) % 2, action)
        for contact in contacts:
            assert len(places_of(province, contact)) == 1, (contact.category, places_of(province, contact))
        links = [
            e.data.contact_id for _, e in province.orders.bus.published if isinstance(e.data, ContactLinkedV1)
        ]
        assert len(links) == len(set(links)), "every reporter linked once"
        for kept in province.clusters.stored.values():
            for incident in filter(None, [kept.aggregate.current, *kept.aggregate.earlier]):
                opener = province.orders.stored[incident.work_order_id].aggregate
                assert opener.incident_id == incident.id, "each incident's work order is written"

    asyncio.run(scenario())


async def _take_all(province: Province, replica: int, batches: list[list[Envelope]]) -> None:
    for batch in batches:
        await province.take(replica, batch)
