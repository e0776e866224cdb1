"""Where the gateway keeps service-password hashes (services/gateway/service_passwords.py): one document
per account, by its number; in memory for tests."""

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from pymongo import ReturnDocument, UpdateOne
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import BulkWriteError

from plumbing.store import as_utc
from plumbing.write_guard import guarded, retrying_stale
from services.gateway.password_keys import Digest
from services.gateway.service_passwords import PasswordChange, StoredPassword

Document = dict[str, Any]
DUPLICATE_KEY = 11000
CHUNK = 100  # updates per bulk write: the store takes one connection for each
NO_TRIES: Document = {"wrong": 0, "last_wrong_at": None, "locked_until": None}


def newest(changes: Sequence[PasswordChange]) -> dict[str, PasswordChange]:
    """Each account's latest change of `changes`."""
    latest: dict[str, PasswordChange] = {}
    for change in changes:
        if change.account not in latest or latest[change.account].updated_at < change.updated_at:
            latest[change.account] = change
    return latest


class InMemoryPasswordBook:
    def __init__(self) -> None:
        self.accounts: dict[str, tuple[datetime, StoredPassword]] = {}

    async def keep(self, changes: Sequence[PasswordChange]) -> None:
        for change in newest(changes).values():
            held = self.accounts.get(change.account)
            if held is not None and held[0] >= change.updated_at:
                continue
            if held is not None and held[1].digest == change.digest:
                self.accounts[change.account] = (change.updated_at, held[1])
            else:
                self.accounts[change.account] = (
                    change.updated_at,
                    StoredPassword(change.account, change.digest),
                )

    async def of_account(self, account: str) -> StoredPassword | None:
        held = self.accounts.get(account)
        return held[1] if held else None

    def _change(self, account: str, **fields: Any) -> StoredPassword:
        at, stored = self.accounts[account]
        self.accounts[account] = (at, replace(stored, **fields))
        return self.accounts[account][1]

    async def forget_tries(self, account: str, last_wrong_at: datetime) -> None:
        stored = await self.of_account(account)
        if stored is not None and stored.last_wrong_at == last_wrong_at:
            self._change(account, wrong=0, last_wrong_at=None)

    async def reserve(self, account: str, now: datetime) -> StoredPassword | None:
        stored = await self.of_account(account)
        if stored is None or stored.digest is None or stored.locked(now):
            return None
        last = max(stored.last_wrong_at or now, now)
        return self._change(account, wrong=stored.wrong + 1, last_wrong_at=last)

    async def lock(self, account: str, until: datetime) -> None:
        self._change(account, wrong=0, locked_until=until)

    async def cleared(self, account: str) -> None:
        self._change(account, wrong=0, last_wrong_at=None, locked_until=None)

    async def rehashed(self, account: str, old: Digest, new: Digest) -> None:
        stored = await self.of_account(account)
        if stored is not None and stored.digest == old:
            self._change(account, digest=new)


def _stored(document: Document) -> StoredPassword:
    digest = Digest(document["kid"], document["mac"]) if document.get("mac") else None
    last, locked = document.get("last_wrong_at"), document.get("locked_until")
    return StoredPassword(
        document["_id"],
        digest,
        int(document.get("wrong", 0)),
        as_utc(last) if last else None,
        as_utc(locked) if locked else None,
    )


class MongoPasswordBook:
    def __init__(self, collection: AsyncCollection[Document]) -> None:
        self._collection = collection

    async def keep(self, changes: Sequence[PasswordChange]) -> None:
        latest = newest(changes)
        new = [{"_id": account, **_hash(change), **NO_TRIES} for account, change in latest.items()]
        held: list[str] = []
        try:
            await self._collection.insert_many(new, ordered=False)
        except BulkWriteError as error:
            errors = error.details.get("writeErrors", [])
            if any(e.get("code") != DUPLICATE_KEY for e in errors):
                raise
            held = [new[e["index"]]["_id"] for e in errors]
        updates = []
        for account in held:
            change = latest[account]
            older = {"_id": account, "updated_at": {"$lt": change.updated_at}}
            digest = change.digest
            # Two writes, the first for a password that changed (which lifts any lock), the second for
            # the same one sent again: whichever matches, the other then finds its `updated_at` taken.
            updates.append(
                UpdateOne(older | {"mac": {"$ne": digest.mac if digest else None}}, guarded(_changed(change)))
            )
            updates.append(UpdateOne(older, guarded({"$set": {"updated_at": change.updated_at}})))
        for start in range(0, len(updates), CHUNK):
            await self._write(updates[start : start + CHUNK])

    async def _write(self, chunk: list[UpdateOne]) -> None:
        # Safe to repeat: once written, an update's filter no longer matches.
        await retrying_stale(lambda: self._collection.bulk_write(chunk, ordered=True))

    async def of_account(self, account: str) -> StoredPassword | None:
        document = await self._collection.find_one({"_id": account})
        return _stored(document) if document is not None else None

    async def forget_tries(self, account: str, last_wrong_at: datetime) -> None:
        update = guarded({"$set": {"wrong": 0, "last_wrong_at": None}})
        key = {"_id": account, "last_wrong_at": last_wrong_at}
        await retrying_stale(lambda: self._collection.update_one(key, update))

    async def reserve(self, account: str, now: datetime) -> StoredPassword | None:
        unlocked = {"$or": [{"locked_until": None}, {"locked_until": {"$lte": now}}]}
        key = {"_id": account, "mac": {"$ne": None}} | unlocked
        update = guarded({"$inc": {"wrong": 1}, "$max": {"last_wrong_at": now}})
        document = await retrying_stale(
            lambda: self._collection.find_one_and_update(key, update, return_document=ReturnDocument.AFTER)
        )
        return _stored(document) if document is not None else None

    async def lock(self, account: str, until: datetime) -> None:
        update = guarded({"$set": {"wrong": 0, "locked_until": until}})
        await retrying_stale(lambda: self._collection.update_one({"_id": account}, update))

    async def cleared(self, account: str) -> None:
        update = guarded({"$set": NO_TRIES})
        await retrying_stale(lambda: self._collection.update_one({"_id": account}, update))

    async def rehashed(self, account: str, old: Digest, new: Digest) -> None:
        key = {"_id": account, "kid": old.kid, "mac": old.mac}
        update = guarded({"$set": {"kid": new.kid, "mac": new.mac}})
        await retrying_stale(lambda: self._collection.update_one(key, update))


def _hash(change: PasswordChange) -> Document:
    digest = change.digest
    return {
        "kid": digest.kid if digest else None,
        "mac": digest.mac if digest else None,
        "updated_at": change.updated_at,
    }


def _changed(change: PasswordChange) -> Document:
    return {"$set": _hash(change) | NO_TRIES}
