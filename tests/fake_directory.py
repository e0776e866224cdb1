"""Intake's customer directory in memory for the unit tests (the real one is in customer_store.py)."""

from collections.abc import AsyncIterator, Iterable
from datetime import date

from services.intake.domain.customers import CustomerProfile, DirectoryLookup


class InMemoryCustomerDirectory:
    """Intake's directory as a dict of accounts; numbers are found by scanning them (a handful here)."""

    def __init__(self, *profiles: CustomerProfile) -> None:
        self.accounts = {profile.account_number: profile for profile in profiles}
        self.dropped: dict[str, set[str]] = {}
        self.refreshed: set[date] = set()

    async def every_number(self, page: int) -> AsyncIterator[list[str]]:
        numbers = sorted({phone for profile in self.accounts.values() for phone in profile.phones})
        numbers += sorted({phone for dropped in self.dropped.values() for phone in dropped} - set(numbers))
        for start in range(0, len(numbers), page):
            yield numbers[start : start + page]

    async def claim_refresh(self, day: date) -> bool:
        claimed = day not in self.refreshed
        self.refreshed.add(day)
        return claimed

    async def update(self, profile: CustomerProfile) -> bool:
        stored = self.accounts.get(profile.account_number)
        if stored is not None and stored.updated_at >= profile.updated_at:
            return False
        if stored is not None:
            self.dropped[profile.account_number] = set(stored.phones) - set(profile.phones)
        self.accounts[profile.account_number] = profile
        return True

    async def dropped_phones(self, accounts: Iterable[str]) -> set[str]:
        return {phone for account in accounts for phone in self.dropped.get(account, set())}

    async def lookup(self, accounts: Iterable[str], phones: Iterable[str]) -> DirectoryLookup:
        wanted = set(phones)
        by_phone = {phone: tuple(p for p in self.accounts.values() if phone in p.phones) for phone in wanted}
        by_account = {a: self.accounts[a] for a in set(accounts) if a in self.accounts}
        for profiles in by_phone.values():
            by_account |= {p.account_number: p for p in profiles}
        return DirectoryLookup(by_account, {phone: found for phone, found in by_phone.items() if found})
