"""The customer directory on the store: `customers` (one document per account, by `_id`) and
`customer_phones` (one per number, by `_id`, listing the accounts it is registered to); beside them,
`customer_refreshes`, a document per day whose standings a replica refreshed.

Every query is an equality on `_id`: a batch of contacts costs one query per distinct number and one per
account found, side by side, whatever the directory's size. An account is rewritten only over the
version read (optimistic, on its `updated_at`), so an older profile never replaces a newer one. A profile is
written in steps: its numbers linked, the account written, its numbers linked again, the numbers it gave
up unlinked (each linked back if a newer profile written meanwhile lists it). Whatever the interleaving
of two writers, every number an account lists stays linked to it. A crash between the steps leaves at
most a number linked to an account that no longer lists it, which a lookup ignores.
"""

import asyncio
from collections.abc import AsyncIterator, Iterable
from datetime import date
from typing import Any

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from contracts.events import CustomerKind
from plumbing.concurrency import gather_all
from plumbing.repository import ConcurrentChange
from plumbing.store import as_utc
from plumbing.write_guard import StaleWrite, guarded, retrying_stale
from services.intake.domain.customers import CustomerProfile, DirectoryLookup

Document = dict[str, Any]
# Tries of one update when other writers keep changing the account in between (a redelivery retries).
ATTEMPTS = 3
MAX_ACCOUNTS_PER_NUMBER = 20


