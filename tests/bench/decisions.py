"""Intake's whole decision for a batch of contacts, at a province's scale: a directory of N customers and
a hundred open incidents in one store, against the same decision on an empty store.

The decision is intake's own handler (`IntakeHandlers.contacts_received`) on intake's own repositories and
unit of work: the directory's lookup, `WorkOrder.open`, `Placing.look_up` for the batch (outages, repeat
keys, contacts placed before), `Placing.place` per contact, and the unit's commit: the work orders it
opens inserted, the incidents it joins updated, every event staged in its document's outbox and cleared
from it again as the relay does once Kafka has it. Only the send to Kafka is left out (the relay below
never dials it): the end-to-end phases time that path. So each figure is a decision with its write.

The hundred incidents are opened first by the same handler, one report per area and category, so the
store holds exactly what intake writes. Seven of every ten contacts of a batch report a fault of one of
ten of those incidents (a batch of a storm is a few areas' reports) and join it; the other three report
a meter fault, which opens a work order of its own. Every contact comes from a known customer's phone.
The empty store is cleared after each of its batches, so each starts empty: there the first report of
each of the ten opens its incident and the other six join it. The stored one (in the bench's stored phase
it also holds N work orders) keeps what its batches wrote until the end, and is then left as the phase
found it: customers and work orders filled before, no incident.
"""

from __future__ import annotations

import asyncio
import math
import statistics
import tempfile
import time
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, cast
from uuid import uuid4

from faststream.kafka import KafkaBroker
from pymongo import AsyncMongoClient
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from typing_extensions import override

from contracts.envelope import Envelope, source_uri
from contracts.events import ContactReceivedV1
from contracts.ids import work_order_id_for
from contracts.topics import Topics
from plumbing.mongo_repository import DocumentMapper, ensure_indexes
from plumbing.outbox import OutboxEntry, OutboxRelay
from services.common.clock import system_clock
from services.intake.adapters import FaultClusterDocuments
from services.intake.bootstrap import stored_unit
from services.intake.customer_store import MongoCustomerDirectory
from services.intake.domain.areas import AreaTable
from services.intake.domain.customers import CustomerProfile, DirectoryLookup
from services.intake.domain.duty import roster_for
from services.intake.domain.rules import IntakeRules
from services.intake.domain.storms import DEFAULT_STORM_RULES, StormRules
from services.intake.domain.tiers import TierRules
from services.intake.domain.type_fields import FieldRules
from services.intake.handlers import IntakeHandlers
from tests.bench.directory import bench_phone
from tests.bench.figures import fmt, fmt_rate
from tests.bench.progress import log
from tests.bench.storm import AREAS, CATEGORIES
from tests.support.storm_replay import area_table

Document = dict[str, Any]
DECISION_BATCH = 100  # about what intake's consumer takes at once under load
INCIDENTS = AREAS * len(CATEGORIES)
JOINING = 7  # of every ten contacts of a batch, those reporting a fault of an open incident
SPREAD = 10  # the incidents one batch's reports go to
OWN_CATEGORY = "meter_fault"  # one customer's fault: its own work order, no incident
STRIDE = 104729  # a prime: contact k's customer, k * STRIDE mod N, is another for each k below N
RULES = IntakeRules(TierRules.load(), FieldRules.load())
STORMS = StormRules.load(DEFAULT_STORM_RULES, RULES.fields)
COLLECTIONS = ("work_orders", "fault_clusters", "outages")


@dataclass(frozen=True)
class Decisions:
    customers: int
    incidents: int
    batches: int
    batch_size: int
    joined: int  # the stored run's contacts that joined one of its open incidents
    per_s: float  # contacts decided and written per second, with the customers and the incidents
    empty_store_per_s: float  # the same on an empty store
    batch_p50_ms: float
    batch_p99_ms: float
    lookup_p50_ms: float  # the directory's lookup of a batch, with the customers
    lookup_p99_ms: float

    @property
    def ratio(self) -> float:
        return self.per_s / self.empty_store_per_s


class Unsent(OutboxRelay):
    """The relay's work on the store (each document's events cleared once sent), without Kafka."""

    def __init__(self, collection: AsyncCollection[Document]) -> None:
        # Never dialled: `_send` is the relay's only use of its broker.
        super().__init__(collection, cast(KafkaBroker, None))

    @override
    async def _send(self, entry: OutboxEntry) -> None:
        return None


