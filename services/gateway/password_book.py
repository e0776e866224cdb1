"""Where the gateway keeps service-password hashes (services/gateway/service_passwords.py): one document
per account, found by any of its phones; in memory for tests."""

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from pymongo import DESCENDING, ReturnDocument, UpdateOne
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import BulkWriteError

from plumbing.store import as_utc
from plumbing.write_guard import guarded, retrying_stale
from services.gateway.service_passwords import Digest, LockRule, PasswordChange, StoredPassword

Document = dict[str, Any]
DUPLICATE_KEY = 11000
CHUNK = 100  # updates per bulk write: the store takes one connection for each


def newest(changes: Sequence[PasswordChange]) -> dict[str, PasswordChange]:
    """Each account's latest change of `changes`."""
    latest: dict[str, PasswordChange] = {}
    for change in changes:
        if change.account not in latest or latest[change.account].updated_at < change.updated_at:
            latest[change.account] = change
    return latest


class InMemoryPasswordBook:
    def __init__(self) -> None:
        self.accounts: dict[str, tuple[PasswordChange, StoredPassword]] = {}

    async def keep(self, changes: Sequence[PasswordChange]) -> None:
        for change in newest(changes).values():
            held = self.accounts.get(change.account)
            if held is None and change.digest is None:
                continue
            if held is None or held[0].updated_at < change.updated_at:
                stored = held[1] if held else StoredPassword(change.account, None)
                self.accounts[change.account] = (change, replace(stored, digest=change.digest))

    async def of_phone(self, phone: str) -> StoredPassword | None:
        listing = [held for held in self.accounts.values() if phone in held[0].phones]
        return max(listing, key=lambda held: held[0].updated_at)[1] if listing else None

    async def tried(self, account: str, right: bool, now: datetime, rule: LockRule) -> StoredPassword:
        change, stored = self.accounts[account]
        if right:
            stored = replace(stored, wrong=0, locked_until=None)
        elif stored.wrong + 1 >= rule.tries:
            stored = replace(stored, wrong=0, locked_until=now + rule.locked_for)
        else:
            stored = replace(stored, wrong=stored.wrong + 1)
        self.accounts[account] = (change, stored)
        return stored

    async def rehashed(self, account: str, digest: Digest) -> None:
        change, stored = self.accounts[account]
        self.accounts[account] = (change, replace(stored, digest=digest))


def _stored(document: Document) -> StoredPassword:
    digest = Digest(document["kid"], document["mac"]) if document.get("mac") else None
    locked = document.get("locked_until")
    return StoredPassword(
        document["_id"], digest, int(document.get("wrong", 0)), as_utc(locked) if locked else None
    )


def _fields(change: PasswordChange) -> Document:
    digest = change.digest
    return {
        "phones": list(change.phones),
        "kid": digest.kid if digest else None,
        "mac": digest.mac if digest else None,
        "updated_at": change.updated_at,
    }


class MongoPasswordBook:
    def __init__(self, collection: AsyncCollection[Document]) -> None:
        self._collection = collection

    async def ensure_indexes(self) -> None:
        await self._collection.create_index([("phones", 1), ("updated_at", DESCENDING)])

    async def keep(self, changes: Sequence[PasswordChange]) -> None:
        fields = {account: _fields(change) for account, change in newest(changes).items()}
        # An account without a password is stored only to clear one it had.
        held_already = [account for account, held in fields.items() if held["mac"] is None]
        new = [{"_id": account} | held for account, held in fields.items() if held["mac"] is not None]
        if new:
            try:
                await self._collection.insert_many(new, ordered=False)
            except BulkWriteError as error:
                errors = error.details.get("writeErrors", [])
                if any(e.get("code") != DUPLICATE_KEY for e in errors):
                    raise
                held_already += [new[e["index"]]["_id"] for e in errors]
        updates = [
            UpdateOne(
                {"_id": account, "updated_at": {"$lt": fields[account]["updated_at"]}},
                guarded({"$set": fields[account]}),
            )
            for account in held_already
        ]
        for start in range(0, len(updates), CHUNK):
            await self._write(updates[start : start + CHUNK])

    async def _write(self, chunk: list[UpdateOne]) -> None:
        # Safe to repeat: once written, an update's filter no longer matches.
        await retrying_stale(lambda: self._collection.bulk_write(chunk, ordered=False))

    async def of_phone(self, phone: str) -> StoredPassword | None:
        document = await self._collection.find_one({"phones": phone}, sort=[("updated_at", DESCENDING)])
        return _stored(document) if document is not None else None

    async def tried(self, account: str, right: bool, now: datetime, rule: LockRule) -> StoredPassword:
        if right:
            return await self._changed(account, {"$set": {"wrong": 0, "locked_until": None}})
        counted = await self._changed(account, {"$inc": {"wrong": 1}})
        if counted.wrong < rule.tries:
            return counted
        return await self._changed(account, {"$set": {"wrong": 0, "locked_until": now + rule.locked_for}})

    async def _changed(self, account: str, update: Document) -> StoredPassword:
        """The account's password after `update`; KeyError if the account has none stored."""
        written = guarded(update)
        document = await retrying_stale(
            lambda: self._collection.find_one_and_update(
                {"_id": account}, written, return_document=ReturnDocument.AFTER
            )
        )
        if document is None:
            raise KeyError(account)
        return _stored(document)

    async def rehashed(self, account: str, digest: Digest) -> None:
        update = guarded({"$set": {"kid": digest.kid, "mac": digest.mac}})
        await retrying_stale(lambda: self._collection.update_one({"_id": account}, update))
