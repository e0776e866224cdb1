"""A customer on the phone keys in the service password billing sent with the account's profile, and is
told their work order's content; wrong passwords in a row lock it for a day; the password itself is kept
nowhere and sent nowhere."""

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from contracts.events import ReplyKind
from deploy.local.credentials import local_keys
from services.gateway.case_files import ReplyNote
from services.gateway.password_book import InMemoryPasswordBook
from services.gateway.password_keys import PasswordKeys, load_password_keys, new_password_key
from services.gateway.service_passwords import LockRule, ServicePasswords, Verdict
from tests.fake_case_files import OPENED, REPAIR_CASE, InMemoryCaseFiles
from tests.fakes import InMemoryAuditTrail, RecordingPublisher
from tests.unit.test_customer_imports import CSV, HEADER, PROFILE, export, row
from tests.unit.test_gateway import app_with

ACCOUNT = REPAIR_CASE.facts.account_number or ""
OURS = PROFILE | {"account_number": ACCOUNT}
THREE_TRIES = LockRule(3, timedelta(hours=1))
BILLING = {"Authorization": f"Bearer {local_keys()['gd.billing']}"}
VOICE = {"Authorization": f"Bearer {local_keys()['gd.channel.voice']}"}
NOW = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)
ANSWERED = replace(
    REPAIR_CASE, replies=(ReplyNote("WO-1-D1", "repair", ReplyKind.FINAL, "已修复", OPENED, True),)
)


class Hotline:
    def __init__(self, client: httpx.AsyncClient, publisher: RecordingPublisher, audit: InMemoryAuditTrail):
        self.client, self.publisher, self.audit = client, publisher, audit

    async def profile(self, **fields: object) -> httpx.Response:
        return await self.client.post("/v1/customer-profiles", json=OURS | fields, headers=BILLING)

    async def keyed_in(self, password: str, work_order_id: str = "WO-1") -> httpx.Response:
        lookup = {"work_order_id": work_order_id, "service_password": password}
        return await self.client.post("/v1/customer-lookups", json=lookup, headers=VOICE)


@pytest.fixture
async def hotline() -> AsyncIterator[Hotline]:
    publisher, audit = RecordingPublisher(), InMemoryAuditTrail()
    app = app_with(
        publisher, trail=audit, cases=InMemoryCaseFiles(ANSWERED), passwords=InMemoryPasswordBook()
    )
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw") as client:
        yield Hotline(client, publisher, audit)


async def test_a_caller_who_keys_in_the_accounts_service_password_hears_the_work_orders_content(hotline):
    assert (await hotline.profile(service_password="520131")).status_code == 202
    answer = await hotline.keyed_in("520131")
    assert answer.status_code == 200, answer.text
    assert (answer.json()["description"], answer.json()["replies"]) == ("家里停电了", ["已修复"])


async def test_a_wrong_password_is_answered_as_an_unknown_work_order_is(hotline):
    await hotline.profile(service_password="520131")
    wrong, unknown = await hotline.keyed_in("111111"), await hotline.keyed_in("520131", "WO-404")
    assert (wrong.status_code, unknown.status_code) == (404, 404)
    assert wrong.json()["detail"] == unknown.json()["detail"]


async def test_five_wrong_passwords_in_a_row_lock_the_account_for_a_day_even_against_the_right_one(hotline):
    await hotline.profile(service_password="520131")
    tries = [(await hotline.keyed_in(f"00000{n}")).status_code for n in range(5)]
    locked = await hotline.keyed_in("520131")
    assert tries == [404, 404, 404, 404, 429]
    assert locked.status_code == 429
    assert "locked until" in locked.json()["detail"]
    assert 86_000 < int(locked.headers["Retry-After"]) <= 86_400


async def test_a_right_password_between_wrong_ones_starts_the_count_again(hotline):
    await hotline.profile(service_password="520131")
    for _ in range(2):
        for n in range(4):
            assert (await hotline.keyed_in(f"00000{n}")).status_code == 404
        assert (await hotline.keyed_in("520131")).status_code == 200


async def test_a_profile_that_leaves_the_password_out_keeps_it_and_one_that_says_null_clears_it(hotline):
    await hotline.profile(service_password="520131")
    await hotline.profile(updated_at="2026-12-02T08:00:00+08:00")
    kept = await hotline.keyed_in("520131")
    await hotline.profile(service_password=None, updated_at="2026-12-03T08:00:00+08:00")
    cleared = await hotline.keyed_in("520131")
    assert (kept.status_code, cleared.status_code) == (200, 404)