class TimedDirectory:
    """Intake's directory on the store, keeping how long each batch's lookup took (ms)."""

    def __init__(self, database: AsyncDatabase[Document]) -> None:
        self._directory = MongoCustomerDirectory(
            database["customers"], database["customer_phones"], database["customer_refreshes"]
        )
        self.lookups: list[float] = []

    async def update(self, profile: CustomerProfile) -> bool:
        return await self._directory.update(profile)

    async def lookup(self, accounts: Iterable[str], phones: Iterable[str]) -> DirectoryLookup:
        began = time.perf_counter()
        found = await self._directory.lookup(accounts, phones)
        self.lookups.append((time.perf_counter() - began) * 1000)
        return found

    async def dropped_phones(self, accounts: Iterable[str]) -> set[str]:
        return await self._directory.dropped_phones(accounts)

    def every_number(self, page: int) -> AsyncIterator[list[str]]:
        return self._directory.every_number(page)

    async def claim_refresh(self, day: date) -> bool:
        return await self._directory.claim_refresh(day)


async def intake_on(
    database: AsyncDatabase[Document], province: str, areas: AreaTable
) -> tuple[IntakeHandlers, TimedDirectory]:
    """Intake's handlers on `database`, on the unit of work services/intake/bootstrap.py builds (with
    relays that send nothing), its indexes created."""
    wanted: list[tuple[AsyncCollection[Document], DocumentMapper[Any], Unsent]] = []

    def with_outbox(name: str, mapper: DocumentMapper[Any]) -> tuple[AsyncCollection[Document], Unsent]:
        relay = Unsent(database[name])
        wanted.append((database[name], mapper, relay))
        return database[name], relay

    unit = stored_unit(source_uri("province", province, "intake"), with_outbox)
    for collection, mapper, relay in wanted:
        await ensure_indexes(collection, mapper)
        await relay.ensure_indexes()

    directory = TimedDirectory(database)
    roster = roster_for(province, None)
    topics = Topics(province)
    return IntakeHandlers(unit, directory, RULES, STORMS, areas, roster, topics, system_clock), directory


def fault_report(province: str, k: int, customers: int, area: int, category: str) -> Envelope:
    """Contact k, a fault report in area `area` (1-based) from a customer's phone, as intake receives it."""
    stride = STRIDE if math.gcd(STRIDE, customers) == 1 else 1
    contact = ContactReceivedV1(
        contact_id=f"C-DECIDE-{k:07d}",
        channel="web",
        received_at=datetime.now(UTC),
        province=province,
        phone=f"+86{bench_phone(k * stride % customers)}",
        description="停电了，请尽快派人抢修",
        requested_type="fault_repair",
        address=f"风暴市第{area}区幸福路 {k} 号",
        category=category,
    )
    source = source_uri("province", province, "gateway")
    return Envelope(str(uuid4()), contact.ce_type, source, contact.subject(), contact.received_at, contact)