class MongoCustomerDirectory:
    def __init__(
        self,
        customers: AsyncCollection[Document],
        phones: AsyncCollection[Document],
        refreshes: AsyncCollection[Document],
    ) -> None:
        self._customers = customers
        self._phones = phones
        self._refreshes = refreshes

    async def every_number(self, page: int) -> AsyncIterator[list[str]]:
        numbers: list[str] = []
        async for document in self._phones.find({}, {"_id": 1}, batch_size=page):
            numbers.append(document["_id"])
            if len(numbers) >= page:
                yield numbers
                numbers = []
        if numbers:
            yield numbers

    async def claim_refresh(self, day: date) -> bool:
        try:
            await self._refreshes.insert_one({"_id": f"standings:{day.isoformat()}"})
        except DuplicateKeyError:
            return False
        return True

    async def update(self, profile: CustomerProfile) -> bool:
        account = profile.account_number
        for _ in range(ATTEMPTS):
            stored = await self._customers.find_one({"_id": account}, {"phones": 1, "updated_at": 1})
            if stored is not None and as_utc(stored["updated_at"]) >= profile.updated_at:
                return False
            await self._link_all(profile.phones, account)
            if await self._replace(account, stored, profile):
                break
        else:
            raise ConcurrentChange("an account kept changing while its profile was stored")
        # Linked again once written: an older writer of the account unlinking a number this profile has
        # taken back may have come in between.
        await self._link_all(profile.phones, account)
        dropped = set(stored["phones"] if stored else ()) - set(profile.phones)
        if dropped:
            await self._unlink(dropped, account)
        return True

    async def _unlink(self, dropped: set[str], account: str) -> None:
        unlink = guarded({"$pull": {"accounts": account}})

        async def pull(phone: str) -> None:
            await retrying_stale(lambda: self._phones.update_one({"_id": phone}, unlink))

        await gather_all([pull(phone) for phone in dropped])
        # A newer profile written meanwhile may list a number again: then it stays linked.
        now = await self._customers.find_one({"_id": account}, {"phones": 1})
        await self._link_all(dropped & set(now["phones"] if now else ()), account)

    async def _replace(self, account: str, stored: Document | None, profile: CustomerProfile) -> bool:
        """Write the profile over exactly the version read (an equality on its `updated_at`), or as a new
        account; False if another writer changed or created it since."""
        if stored is None:
            try:
                await self._customers.insert_one({"_id": account} | customer_document(profile))
            except DuplicateKeyError:
                return False
            return True
        # The numbers this profile drops, kept until the next: whoever announces the numbers' standings
        # finds them again if the announcement after this write never went out.
        dropped = sorted(set(stored.get("phones", ())) - set(profile.phones))
        update = guarded({"$set": customer_document(profile) | {"dropped_phones": dropped}})
        read = {"_id": account, "updated_at": stored["updated_at"]}
        try:
            # Tried again when refused as stale: the condition on `updated_at` then decides whether
            # another writer really came first, or only touched the document in between.
            result = await retrying_stale(lambda: self._customers.update_one(read, update))
        except StaleWrite:
            return False
        return result.matched_count == 1

    async def dropped_phones(self, accounts: Iterable[str]) -> set[str]:
        """The numbers each account's last stored profile dropped (by _id, side by side)."""
        found = await asyncio.gather(
            *(self._customers.find_one({"_id": a}, {"dropped_phones": 1}) for a in sorted(set(accounts)))
        )
        return {phone for document in found if document for phone in document.get("dropped_phones", ())}

    async def lookup(self, accounts: Iterable[str], phones: Iterable[str]) -> DirectoryLookup:
        # One query per key, side by side: FerretDB 1.24 answers `$in` on `_id` with a scan of the
        # collection (seconds at a province's size), an equality with the index.
        wanted_phones = sorted(set(phones))
        entries = await asyncio.gather(*(self._phones.find_one({"_id": p}) for p in wanted_phones))
        # A number listed under more accounts than a household or firm has is a switchboard's: its first
        # accounts are enough to place the caller in the queue.
        linked = {e["_id"]: e.get("accounts", [])[:MAX_ACCOUNTS_PER_NUMBER] for e in entries if e is not None}
        wanted = sorted(set(accounts) | {account for listed in linked.values() for account in listed})
        documents = await asyncio.gather(*(self._customers.find_one({"_id": a}) for a in wanted))
        by_account = {d["_id"]: _profile(d) for d in documents if d is not None}
        by_phone = {
            phone: tuple(by_account[a] for a in listed if a in by_account and phone in by_account[a].phones)
            for phone, listed in linked.items()
        }
        return DirectoryLookup(by_account, by_phone)

    async def _link_all(self, phones: Iterable[str], account: str) -> None:
        # Side by side rather than one bulk write: FerretDB 1.24 answers a bulk upsert that collides
        # without the counts the driver reads (see OutboxRelay.publish_many).
        await gather_all([self._link(phone, account) for phone in phones])

    async def _link(self, phone: str, account: str) -> None:
        link = guarded({"$addToSet": {"accounts": account}})
        try:
            await retrying_stale(lambda: self._phones.update_one({"_id": phone}, link, upsert=True))
        except DuplicateKeyError:
            # Another account linked the same new number at the same moment; it exists now.
            await retrying_stale(lambda: self._phones.update_one({"_id": phone}, link))


def customer_document(profile: CustomerProfile) -> Document:
    """The stored fields of one account (the bench renders its million customers with it too)."""
    return {
        "name": profile.name,
        "phones": list(profile.phones),
        "kind": profile.kind.value,
        "address": profile.address,
        "monthly_spend": profile.monthly_spend,
        "customer_since": profile.customer_since.isoformat(),
        "credit_score": profile.credit_score,
        "red_list": profile.red_list,
        "blacklisted": profile.blacklisted,
        "updated_at": profile.updated_at,
    }


def _profile(document: Document) -> CustomerProfile:
    return CustomerProfile(
        account_number=document["_id"],
        name=document.get("name"),
        phones=tuple(document["phones"]),
        kind=CustomerKind(document["kind"]),
        address=document.get("address"),
        monthly_spend=document["monthly_spend"],
        customer_since=date.fromisoformat(document["customer_since"]),
        credit_score=document["credit_score"],
        red_list=document["red_list"],
        blacklisted=document["blacklisted"],
        updated_at=as_utc(document["updated_at"]),
    )
