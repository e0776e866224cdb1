"""Customers' service passwords: the digits a customer keys in on the phone (the operators' first way to
verify a caller), sent by billing with the account's profile. The gateway keeps no password, only a
keyed hash of it (services/gateway/password_keys.py), and checks one keyed in against the password of
the account intake found the work order to be about. Wrong ones in a row, each within a lock's length
of the one before, lock the account's password for a while; a new password from billing lifts the lock.

Every try is counted in the store before it is compared, and one past the count is not compared at all,
so tries sent at once to several replicas compare no more passwords than the rule allows.

The hash is an HMAC-SHA256 rather than a slow password hash: six digits are found in moments from any
stored hash, slow or not, by whoever holds it; what protects them is the key, which is not in the store,
and the lock. HMAC also keeps a billing export of 60,000 rows hashed in well under a second.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol

from services.gateway.password_keys import Digest, PasswordKeys

DIGITS = r"^[0-9]{6}$"


@dataclass(frozen=True)
class LockRule:
    """Wrong passwords in a row before the account's password is locked, and for how long; a wrong one
    more than that long after the one before starts a new row."""

    tries: int = 5
    locked_for: timedelta = timedelta(hours=24)


class Verdict(StrEnum):
    RIGHT = "right"
    WRONG = "wrong"
    LOCKED = "locked"
    NONE_ON_FILE = "none_on_file"  # no password for the account, or one hashed under a key now gone


@dataclass(frozen=True)
class Checked:
    verdict: Verdict
    locked_until: datetime | None = None
    tries: int = 0  # wrong ones in a row, this one counted


@dataclass(frozen=True)
class StoredPassword:
    """What the book holds of an account's password: its hash, the wrong tries in a row, any lock."""

    account: str
    digest: Digest | None
    wrong: int = 0
    last_wrong_at: datetime | None = None
    locked_until: datetime | None = None

    def locked(self, now: datetime) -> bool:
        return self.locked_until is not None and self.locked_until > now


@dataclass(frozen=True)
class PasswordChange:
    account: str
    digest: Digest | None  # None: the account has no service password now
    updated_at: datetime


class PasswordBook(Protocol):
    async def keep(self, changes: list[PasswordChange]) -> None:
        """Each account's password as of `updated_at`, unless the book holds a later one; a changed
        password starts with no wrong tries and no lock."""
        ...

    async def of_account(self, account: str) -> StoredPassword | None: ...

    async def forget_tries(self, account: str, last_wrong_at: datetime) -> None:
        """The row of wrong tries ended at `last_wrong_at` is over (unless another came since)."""
        ...

    async def reserve(self, account: str, now: datetime) -> StoredPassword | None:
        """Count a try before it is compared: the password with the try counted; None if it is locked
        at `now`, or there is none."""
        ...

    async def lock(self, account: str, until: datetime) -> None: ...

    async def cleared(self, account: str) -> None:
        """A right password: no wrong tries in a row, no lock."""
        ...

    async def rehashed(self, account: str, old: Digest, new: Digest) -> None:
        """`new` in place of `old`, unless the account's password changed meanwhile."""
        ...


async def check(
    book: PasswordBook, keys: PasswordKeys, account: str, password: str, now: datetime, rule: LockRule
) -> Checked:
    """Whether `password` is the account's service password."""
    stored = await book.of_account(account)
    if stored is None or stored.digest is None:
        return Checked(Verdict.NONE_ON_FILE)
    if stored.locked(now):
        return Checked(Verdict.LOCKED, stored.locked_until, stored.wrong)
    if stored.wrong and stored.last_wrong_at and stored.last_wrong_at + rule.locked_for <= now:
        await book.forget_tries(account, stored.last_wrong_at)
    counted = await book.reserve(account, now)
    if counted is None or counted.digest is None:
        again = await book.of_account(account)
        if again is not None and again.locked(now):
            return Checked(Verdict.LOCKED, again.locked_until, again.wrong)
        return Checked(Verdict.NONE_ON_FILE)
    until = now + rule.locked_for
    if counted.wrong > rule.tries:  # tries sent at once: the one that reached the count locks
        return Checked(Verdict.LOCKED, until, counted.wrong)
    keyed_in = keys.digest(account, password, counted.digest.kid)
    if keyed_in is None:
        return Checked(Verdict.NONE_ON_FILE)
    if counted.digest.matches(keyed_in):
        await book.cleared(account)
        if counted.digest.kid != keys.current and (current := keys.digest(account, password)):
            await book.rehashed(account, counted.digest, current)
        return Checked(Verdict.RIGHT)
    if counted.wrong >= rule.tries:
        await book.lock(account, until)
        return Checked(Verdict.LOCKED, until, counted.wrong)
    return Checked(Verdict.WRONG, tries=counted.wrong)


@dataclass(frozen=True)
class ServicePasswords:
    """The book of hashes, the keys they are made with and the lock rule, as the API uses them."""

    book: PasswordBook
    keys: PasswordKeys
    rule: LockRule = LockRule()

    def change(self, account: str, password: str | None, at: datetime) -> PasswordChange:
        return PasswordChange(account, self.keys.digest(account, password) if password else None, at)

    async def keep(self, changes: list[PasswordChange]) -> None:
        if changes:
            await self.book.keep(changes)

    async def check(self, account: str, password: str, now: datetime) -> Checked:
        return await check(self.book, self.keys, account, password, now, self.rule)