async def test_an_older_profile_arriving_late_does_not_bring_back_its_old_password(hotline):
    await hotline.profile(service_password="888888", updated_at="2026-12-02T08:00:00+08:00")
    await hotline.profile(service_password="520131")  # PROFILE's updated_at is a day earlier
    assert (await hotline.keyed_in("888888")).status_code == 200
    assert (await hotline.keyed_in("520131")).status_code == 404


async def test_the_password_is_in_no_event_and_no_audit_record(hotline):
    await hotline.profile(service_password="520131")
    await hotline.keyed_in("520131")
    await hotline.keyed_in("000000")
    assert hotline.publisher.published
    assert hotline.publisher.audited
    for event in hotline.publisher.published + hotline.publisher.audited:
        assert "520131" not in event.model_dump_json()
        assert "000000" not in event.model_dump_json()
    assert "service_password" not in hotline.publisher.published[0].model_dump()


async def test_wrong_passwords_and_the_lock_are_in_the_audit_trail_as_refusals(hotline):
    await hotline.profile(service_password="520131")
    for n in range(5):
        await hotline.keyed_in(f"00000{n}")
    await hotline.keyed_in("520131")
    audited = [(e.outcome, e.status) for e in hotline.publisher.audited if e.action == "customer.lookup"]
    assert audited == [("refused", 404)] * 4 + [("refused", 429)] * 2


async def test_a_work_order_intake_found_no_account_for_answers_as_an_unknown_one():
    unknown_customer = replace(ANSWERED, facts=replace(ANSWERED.facts, account_number=None))
    app = app_with(RecordingPublisher(), cases=InMemoryCaseFiles(unknown_customer))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw") as client:
        await client.post(
            "/v1/customer-profiles", json=OURS | {"service_password": "520131"}, headers=BILLING
        )
        lookup = {"work_order_id": "WO-1", "service_password": "520131"}
        answer = await client.post("/v1/customer-lookups", json=lookup, headers=VOICE)
    assert answer.status_code == 404


async def test_a_lookup_gives_the_callers_number_or_a_password_never_both_nor_neither(hotline):
    both = {"work_order_id": "WO-1", "caller_number": "13926012345", "service_password": "520131"}
    for lookup in (both, {"work_order_id": "WO-1"}):
        answer = await hotline.client.post("/v1/customer-lookups", json=lookup, headers=VOICE)
        assert answer.status_code == 422
        assert "one of caller_number" in answer.text


async def test_a_password_that_is_not_six_digits_is_refused_naming_the_field(hotline):
    answer = await hotline.profile(service_password="12345a")
    assert answer.status_code == 422
    assert [e["field"] for e in answer.json()["errors"]] == ["service_password"]
    assert "12345a" not in answer.text


async def test_an_export_with_a_password_column_sets_and_clears_and_one_without_it_keeps_them(hotline):
    with_column = (HEADER + ",service_password").encode()
    first = with_column + b"\n" + (row(ACCOUNT) + ",520131").encode()
    await hotline.client.post("/v1/customer-imports", content=first, headers=CSV)
    set_ = await hotline.keyed_in("520131")
    later = export(row(ACCOUNT, updated_at="2026-12-02T08:00:00+08:00"))
    await hotline.client.post("/v1/customer-imports", content=later, headers=CSV)
    kept = await hotline.keyed_in("520131")
    empty = with_column + b"\n" + (row(ACCOUNT, updated_at="2026-12-03T08:00:00+08:00") + ",").encode()
    await hotline.client.post("/v1/customer-imports", content=empty, headers=CSV)
    cleared = await hotline.keyed_in("520131")
    assert (set_.status_code, kept.status_code, cleared.status_code) == (200, 200, 404)


def passwords_of(book=None, keys=None, rule=THREE_TRIES) -> ServicePasswords:
    return ServicePasswords(book or InMemoryPasswordBook(), keys or PasswordKeys.in_memory(), rule)


