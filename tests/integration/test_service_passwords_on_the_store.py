"""Service passwords on the real store: the newest profile's password is the one checked, and wrong tries
sent to two gateway replicas at once are all counted, so the lock comes at the fifth wherever they land."""

import asyncio
from datetime import UTC, datetime, timedelta
from uuid import uuid4

from services.gateway.password_book import MongoPasswordBook
from services.gateway.service_passwords import LockRule, PasswordKeys, ServicePasswords, Verdict

NOW = datetime.now(UTC).replace(microsecond=0)
KEYS = PasswordKeys.in_memory()


async def replicas(store, count: int = 2) -> list[ServicePasswords]:
    database, _ = store
    collection = database[f"service_passwords_{uuid4().hex[:8]}"]
    book = MongoPasswordBook(collection)
    await book.ensure_indexes()
    return [ServicePasswords(MongoPasswordBook(collection), KEYS, LockRule(5)) for _ in range(count)]


def a_phone() -> str:
    return f"+86139{uuid4().int % 10**8:08d}"


async def test_the_newest_profiles_password_is_checked_whichever_arrives_first(store):
    gateway, _ = await replicas(store)
    phone, account = a_phone(), f"A-{uuid4().hex[:8]}"
    newer = gateway.change(account, [phone], "888888", NOW)
    older = gateway.change(account, [phone], "520131", NOW - timedelta(days=1))
    await gateway.book.keep([newer])
    await gateway.book.keep([older])
    right = await gateway.check(phone, "888888", NOW)
    stale = await gateway.check(phone, "520131", NOW)
    assert (right.verdict, stale.verdict) == (Verdict.RIGHT, Verdict.WRONG)


async def test_a_number_moved_to_another_account_is_checked_against_that_accounts_password(store):
    gateway, _ = await replicas(store)
    phone = a_phone()
    before = gateway.change(f"A-{uuid4().hex[:8]}", [phone], "520131", NOW - timedelta(days=30))
    after = gateway.change(f"A-{uuid4().hex[:8]}", [phone, a_phone()], "888888", NOW)
    await gateway.book.keep([before, after])
    assert (await gateway.check(phone, "888888", NOW)).verdict is Verdict.RIGHT


async def test_five_wrong_tries_at_once_on_two_replicas_lock_the_password(store):
    one, other = await replicas(store)
    phone = a_phone()
    await one.book.keep([one.change(f"A-{uuid4().hex[:8]}", [phone], "520131", NOW)])
    tries = [replica.check(phone, f"00000{n}", NOW) for n, replica in enumerate([one, other] * 2 + [one])]
    verdicts = [checked.verdict for checked in await asyncio.gather(*tries)]
    after = await other.check(phone, "520131", NOW)
    assert verdicts.count(Verdict.LOCKED) == 1  # the fifth, wherever it landed
    assert after.verdict is Verdict.LOCKED


async def test_a_large_export_of_new_and_known_accounts_is_kept_whole(store):
    gateway, _ = await replicas(store)
    accounts = [(f"A-{uuid4().hex[:8]}-{n}", a_phone()) for n in range(250)]
    first = [
        gateway.change(account, [phone], "520131", NOW - timedelta(days=1)) for account, phone in accounts
    ]
    await gateway.book.keep(first[:100])
    await gateway.book.keep([gateway.change(account, [phone], "888888", NOW) for account, phone in accounts])
    verdicts = {(await gateway.check(phone, "888888", NOW)).verdict for _, phone in accounts[::10]}
    assert verdicts == {Verdict.RIGHT}
