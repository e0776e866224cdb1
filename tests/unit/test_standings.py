"""Intake announces where each number stands in the queue once billing's profile of an account is
taken: each number the account lists, each number it no longer lists (standing anew), and a number
several accounts share as the most favoured of them, so that voice routing serves callers as the
directory says."""

import pytest

from contracts.events import ANY_OTHER_NUMBER, CustomerProfileUpdatedV1, CustomerTier
from services.intake.standings import unknown_standing
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
