"""The customer directory's entries (billing's profiles) and which one a contact is about."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime

from contracts.events import CustomerKind, CustomerProfileUpdatedV1
from services.intake.domain.tiers import Standing, TierRules


@dataclass(frozen=True)
class CustomerProfile:
    account_number: str
    name: str | None
    phones: tuple[str, ...]
    kind: CustomerKind
    address: str | None
    monthly_spend: float
    customer_since: date
    credit_score: int
    red_list: bool
    blacklisted: bool
    updated_at: datetime

    @classmethod
    def from_event(cls, event: CustomerProfileUpdatedV1) -> "CustomerProfile":
        return cls(
            account_number=event.account_number,
            name=event.name,
            phones=tuple(dict.fromkeys(event.phones)),
            kind=event.kind,
            address=event.address,
            monthly_spend=event.monthly_spend,
            customer_since=event.customer_since,
            credit_score=event.credit_score,
            red_list=event.red_list,
            blacklisted=event.blacklisted,
            # The store keeps milliseconds: comparing finer times would let an older update win.
            updated_at=to_milliseconds(event.updated_at),
        )

    def standing(self, rules: TierRules, today: date) -> Standing:
        tier = rules.tier_of(self.monthly_spend, self.customer_since, self.credit_score, today)
        return rules.standing(tier, red_list=self.red_list, blacklisted=self.blacklisted)


def to_milliseconds(moment: datetime) -> datetime:
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def newest_per_account(profiles: Iterable[CustomerProfile]) -> list[CustomerProfile]:
    """Of several updates of one account in a batch only the newest needs storing."""
    newest: dict[str, CustomerProfile] = {}
    for profile in profiles:
        kept = newest.get(profile.account_number)
        if kept is None or profile.updated_at > kept.updated_at:
            newest[profile.account_number] = profile
    return list(newest.values())


@dataclass(frozen=True)
class Match:
    """The directory's answer for one contact: the profile whose standing counts, and whether the
    account is certain (named by the contact, or the only one the number is registered to)."""

    profile: CustomerProfile
    certain: bool


@dataclass(frozen=True)
class DirectoryLookup:
    """What the directory holds of a batch's account numbers and phones."""

    by_account: Mapping[str, CustomerProfile]
    by_phone: Mapping[str, tuple[CustomerProfile, ...]]

    def match(self, account_number: str | None, phone: str, rules: TierRules, today: date) -> Match | None:
        named = self.by_account.get(account_number) if account_number else None
        # Naming an account proves nothing by itself (a web form takes any number): it counts only when
        # the contact comes from one of the account's own numbers.
        if named is not None and phone in named.phones:
            return Match(named, certain=True)
        registered = self.by_phone.get(phone, ())
        if len(registered) == 1:
            return Match(registered[0], certain=True)
        if not registered:
            return None
        # A number shared by several accounts: which account the contact is about is for the agent to
        # ask, but the queue serves the caller by the most favoured of them.
        best = min(registered, key=lambda profile: profile.standing(rules, today).priority)
        return Match(best, certain=False)


EMPTY_LOOKUP = DirectoryLookup({}, {})
