"""A customer directory at a province's size, and what intake's decision costs with it.

The stored customers are intake's own documents (rendered by its store's mapping) with their own account
numbers and phones; the bench's contacts come from those phones, so every contact in the stored phase is a
known customer and each decision looks the directory up.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from pymongo import AsyncMongoClient

from contracts.events import ContactReceivedV1, CustomerKind
from services.intake.customer_store import MongoCustomerDirectory, customer_document
from services.intake.domain.customers import EMPTY_LOOKUP, CustomerProfile
from services.intake.domain.rules import IntakeRules
from services.intake.domain.tiers import TierRules
from services.intake.domain.type_fields import FieldRules
from services.intake.domain.work_order import WorkOrder
from tests.bench.progress import log

Document = dict[str, Any]
BATCH, WRITERS = 2000, 4
DECISION_BATCH = 100  # about what intake's consumer takes at once under load
TIERS = TierRules.load()
RULES = IntakeRules(TIERS, FieldRules.load())


def bench_phone(n: int) -> str:
    """The n-th customer's mobile (national format, as a web form sends it)."""
    return f"139{n:08d}"


def bench_account(n: int) -> str:
    return f"ACC-{n:09d}"


def template() -> Document:
    profile = CustomerProfile(
        account_number="ACC-template",
        name="陈女士",
        phones=("+8613900000000",),
        kind=CustomerKind.RESIDENT,
        address="广州市天河区体育西路 1 号 3 栋 1201 房",
        monthly_spend=168.0,
        customer_since=date(2018, 5, 1),
        credit_score=720,
        red_list=False,
        blacklisted=False,
        updated_at=datetime.now(UTC),
    )
    return customer_document(profile)


async def fill_directory(database: Any, count: int) -> None:
    """`count` customers, one mobile each, in intake's `customers` and `customer_phones`."""
    customer = template()

    async def writer(offset: int) -> None:
        for first in range(offset * BATCH, count, BATCH * WRITERS):
            numbers = range(first, min(first + BATCH, count))
            accounts = [
                customer | {"_id": bench_account(n), "phones": [f"+86{bench_phone(n)}"]} for n in numbers
            ]
            phones = [{"_id": f"+86{bench_phone(n)}", "accounts": [bench_account(n)]} for n in numbers]
            await database["customers"].insert_many(accounts, ordered=False)
            await database["customer_phones"].insert_many(phones, ordered=False)

    began = time.monotonic()
    await asyncio.gather(*(writer(offset) for offset in range(WRITERS)))
    log(f"stored {count:,} customers and their numbers in {time.monotonic() - began:.0f}s")


@dataclass(frozen=True)
class Decisions:
    customers: int
    batches: int
    batch_size: int
    with_directory_per_s: float
    without_directory_per_s: float
    lookup_p50_ms: float
    lookup_p99_ms: float

    @property
    def ratio(self) -> float:
        return self.with_directory_per_s / self.without_directory_per_s


async def decisions(uri: str, database: str, customers: int, batches: int = 60) -> Decisions:
    """Intake's decision for batches of contacts from known numbers: the directory's lookup and the work
    order it opens, against the same decision with no directory (the raw baseline), interleaved."""
    client: AsyncMongoClient[Document] = AsyncMongoClient(uri, tz_aware=True)
    directory = MongoCustomerDirectory(client[database]["customers"], client[database]["customer_phones"])
    now = datetime.now(UTC)
    with_directory = without = 0.0
    lookups = []
    try:
        for batch in range(batches):
            contacts = [contact(now, (batch * 7919 + i * 104729) % customers) for i in range(DECISION_BATCH)]
            began = time.perf_counter()
            found = await directory.lookup((), {c.phone for c in contacts})
            looked_up = time.perf_counter()
            for c in contacts:
                WorkOrder.open(c, now, found.match(None, c.phone, TIERS, now.date()), RULES)
            with_directory += time.perf_counter() - began
            lookups.append((looked_up - began) * 1000)
            began = time.perf_counter()
            for c in contacts:
                WorkOrder.open(c, now, EMPTY_LOOKUP.match(None, c.phone, TIERS, now.date()), RULES)
            without += time.perf_counter() - began
    finally:
        await client.close()
    lookups.sort()
    count = batches * DECISION_BATCH
    figures = Decisions(
        customers,
        batches,
        DECISION_BATCH,
        count / with_directory,
        count / without,
        statistics.median(lookups),
        lookups[max(0, int(len(lookups) * 0.99) - 1)],
    )
    log(
        f"intake decisions with {customers:,} customers: {figures.with_directory_per_s:,.0f}/s "
        f"(without a directory {figures.without_directory_per_s:,.0f}/s)"
    )
    return figures


def contact(now: datetime, n: int) -> ContactReceivedV1:
    return ContactReceivedV1(
        contact_id=f"C-DECIDE-{n}",
        channel="web",
        received_at=now,
        province="yn",
        phone=f"+86{bench_phone(n)}",
        description="停电",
        requested_type="fault_repair",
        address="昆明市五华区人民中路 1 号",
        category="no_power",
    )
