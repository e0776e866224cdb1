"""The customer directory as intake uses it: tiers by the rule table, the red list and the blacklist,
which profile a contact is about, and the standing every work order carries."""

import json
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path
from uuid import uuid4

import pytest

from contracts.events import ContactReceivedV1, CustomerProfileUpdatedV1, CustomerTier
from contracts.ids import work_order_id_for
from services.intake.domain.customers import CustomerProfile, DirectoryLookup, newest_per_account
from services.intake.domain.tiers import TierRules
from services.intake.domain.work_order import WorkOrder
from tests.fake_directory import InMemoryCustomerDirectory
from tests.fakes import FakeClock, InMemoryStore, envelope_of
from tests.unit.test_intake import a_contact, intake

RULES = TierRules.load()
TODAY = date(2026, 12, 2)
NOW = datetime(2026, 12, 2, 8, 0, tzinfo=UTC)


def a_profile(**changes: object) -> CustomerProfile:
    fields: dict[str, object] = {
        "account_number": f"44{uuid4().int % 10**10:010d}",
        "name": "李四",
        "phones": ("+8613926012345",),
        "kind": "resident",
        "address": "广州市天河区体育西路1号",
        "monthly_spend": 120.0,
        "customer_since": date(2020, 1, 1),
        "credit_score": 650,
        "red_list": False,
        "blacklisted": False,
        "updated_at": NOW,
    } | changes
    return CustomerProfile.from_event(CustomerProfileUpdatedV1(province="gd", **fields))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("spend", "since", "credit", "tier"),
    [
        (500.0, date(2020, 1, 1), 800, CustomerTier.HIGH),  # spends much, for years, pays well
        (500.0, date(2025, 6, 1), 800, CustomerTier.MID),  # spends much but is 18 months new
        (500.0, date(2020, 1, 1), 600, CustomerTier.MID),  # spends much, for years, credit only fair
        (120.0, date(2020, 1, 1), 650, CustomerTier.MID),
        (120.0, date(2026, 10, 1), 650, CustomerTier.NORMAL),  # two months old
        (60.0, date(2010, 1, 1), 900, CustomerTier.NORMAL),  # loyal and reliable but spends little
        (300.0, date(2024, 12, 2), 700, CustomerTier.HIGH),  # every minimum met exactly
        (300.0, date(2024, 12, 3), 700, CustomerTier.MID),  # one day short of 24 months
    ],
)
def test_a_customers_tier_follows_value_tenure_and_credit(spend, since, credit, tier):
    assert RULES.tier_of(spend, since, credit, TODAY) is tier


@pytest.mark.parametrize(
    ("tier", "red_list", "blacklisted", "priority"),
    [
        (CustomerTier.HIGH, False, False, 1),
        (CustomerTier.NORMAL, True, False, 1),  # a VIP is in the green channel whatever their tier
        (CustomerTier.MID, False, False, 2),
        (CustomerTier.NORMAL, False, False, 3),
        (CustomerTier.HIGH, False, True, 9),  # blacklisted customers always come last
        (CustomerTier.NORMAL, True, True, 9),  # even when red-listed too
    ],
)
def test_the_queue_priority_puts_vip_and_high_first_and_the_blacklist_last(
    tier, red_list, blacklisted, priority
):
    assert RULES.standing(tier, red_list=red_list, blacklisted=blacklisted).priority == priority


def test_a_caller_the_directory_does_not_know_is_served_as_a_normal_customer():
    assert (RULES.unknown().tier, RULES.unknown().priority) == (CustomerTier.NORMAL, 3)


def test_a_tier_table_with_problems_is_refused_with_every_problem_listed(tmp_path: Path):
    table = json.loads(Path("services/intake/tier_rules.json").read_text())
    table["tiers"] += [{"tier": "gold", "min_monthly_spend": -1}]
    table["priority"].pop("blacklisted")
    path = tmp_path / "tiers.json"
    path.write_text(json.dumps(table))
    with pytest.raises(ValueError, match=r"tiers\.json") as refused:
        TierRules.load(path)
    assert "tiers.2.tier" in str(refused.value)
    assert "tiers.2.min_monthly_spend" in str(refused.value)
    assert "priority.blacklisted" in str(refused.value)


def test_a_misspelt_key_in_the_tier_table_is_refused(tmp_path: Path):
    table = json.loads(Path("services/intake/tier_rules.json").read_text())
    table["priorities"] = table.pop("priority")
    path = tmp_path / "tiers.json"
    path.write_text(json.dumps(table))
    with pytest.raises(ValueError, match="priorities"):
        TierRules.load(path)


def test_a_tier_named_twice_is_refused(tmp_path: Path):
    table = json.loads(Path("services/intake/tier_rules.json").read_text())
    table["tiers"].append({"tier": "high", "min_monthly_spend": 1000})
    path = tmp_path / "tiers.json"
    path.write_text(json.dumps(table))
    with pytest.raises(ValueError, match="high named more than once"):
        TierRules.load(path)


def test_a_contact_naming_its_account_from_a_second_number_of_it_is_about_that_account():
    home, mobile = "+862081234567", "+8613926012345"
    named, other = a_profile(phones=(home, mobile)), a_profile()
    lookup = DirectoryLookup({named.account_number: named}, {mobile: (named, other)})
    match = lookup.match(named.account_number, mobile, RULES, TODAY)
    assert match is not None
    assert (match.profile, match.certain) == (named, True)


