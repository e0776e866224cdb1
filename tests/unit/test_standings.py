"""Intake announces where each number stands in the queue once billing's profile of an account is
taken: each number the account lists, each number it no longer lists (standing anew), and a number
several accounts share as the most favoured of them, so that voice routing serves callers as the
directory says."""

from datetime import UTC, date, datetime

import pytest

from contracts.events import ANY_OTHER_NUMBER, CustomerProfileUpdatedV1, CustomerTier
from services.intake.standings import seconds_until_refresh, unknown_standing
from tests.fake_directory import InMemoryCustomerDirectory
from tests.fakes import FakeClock, InMemoryStore, RecordingStandings, envelope_of
from tests.unit.test_customer_tiers import NOW, RULES, a_profile
from tests.unit.test_intake import intake


def profile_event(**changes: object) -> CustomerProfileUpdatedV1:
    profile = a_profile(**changes)
    fields = {
        name: getattr(profile, name)
        for name in CustomerProfileUpdatedV1.model_fields
        if hasattr(profile, name)
    }
    return CustomerProfileUpdatedV1(**fields | {"province": "gd"})


class Directory:
    def __init__(self) -> None:
        self.standings = RecordingStandings()
        self.intake = intake(
            InMemoryStore(), FakeClock(NOW), directory=InMemoryCustomerDirectory(), standings=self.standings
        )

    async def take(self, *profiles: CustomerProfileUpdatedV1) -> None:
        await self.intake.customer_profiles_updated([envelope_of(p) for p in profiles])


async def test_each_number_of_a_profile_is_announced_with_its_standing():
    directory = Directory()
    await directory.take(
        profile_event(phones=("+8613926012345", "+8613926012346"), monthly_spend=500.0, credit_score=800)
    )
    latest = directory.standings.latest()
    assert set(latest) == {"+8613926012345", "+8613926012346"}
    assert {(s.tier, s.priority) for s in latest.values()} == {(CustomerTier.HIGH, 1)}


async def test_a_red_listed_customer_stands_first_and_a_blacklisted_one_last():
    directory = Directory()
    await directory.take(
        profile_event(phones=("+8613900000001",), red_list=True, monthly_spend=10.0),
        profile_event(phones=("+8613900000002",), blacklisted=True, monthly_spend=500.0, credit_score=800),
    )
    latest = directory.standings.latest()
    assert (latest["+8613900000001"].red_list, latest["+8613900000001"].priority) == (True, 1)
    assert (latest["+8613900000002"].blacklisted, latest["+8613900000002"].priority) == (True, 9)


async def test_a_number_the_account_no_longer_lists_stands_as_an_unknown_callers():
    directory = Directory()
    first = profile_event(phones=("+8613911111111", "+8613922222222"), monthly_spend=500.0, credit_score=800)
    await directory.take(first)
    later = first.model_copy(
        update={"phones": ["+8613911111111"], "updated_at": first.updated_at.replace(hour=9)}
    )
    await directory.take(later)
    dropped = directory.standings.latest()["+8613922222222"]
    assert (dropped.tier, dropped.priority) == (RULES.unknown().tier, RULES.unknown().priority)


async def test_a_shared_number_stands_as_the_most_favoured_of_its_accounts():
    directory = Directory()
    await directory.take(
        profile_event(phones=("+8613933333333",), monthly_spend=10.0),
        profile_event(phones=("+8613933333333",), monthly_spend=500.0, credit_score=800),
    )
    assert directory.standings.latest()["+8613933333333"].priority == 1


async def test_a_profile_delivered_again_is_announced_again_as_the_directory_is():
    directory = Directory()
    event = profile_event(phones=("+8613944444444",), red_list=True)
    await directory.take(event)
    await directory.take(event)
    assert [s.phone for s in directory.standings.announced] == ["+8613944444444"] * 2
    assert directory.standings.announced[0].priority == directory.standings.announced[1].priority


