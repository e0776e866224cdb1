"""A customer directory at a province's size, in intake's store.

The stored customers are intake's own documents (rendered by its store's mapping) with their own account
numbers and phones; the bench's contacts come from those phones, so every contact in the stored phase is a
known customer and each decision looks the directory up (what that costs: tests/bench/decisions.py).
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, date, datetime
from typing import Any

from contracts.events import CustomerKind
from services.intake.customer_store import customer_document
from services.intake.domain.customers import CustomerProfile
from tests.bench.progress import log

Document = dict[str, Any]
BATCH, WRITERS = 2000, 4


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
