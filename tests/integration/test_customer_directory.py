"""Intake's customer directory on the real store: profiles by account and by each of their numbers,
the newest update of an account kept, a number that changes hands found under its new account."""

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import uuid4

import pytest
from pymongo import AsyncMongoClient

from contracts.events import CustomerKind
from services.intake.customer_store import MongoCustomerDirectory
from services.intake.domain.customers import CustomerProfile
from tests.support.running import database_name

NOW = datetime(2026, 12, 2, 8, 0, tzinfo=UTC)


@pytest.fixture
async def directory(stack) -> AsyncIterator[MongoCustomerDirectory]:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(stack.mongodb_uri)
    database = client[database_name("gx", "test")]
    suffix = uuid4().hex
    try:
        yield MongoCustomerDirectory(
            database[f"customers_{suffix}"],
            database[f"customer_phones_{suffix}"],
            database[f"customer_refreshes_{suffix}"],
        )
    finally:
        await database.drop_collection(f"customers_{suffix}")
        await database.drop_collection(f"customer_phones_{suffix}")
        await database.drop_collection(f"customer_refreshes_{suffix}")
        await client.close()


def a_number() -> str:
    return f"+86139{uuid4().int % 10**8:08d}"


def a_profile(*phones: str, **changes: Any) -> CustomerProfile:
    fields: dict[str, Any] = {
        "account_number": f"45{uuid4().int % 10**10:010d}",
        "name": "覃先生",
        "phones": phones or (a_number(),),
        "kind": CustomerKind.RESIDENT,
        "address": "南宁市青秀区民族大道 1 号",
        "monthly_spend": 230.0,
        "customer_since": date(2018, 4, 1),
        "credit_score": 780,
        "red_list": False,
        "blacklisted": False,
        "updated_at": NOW,
    }
    return CustomerProfile(**(fields | changes))


async def test_a_stored_profile_is_found_by_its_account_and_by_each_of_its_numbers(directory):
    home, mobile = a_number(), a_number()
    profile = a_profile(home, mobile)
    assert await directory.update(profile)
    by_account = await directory.lookup([profile.account_number], [])
    by_numbers = await directory.lookup([], [home, mobile, a_number()])
    assert by_account.by_account[profile.account_number] == profile
    assert by_numbers.by_phone == {home: (profile,), mobile: (profile,)}


async def test_an_older_update_than_the_stored_one_changes_nothing(directory):
    profile = a_profile(monthly_spend=900.0)
    assert await directory.update(profile)
    assert not await directory.update(replace(profile, monthly_spend=5.0, updated_at=NOW - timedelta(days=1)))
    found = await directory.lookup([profile.account_number], [])
    assert found.by_account[profile.account_number].monthly_spend == 900.0


async def test_a_number_the_account_gives_up_is_found_under_the_account_that_takes_it(directory):
    kept, moved = a_number(), a_number()
    first = a_profile(kept, moved)
    second = a_profile(a_number())
    await directory.update(first)
    await directory.update(second)
    await directory.update(replace(first, phones=(kept,), updated_at=NOW + timedelta(minutes=1)))
    await directory.update(
        replace(second, phones=(*second.phones, moved), updated_at=NOW + timedelta(minutes=2))
    )
    found = await directory.lookup([], [kept, moved])
    assert [p.account_number for p in found.by_phone[moved]] == [second.account_number]
    assert [p.account_number for p in found.by_phone[kept]] == [first.account_number]


async def test_the_numbers_a_profile_drops_are_kept_until_the_next_one(directory):
    kept, dropped = a_number(), a_number()
    first = a_profile(kept, dropped)
    await directory.update(first)
    assert await directory.dropped_phones([first.account_number]) == set()
    await directory.update(replace(first, phones=(kept,), updated_at=NOW + timedelta(minutes=1)))
    assert await directory.dropped_phones([first.account_number]) == {dropped}
    await directory.update(replace(first, phones=(kept,), updated_at=NOW + timedelta(minutes=2)))
    assert await directory.dropped_phones([first.account_number]) == set()


async def test_a_number_two_accounts_share_lists_both(directory):
    shared = a_number()
    household, shop = a_profile(shared), a_profile(shared, kind=CustomerKind.BUSINESS)
    await asyncio.gather(directory.update(household), directory.update(shop))  # at the same moment
    found = await directory.lookup([], [shared])
    assert sorted(p.account_number for p in found.by_phone[shared]) == sorted(
        [household.account_number, shop.account_number]
    )


async def test_the_same_update_twice_at_once_is_stored_once(directory):
    profile = a_profile()
    stored = await asyncio.gather(directory.update(profile), directory.update(profile))
    assert sorted(stored) == [False, True]


async def test_the_daily_refresh_reads_every_number_a_page_at_a_time_and_one_replica_claims_each_day(
    directory,
):
    profiles = [a_profile(a_number(), a_number()) for _ in range(5)]
    for profile in profiles:
        await directory.update(profile)
    pages = [page async for page in directory.every_number(3)]
    assert [len(page) for page in pages] == [3, 3, 3, 1]
    assert {n for page in pages for n in page} == {n for p in profiles for n in p.phones}
    claims = await asyncio.gather(*(directory.claim_refresh(date(2026, 12, 8)) for _ in range(3)))
    assert sorted(claims) == [False, False, True]
    assert await directory.claim_refresh(date(2026, 12, 9))