def test_a_number_the_directory_does_not_know_is_announced_as_any_other_number():
    standing = unknown_standing(RULES, "gd", NOW)
    assert (standing.phone, standing.priority) == (ANY_OTHER_NUMBER, RULES.unknown().priority)


class FailingOnce(RecordingStandings):
    def __init__(self) -> None:
        super().__init__()
        self.fail = True

    async def announce(self, standings) -> None:  # type: ignore[no-untyped-def]
        if self.fail:
            self.fail = False
            raise ConnectionError("the bus is down")
        await super().announce(standings)


async def test_a_dropped_number_is_announced_when_the_profile_comes_again_after_a_failed_announcement():
    standings = FailingOnce()
    directory = InMemoryCustomerDirectory()
    taking = intake(InMemoryStore(), FakeClock(NOW), directory=directory, standings=standings)
    first = profile_event(phones=("+8613955555551", "+8613955555552"), red_list=True)
    standings.fail = False
    await taking.customer_profiles_updated([envelope_of(first)])
    standings.fail = True
    later = first.model_copy(
        update={"phones": ["+8613955555551"], "updated_at": first.updated_at.replace(hour=9)}
    )
    with pytest.raises(ConnectionError):
        await taking.customer_profiles_updated([envelope_of(later)])
    await taking.customer_profiles_updated([envelope_of(later)])  # redelivered
    dropped = standings.latest()["+8613955555552"]
    assert (dropped.red_list, dropped.priority) == (False, RULES.unknown().priority)


async def test_every_number_stored_before_standings_were_announced_stands_right_after_the_daily_refresh():
    stored = [
        a_profile(phones=(f"+861392601{n:04d}",), monthly_spend=500.0, credit_score=800) for n in range(7)
    ]
    standings = RecordingStandings()
    taking = intake(
        InMemoryStore(), FakeClock(NOW), directory=InMemoryCustomerDirectory(*stored), standings=standings
    )
    assert await taking.standings_refreshed(page=3) == 7
    latest = standings.latest()
    assert set(latest) == {phone for profile in stored for phone in profile.phones}
    assert {standing.tier for standing in latest.values()} == {CustomerTier.HIGH}


async def test_one_replica_refreshes_a_day_and_the_next_day_is_refreshed_again():
    directory, clock = InMemoryCustomerDirectory(a_profile()), FakeClock(NOW)
    first = intake(InMemoryStore(), clock, directory=directory, standings=RecordingStandings())
    second = intake(InMemoryStore(), clock, directory=directory, standings=RecordingStandings())
    assert await first.standings_refreshed() == 1
    assert await second.standings_refreshed() is None
    clock.advance(days=1)
    assert await second.standings_refreshed() == 1


async def test_a_customer_whose_tenure_alone_makes_them_mid_tier_stands_mid_from_the_next_refresh():
    phone = "+8613926077777"
    # A customer since 3 June: five whole months on 2 December, six a month on.
    newcomer = a_profile(phones=(phone,), customer_since=date(2026, 6, 3), monthly_spend=120.0)
    directory, clock, standings = InMemoryCustomerDirectory(newcomer), FakeClock(NOW), RecordingStandings()
    taking = intake(InMemoryStore(), clock, directory=directory, standings=standings)
    await taking.standings_refreshed()
    before = standings.latest()[phone].tier
    clock.advance(days=31)
    await taking.standings_refreshed()
    assert (before, standings.latest()[phone].tier) == (CustomerTier.NORMAL, CustomerTier.MID)


@pytest.mark.parametrize(
    ("now", "seconds"),
    [
        (datetime(2026, 12, 7, 18, 59, tzinfo=UTC), 60),  # 02:59 in China
        (datetime(2026, 12, 7, 19, 0, tzinfo=UTC), 24 * 3600),  # 03:00: the next day's
        (datetime(2026, 12, 8, 4, 0, tzinfo=UTC), 15 * 3600),  # noon in China
    ],
)
def test_the_refresh_runs_at_three_in_the_morning_china_time(now, seconds):
    assert seconds_until_refresh(now) == seconds
