"""Service passwords on the real store: the newest profile's password is the one checked, a new one lifts
a lock, and guesses sent to two gateway replicas at once compare no more passwords than the rule allows."""

import asyncio
from datetime import UTC, datetime, timedelta
from uuid import uuid4

from services.gateway.password_book import MongoPasswordBook
from services.gateway.password_keys import PasswordKeys
from services.gateway.service_passwords import LockRule, ServicePasswords, Verdict

NOW = datetime.now(UTC).replace(microsecond=0)
KEYS = PasswordKeys.in_memory()


async def replicas(store, count: int = 2) -> list[ServicePasswords]:
    database, _ = store
    collection = database[f"service_passwords_{uuid4().hex[:8]}"]
    return [ServicePasswords(MongoPasswordBook(collection), KEYS, LockRule(5)) for _ in range(count)]


def an_account() -> str:
    return f"A-{uuid4().hex[:12]}"


async def test_the_newest_profiles_password_is_checked_whichever_arrives_first(store):
    gateway, _ = await replicas(store)
    account = an_account()
    await gateway.keep([gateway.change(account, "888888", NOW)])
    await gateway.keep([gateway.change(account, "520131", NOW - timedelta(days=1))])
    right = await gateway.check(account, "888888", NOW)
    stale = await gateway.check(account, "520131", NOW)
    assert (right.verdict, stale.verdict) == (Verdict.RIGHT, Verdict.WRONG)


async def test_a_cleared_password_is_not_brought_back_by_an_older_profile_arriving_late(store):
    gateway, _ = await replicas(store)
    account = an_account()
    await gateway.keep([gateway.change(account, None, NOW)])
    await gateway.keep([gateway.change(account, "520131", NOW - timedelta(days=1))])
    assert (await gateway.check(account, "520131", NOW)).verdict is Verdict.NONE_ON_FILE


async def test_a_new_password_lifts_the_lock_and_the_same_one_sent_again_does_not(store):
    gateway, _ = await replicas(store)
    account = an_account()
    await gateway.keep([gateway.change(account, "520131", NOW)])
    for _ in range(5):
        await gateway.check(account, "000000", NOW)
    await gateway.keep([gateway.change(account, "520131", NOW + timedelta(minutes=1))])
    resent = await gateway.check(account, "520131", NOW + timedelta(minutes=2))
    await gateway.keep([gateway.change(account, "777777", NOW + timedelta(minutes=3))])
    changed = await gateway.check(account, "777777", NOW + timedelta(minutes=4))
    assert (resent.verdict, changed.verdict) == (Verdict.LOCKED, Verdict.RIGHT)


async def test_guesses_at_once_on_two_replicas_compare_no_more_than_five_and_then_lock(store):
    one, other = await replicas(store)
    account = an_account()
    await one.keep([one.change(account, "520131", NOW)])
    guesses = [(one if n % 2 else other).check(account, f"{n:06d}", NOW) for n in range(12)]
    verdicts = [checked.verdict for checked in await asyncio.gather(*guesses)]
    assert verdicts.count(Verdict.WRONG) == 4  # the fifth wrong one locks; the rest are not compared
    assert (await other.check(account, "520131", NOW)).verdict is Verdict.LOCKED


async def test_wrong_tries_a_day_apart_start_a_new_row(store):
    gateway, _ = await replicas(store)
    account = an_account()
    await gateway.keep([gateway.change(account, "520131", NOW)])
    for _ in range(4):
        await gateway.check(account, "000000", NOW)
    later = await gateway.check(account, "000000", NOW + timedelta(hours=25))
    assert (later.verdict, later.tries) == (Verdict.WRONG, 1)


async def test_a_large_export_of_new_and_known_accounts_is_kept_whole(store):
    gateway, _ = await replicas(store)
    accounts = [an_account() for _ in range(250)]
    await gateway.keep(
        [gateway.change(account, "520131", NOW - timedelta(days=1)) for account in accounts[:100]]
    )
    await gateway.keep([gateway.change(account, "888888", NOW) for account in accounts])
    verdicts = {(await gateway.check(account, "888888", NOW)).verdict for account in accounts[::10]}
    assert verdicts == {Verdict.RIGHT}
