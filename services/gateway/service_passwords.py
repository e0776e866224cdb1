"""Customers' service passwords: the digits a customer keys in on the phone (the operators' first way to
verify a caller), sent by billing with the account's profile. The gateway keeps no password, only a
keyed hash of it, and checks one keyed in against it; after a few wrong ones in a row the account's
password is locked for a while (counted in the store, so the same on every replica).

The hash is an HMAC-SHA256 under a key of the gateway's (a file of keys, like the seal's) rather than a
slow password hash: a six-digit password is found in a second from any stored hash, slow or not, by one
who holds it; what protects it is the key, which is not in the store, and the lock. HMAC also keeps a
billing export of a million accounts checked in seconds. The first key hashes; a password hashed under
an older key still in the file is checked with that one and hashed again under the first when it is
keyed in right, so a key is rotated by putting a new one first and dropping the old one later.
"""

import base64
import hashlib
import hmac
import json
import os
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Protocol

from services.gateway.key_set import create_once

DIGITS = r"^[0-9]{6}$"


class PasswordKeys:
    def __init__(self, keys: list[str], *, local: bool = False) -> None:
        if not keys:
            raise ValueError("service passwords need at least one key")
        try:
            decoded = [base64.urlsafe_b64decode(key) for key in keys]
        except ValueError as error:
            raise ValueError(f"not a base64 key: {error}") from error
        if any(len(key) < 32 for key in decoded):
            raise ValueError("a service-password key is 32 bytes or more")
        self._keys = {hashlib.sha256(key).hexdigest()[:12]: key for key in decoded}
        self.current = next(iter(self._keys))
        self.local = local

    @classmethod
    def in_memory(cls) -> "PasswordKeys":
        """For a lone gateway in local development without a key file."""
        return cls([new_password_key()], local=True)

    @classmethod
    def load(cls, path: Path) -> "PasswordKeys":
        try:
            document = json.loads(path.read_text())
            return cls(list(document["keys"]), local=bool(document.get("local", False)))
        except (OSError, json.JSONDecodeError, KeyError, TypeError) as error:
            raise ValueError(f"{path}: not a service-password key file: {error!r}") from error

    def digest(self, account: str, password: str, kid: str | None = None) -> "Digest | None":
        """The password's hash under key `kid` (the current one if None); None if that key is gone."""
        kid = kid or self.current
        key = self._keys.get(kid)
        if key is None:
            return None
        # The account is in the hash, so two accounts with the same digits keep different hashes.
        mac = hmac.new(key, f"{account}\0{password}".encode(), hashlib.sha256).hexdigest()
        return Digest(kid, mac)


@dataclass(frozen=True)
class Digest:
    kid: str
    mac: str

    def matches(self, other: "Digest | None") -> bool:
        return other is not None and self.kid == other.kid and hmac.compare_digest(self.mac, other.mac)


def new_password_key() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()


def load_password_keys(path: Path | None, local: bool) -> PasswordKeys:
    if path is None:
        return PasswordKeys.in_memory()  # settings allow this only in local development
    if local:

        def write_to(temporary: Path) -> None:
            descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "w") as file:
                json.dump({"keys": [new_password_key()], "local": True}, file)

        create_once(path, write_to)
    keys = PasswordKeys.load(path)
    if keys.local and not local:
        raise ValueError(f"{path}: a service-password key made for local development is refused here")
    return keys


@dataclass(frozen=True)
class LockRule:
    """Wrong passwords in a row before the account's password is locked, and for how long."""

    tries: int = 5
    locked_for: timedelta = timedelta(hours=24)


class Verdict(StrEnum):
    RIGHT = "right"
    WRONG = "wrong"
    LOCKED = "locked"
    NONE_ON_FILE = "none_on_file"  # no password for the number, or one hashed under a key now gone


@dataclass(frozen=True)
class Checked:
    verdict: Verdict
    locked_until: datetime | None = None


@dataclass(frozen=True)
class StoredPassword:
    """What the book holds of an account's password: its hash, wrong tries in a row, any lock."""

    account: str
    digest: Digest | None
    wrong: int = 0
    locked_until: datetime | None = None


@dataclass(frozen=True)
class PasswordChange:
    account: str
    phones: list[str]
    digest: Digest | None  # None: the account has no service password now
    updated_at: datetime


class PasswordBook(Protocol):
    async def keep(self, changes: list[PasswordChange]) -> None:
        """Each account's password as of `updated_at`, unless the book holds a later one."""
        ...

    async def of_phone(self, phone: str) -> StoredPassword | None:
        """The password of the account that last listed `phone`."""
        ...

    async def tried(self, account: str, right: bool, now: datetime, rule: LockRule) -> StoredPassword:
        """Count a try: a right one clears the count, a wrong one adds to it and locks at `rule.tries`."""
        ...

    async def rehashed(self, account: str, digest: Digest) -> None: ...


async def check(
    book: PasswordBook, keys: PasswordKeys, phone: str, password: str, now: datetime, rule: LockRule
) -> Checked:
    """Whether `password` is the service password of the account `phone` belongs to."""
    stored = await book.of_phone(phone)
    if stored is None or stored.digest is None:
        return Checked(Verdict.NONE_ON_FILE)
    if stored.locked_until is not None and stored.locked_until > now:
        return Checked(Verdict.LOCKED, stored.locked_until)
    keyed_in = keys.digest(stored.account, password, stored.digest.kid)
    if keyed_in is None:
        return Checked(Verdict.NONE_ON_FILE)
    right = stored.digest.matches(keyed_in)
    clean = stored.wrong == 0 and stored.locked_until is None
    after = stored if right and clean else await book.tried(stored.account, right, now, rule)
    if right:
        if stored.digest.kid != keys.current and (current := keys.digest(stored.account, password)):
            await book.rehashed(stored.account, current)
        return Checked(Verdict.RIGHT)
    if after.locked_until is not None and after.locked_until > now:
        return Checked(Verdict.LOCKED, after.locked_until)
    return Checked(Verdict.WRONG)


@dataclass(frozen=True)
class ServicePasswords:
    """The book of hashes, the keys they are made with and the lock rule, as the API uses them."""

    book: PasswordBook
    keys: PasswordKeys
    rule: LockRule = LockRule()

    def change(self, account: str, phones: list[str], password: str | None, at: datetime) -> PasswordChange:
        return PasswordChange(account, phones, self.keys.digest(account, password) if password else None, at)

    async def check(self, phone: str, password: str, now: datetime) -> Checked:
        return await check(self.book, self.keys, phone, password, now, self.rule)