def incident_report(province: str, k: int, customers: int, incident: int) -> Envelope:
    """Contact k, of the area and category of the incident-th incident."""
    return fault_report(province, k, customers, incident % AREAS + 1, CATEGORIES[incident // AREAS])


def openers(province: str, customers: int) -> list[Envelope]:
    """One report per area and category: each opens one of the incidents."""
    return [incident_report(province, n, customers, n) for n in range(INCIDENTS)]


def batch_of(province: str, batch: int, customers: int) -> list[Envelope]:
    reports = []
    for i in range(DECISION_BATCH):
        k = INCIDENTS + batch * DECISION_BATCH + i
        if i % 10 < JOINING:
            incident = (batch * SPREAD + i * SPREAD // DECISION_BATCH) % INCIDENTS
            reports.append(incident_report(province, k, customers, incident))
        else:
            reports.append(fault_report(province, k, customers, i % AREAS + 1, OWN_CATEGORY))
    return reports


def contact_id(envelope: Envelope) -> str:
    assert isinstance(envelope.data, ContactReceivedV1)
    return envelope.data.contact_id


async def timed(handlers: IntakeHandlers, envelopes: list[Envelope]) -> float:
    began = time.perf_counter()
    await handlers.contacts_received(envelopes)
    return time.perf_counter() - began


async def decisions(
    uri: str, database: str, customers: int, province: str = "yn", batches: int = 60
) -> Decisions:
    """Intake's decision and write for `batches` batches on `database` (holding `customers` customers,
    filled by fill_directory), a hundred incidents opened in it first, interleaved with the same batches
    on an empty database of the same user (dropped afterwards)."""
    client: AsyncMongoClient[Document] = AsyncMongoClient(uri, tz_aware=True)
    stored_db, empty_db = client[database], client[f"{database}_empty"]
    opening = openers(province, customers)
    used = [contact_id(envelope) for envelope in opening]
    with_store: list[float] = []
    empty: list[float] = []
    try:
        with tempfile.TemporaryDirectory() as folder:
            table = Path(folder) / "areas.json"
            area_table(province, table, AREAS)
            areas = AreaTable.load(table, province)
        began = time.monotonic()
        stored, directory = await intake_on(stored_db, province, areas)
        blank, _ = await intake_on(empty_db, province, areas)
        log(f"intake's store indexes in place in {time.monotonic() - began:.0f}s")
        await stored.contacts_received(opening)
        directory.lookups.clear()
        for batch in range(batches):
            contacts = batch_of(province, batch, customers)
            used += [contact_id(envelope) for envelope in contacts]
            # Each goes first every other batch: neither gains from a store the other has just warmed.
            if batch % 2:
                empty.append(await timed(blank, contacts))
                with_store.append(await timed(stored, contacts))
            else:
                with_store.append(await timed(stored, contacts))
                empty.append(await timed(blank, contacts))
            await asyncio.gather(*(empty_db[name].delete_many({}) for name in COLLECTIONS))
        joined = await joined_reports(stored_db)
    finally:
        await forget(stored_db, used)
        await client.drop_database(empty_db.name)
        await client.close()
    figures = Decisions(
        customers,
        INCIDENTS,
        batches,
        DECISION_BATCH,
        joined,
        batches * DECISION_BATCH / sum(with_store),
        batches * DECISION_BATCH / sum(empty),
        *p50_p99([seconds * 1000 for seconds in with_store]),
        *p50_p99(directory.lookups),
    )
    log(
        f"intake decisions with {customers:,} customers and {INCIDENTS} open incidents: "
        f"{figures.per_s:,.0f}/s (empty store {figures.empty_store_per_s:,.0f}/s); "
        f"{joined} of {batches * DECISION_BATCH} joined an incident"
    )
    return figures


def p50_p99(values: list[float]) -> tuple[float, float]:
    ordered = sorted(values)
    return statistics.median(ordered), ordered[max(0, math.ceil(len(ordered) * 0.99) - 1)]


async def joined_reports(database: AsyncDatabase[Document]) -> int:
    """Reports in the incidents beyond their openers, as intake's mapping reads its clusters back."""
    mapper = FaultClusterDocuments()
    clusters = [
        mapper.from_document(document, document.get("schema", 0))
        for document in await database["fault_clusters"].find().to_list()
    ]
    return sum(len(c.current.reporters) - 1 for c in clusters if c.current is not None)


async def forget(database: AsyncDatabase[Document], contact_ids: list[str]) -> None:
    """Take the incidents and the run's work orders out again: the services started next on this store
    would otherwise link the phase's contacts to them (and announce their pending events)."""
    await database.drop_collection("fault_clusters")
    orders = database["work_orders"]
    for first in range(0, len(contact_ids), DECISION_BATCH):
        # By _id, side by side: FerretDB 1.24 scans the collection for `$in`.
        chunk = contact_ids[first : first + DECISION_BATCH]
        await asyncio.gather(*(orders.delete_one({"_id": work_order_id_for(c)}) for c in chunk))


def decisions_line(d: dict[str, Any]) -> str:
    """Intake's whole decision per contact (tests/bench/decisions.py), at scale and on an empty store."""
    return (
        f"intake decisions with {d['customers']:,} customers and {d['incidents']} open incidents "
        f"(batches of {d['batch_size']}, in process, store writes included, no Kafka send): "
        f"{fmt_rate(d['per_s'])} (empty store {fmt_rate(d['empty_store_per_s'])}, ratio {d['ratio']:.2g}); "
        f"{d['joined']} of {d['batches'] * d['batch_size']} joined an incident; batch p50 "
        f"{fmt(d['batch_p50_ms'])} ms p99 {fmt(d['batch_p99_ms'])} ms, its directory lookup p50 "
        f"{fmt(d['lookup_p50_ms'], 2)} ms p99 {fmt(d['lookup_p99_ms'], 2)} ms"
    )