def test_naming_an_account_from_a_number_not_its_own_lends_the_contact_nothing_of_it():
    vip = a_profile(red_list=True, phones=("+8613926099999",))
    lookup = DirectoryLookup({vip.account_number: vip}, {})
    assert lookup.match(vip.account_number, "+8613926012345", RULES, TODAY) is None


def test_a_number_registered_to_one_account_names_that_account():
    profile = a_profile()
    match = DirectoryLookup({}, {"+8613926012345": (profile,)}).match(None, "+8613926012345", RULES, TODAY)
    assert match is not None
    assert (match.profile, match.certain) == (profile, True)


def test_a_number_shared_by_accounts_is_served_by_the_most_favoured_but_names_none_of_them():
    plain, vip = a_profile(monthly_spend=10.0), a_profile(red_list=True)
    lookup = DirectoryLookup({}, {"+8613926012345": (plain, vip)})
    match = lookup.match(None, "+8613926012345", RULES, TODAY)
    assert match is not None
    assert (match.profile, match.certain) == (vip, False)


def test_only_the_newest_of_an_accounts_updates_in_a_batch_is_kept():
    older = a_profile()
    newer = replace(older, monthly_spend=900.0, updated_at=NOW.replace(hour=9))
    assert newest_per_account([newer, older]) == [newer]


def contact_from(phone: str = "+8613926012345", **changes: object) -> ContactReceivedV1:
    return a_contact(**({"phone": phone, "customer_name": None} | changes))


async def opened(contact: ContactReceivedV1, *known: CustomerProfile) -> WorkOrder:
    store: InMemoryStore[WorkOrder] = InMemoryStore()
    await intake(store, FakeClock(NOW), *known).contacts_received([envelope_of(contact)])
    return store[work_order_id_for(contact.contact_id)]


async def test_a_known_callers_work_order_carries_their_tier_account_and_name():
    profile = a_profile(
        monthly_spend=800.0, customer_since=date(2015, 5, 1), credit_score=900, kind="business"
    )
    order = await opened(contact_from(), profile)
    assert (order.customer.tier, order.customer.priority, order.customer.kind) == ("high", 1, "business")
    assert (order.account_number, order.customer.name) == (profile.account_number, "李四")


async def test_a_number_shared_by_accounts_lends_the_queue_position_but_no_name_or_kind():
    household, shop = a_profile(name="李四"), a_profile(name="某某五金店", kind="business", red_list=True)
    order = await opened(contact_from(), household, shop)
    assert order.customer.priority == 1
    assert (order.account_number, order.customer.name, order.customer.kind) == (None, None, None)


async def test_a_claimed_account_from_a_strangers_number_gives_neither_its_name_nor_its_green_channel():
    vip = a_profile(red_list=True, name="王总", phones=("+8613926099999",))
    order = await opened(contact_from(account_number=vip.account_number), vip)
    assert (order.customer.name, order.customer.priority, order.customer.red_list) == (None, 3, False)


async def test_tenure_counts_by_the_day_it_is_in_china():
    # 1 December 2024 in China, still 30 November in UTC: 24 whole months on the Chinese calendar.
    profile = a_profile(monthly_spend=500.0, customer_since=date(2024, 12, 1), credit_score=800)
    store: InMemoryStore[WorkOrder] = InMemoryStore()
    contact = contact_from()
    clock = FakeClock(datetime(2026, 11, 30, 17, 0, tzinfo=UTC))
    await intake(store, clock, profile).contacts_received([envelope_of(contact)])
    assert store[work_order_id_for(contact.contact_id)].customer.tier == "high"


async def test_the_name_the_caller_gave_is_kept_over_the_directorys():
    order = await opened(contact_from(customer_name="王五"), a_profile())
    assert order.customer.name == "王五"


async def test_a_blacklisted_callers_work_order_sorts_last():
    order = await opened(contact_from(), a_profile(blacklisted=True, monthly_spend=999.0))
    assert (order.customer.blacklisted, order.customer.priority) == (True, 9)


async def test_an_unknown_callers_work_order_is_normal_with_the_home_region_from_the_number():
    order = await opened(contact_from("+8613800138000"), a_profile())
    assert (order.customer.tier, order.customer.priority, order.account_number) == ("normal", 3, None)
    assert order.customer.home_province == "bj"


async def test_a_sealed_reporter_is_never_tied_to_their_account():
    profile = a_profile(red_list=True)
    order = await opened(contact_from(anonymous=True, requested_type="report"), profile)
    assert (order.account_number, order.customer.name, order.customer.red_list) == (None, None, False)
    assert order.customer.priority == RULES.unknown().priority


async def test_a_profile_update_reaches_the_directory_and_an_older_one_changes_nothing():
    directory = InMemoryCustomerDirectory()
    handlers = intake(InMemoryStore(), directory=directory)
    newer = a_profile(monthly_spend=900.0, updated_at=NOW.replace(hour=10, microsecond=123456))
    event = CustomerProfileUpdatedV1(
        province="gd", **{**vars(newer), "phones": list(newer.phones), "updated_at": newer.updated_at}
    )
    older = event.model_copy(update={"monthly_spend": 1.0, "updated_at": NOW})
    await handlers.customer_profiles_updated([envelope_of(event)])
    await handlers.customer_profiles_updated([envelope_of(older)])
    kept = directory.accounts[newer.account_number]
    assert kept.monthly_spend == 900.0
    assert kept.updated_at.microsecond == 123000, "the store's precision: finer would let an older one win"