async def test_a_lock_ends_after_its_time_and_the_right_password_works_again():
    passwords = passwords_of()
    await passwords.keep([passwords.change("A1", "520131", NOW)])
    verdicts = [(await passwords.check("A1", "000000", NOW)).verdict for _ in range(3)]
    during = await passwords.check("A1", "520131", NOW + timedelta(minutes=59))
    after = await passwords.check("A1", "520131", NOW + timedelta(minutes=61))
    assert verdicts == [Verdict.WRONG, Verdict.WRONG, Verdict.LOCKED]
    assert (during.verdict, after.verdict) == (Verdict.LOCKED, Verdict.RIGHT)


async def test_a_new_password_from_billing_lifts_the_lock_and_the_same_one_sent_again_does_not():
    passwords = passwords_of()
    await passwords.keep([passwords.change("A1", "520131", NOW)])
    for _ in range(3):
        await passwords.check("A1", "000000", NOW)
    await passwords.keep([passwords.change("A1", "520131", NOW + timedelta(minutes=5))])
    resent = await passwords.check("A1", "520131", NOW + timedelta(minutes=6))
    await passwords.keep([passwords.change("A1", "777777", NOW + timedelta(minutes=10))])
    changed = await passwords.check("A1", "777777", NOW + timedelta(minutes=11))
    assert (resent.verdict, changed.verdict) == (Verdict.LOCKED, Verdict.RIGHT)


async def test_wrong_tries_further_apart_than_a_lock_lasts_start_a_new_row():
    passwords = passwords_of()
    await passwords.keep([passwords.change("A1", "520131", NOW)])
    for n in range(2):
        await passwords.check("A1", "000000", NOW + timedelta(minutes=n))
    later = await passwords.check("A1", "000000", NOW + timedelta(hours=2))
    assert (later.verdict, later.tries) == (Verdict.WRONG, 1)


class Yielding(InMemoryPasswordBook):
    """The in-memory book, pausing before each call as a store would, so tries sent at once interleave."""

    async def of_account(self, account):
        await asyncio.sleep(0)
        return await super().of_account(account)

    async def reserve(self, account, now):
        await asyncio.sleep(0)
        return await super().reserve(account, now)


async def test_thirty_guesses_at_once_compare_no_more_passwords_than_the_rule_allows():
    passwords = passwords_of(Yielding())
    await passwords.keep([passwords.change("A1", "520131", NOW)])
    guesses = [f"{n:06d}" for n in range(30)] + ["520131"]
    verdicts = [c.verdict for c in await asyncio.gather(*(passwords.check("A1", g, NOW) for g in guesses))]
    assert verdicts.count(Verdict.WRONG) == 2  # the third wrong one locks
    assert verdicts[-1] is Verdict.LOCKED


async def test_a_password_hashed_under_a_key_put_second_still_checks_and_is_hashed_again_under_the_first():
    old, new = new_password_key(), new_password_key()
    book = InMemoryPasswordBook()
    await book.keep([passwords_of(book, PasswordKeys([old])).change("A1", "520131", NOW)])
    rotated = passwords_of(book, PasswordKeys([new, old]))
    assert (await rotated.check("A1", "520131", NOW)).verdict is Verdict.RIGHT
    stored = await book.of_account("A1")
    assert stored is not None
    assert stored.digest is not None
    assert stored.digest.kid == rotated.keys.current
    dropped = passwords_of(book, PasswordKeys([new]))
    assert (await dropped.check("A1", "520131", NOW)).verdict is Verdict.RIGHT


async def test_a_rehash_never_writes_back_a_password_billing_changed_meanwhile():
    passwords = passwords_of()
    await passwords.keep([passwords.change("A1", "520131", NOW)])
    stored = await passwords.book.of_account("A1")
    await passwords.keep([passwords.change("A1", "777777", NOW + timedelta(minutes=1))])
    assert stored is not None
    assert stored.digest is not None
    await passwords.book.rehashed("A1", stored.digest, passwords.keys.digest("A1", "520131"))  # type: ignore[arg-type]
    assert (await passwords.check("A1", "777777", NOW)).verdict is Verdict.RIGHT


async def test_two_accounts_with_the_same_digits_keep_different_hashes():
    keys = PasswordKeys.in_memory()
    assert keys.digest("A1", "520131") != keys.digest("A2", "520131")


def test_a_key_file_made_for_local_development_is_refused_elsewhere(tmp_path):
    path = tmp_path / "password_keys.json"
    load_password_keys(path, local=True)
    assert path.stat().st_mode & 0o077 == 0
    with pytest.raises(ValueError, match="local development is refused"):
        load_password_keys(path, local=False)
