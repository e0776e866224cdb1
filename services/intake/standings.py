"""Intake's announcements of where each number stands in the queue, for whoever routes calls: after
billing's profile of an account is taken, the standing of each of its numbers (and of numbers it no
longer lists) as the directory now makes it; at start, the standing of a number it does not know.

Every number's standing is announced again daily, at 03:00 China time (and by the first replica to start
on a day that has had none): numbers stored before standings were announced stand as the directory has
them within a day, and so do tiers that tenure alone moves.

Each announcement states the directory as it is, so announcing again is harmless: a profile
redelivered (its first delivery stored, its announcement lost to a crash) is announced again, whether or
not it was stored this time."""

from collections.abc import Iterable, Sequence
from datetime import datetime, time, timedelta
from typing import Protocol

from contracts.events import ANY_OTHER_NUMBER, CustomerStandingV1
from services.common.working_days import CHINA_TIME
from services.intake.domain.customers import DirectoryLookup
from services.intake.domain.rules import china_date
from services.intake.domain.tiers import Standing, TierRules


class StandingsAnnouncer(Protocol):
    async def announce(self, standings: Sequence[CustomerStandingV1]) -> None:
        """On the standings topic, keyed by number; returns once the bus has them all."""
        ...


def standing_event(phone: str, standing: Standing, province: str, now: datetime) -> CustomerStandingV1:
    return CustomerStandingV1(
        phone=phone,
        province=province,
        tier=standing.tier,
        red_list=standing.red_list,
        blacklisted=standing.blacklisted,
        priority=standing.priority,
        as_of=now,
    )


def standings_of(
    phones: Iterable[str], found: DirectoryLookup, rules: TierRules, province: str, now: datetime
) -> list[CustomerStandingV1]:
    """Each number's standing as the directory holds it: a number several accounts share stands as the
    most favoured of them (as its callers queue); one no account lists any more as an unknown caller."""
    today = china_date(now)
    events = []
    for phone in sorted(set(phones)):
        match = found.match(None, phone, rules, today)
        standing = match.profile.standing(rules, today) if match else rules.unknown()
        events.append(standing_event(phone, standing, province, now))
    return events


def unknown_standing(rules: TierRules, province: str, now: datetime) -> CustomerStandingV1:
    return standing_event(ANY_OTHER_NUMBER, rules.unknown(), province, now)


REFRESH_AT = time(3, 0)  # China time: the quietest hour of a hotline's day


def seconds_until_refresh(now: datetime) -> float:
    """Until the next 03:00 in China (the refresh of every standing)."""
    local = now.astimezone(CHINA_TIME)
    next_at = datetime.combine(local.date(), REFRESH_AT, CHINA_TIME)
    if next_at <= local:
        next_at += timedelta(days=1)
    return (next_at - local).total_seconds()
