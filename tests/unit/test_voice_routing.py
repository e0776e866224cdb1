"""Voice routing decisions, as the operators' rules say (the table below reads as them): a call goes to
the group of the caller's home city, to the public group when that group has every agent busy, when the
number belongs outside the province or says no city, or the caller ID is withheld; at the queue position
the caller's standing gives. Occupancy is kept from the calls' own events: answered, transferred,
abandoned, after-call work ended."""

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import httpx
import pytest

from contracts.events import CallEventKind, CustomerStandingV1, CustomerTier, VoiceCallEventV1
from deploy.local.credentials import local_keys
from services.gateway.voice_routing.decisions import decide
from services.gateway.voice_routing.feeds import VoiceRouting
from services.gateway.voice_routing.occupancy import Occupancy
from services.gateway.voice_routing.standings import StandingTable
from services.gateway.voice_routing.table import Group, VoiceRoutingTable
from tests.fakes import RecordingPublisher
from tests.unit.test_gateway import app_with

T0 = datetime(2026, 12, 8, 9, 0, tzinfo=UTC)
TABLE = VoiceRoutingTable.for_province("gd")
GUANGZHOU, SHENZHEN, CHAOZHOU, BEIJING = (
    "+8613926012345",
    "+8613510000000",
    "+8613690000000",
    "+8613800138000",
)
VIP, HIGH, MID, BLACK = "+8613926000001", "+8613926000002", "+8613926000003", "+8613926000004"
CTI = {"Authorization": f"Bearer {local_keys()['gd.channel.voice']}"}


def standing(phone: str, tier: str, priority: int, red_list: bool = False, blacklisted: bool = False):
    return CustomerStandingV1(
        phone=phone,
        province="gd",
        tier=tier,
        red_list=red_list,
        blacklisted=blacklisted,
        priority=priority,
        as_of=T0,
    )


def standings() -> StandingTable:
    table = StandingTable()
    for event in (
        standing(VIP, "normal", 1, red_list=True),
        standing(HIGH, "high", 1),
        standing(MID, "mid", 2),
        standing(BLACK, "high", 9, blacklisted=True),
        standing("*", "normal", 3),
    ):
        table.announced(event)
    return table


def call(call_id: str, kind: CallEventKind, seconds: int = 0, **fields: str) -> VoiceCallEventV1:
    return VoiceCallEventV1(
        call_id=call_id,
        cti_event_id=f"{call_id}:{kind}:{seconds}",
        source="gd.channel.voice",
        province="gd",
        kind=kind,
        at=T0 + timedelta(seconds=seconds),
        received_at=T0 + timedelta(seconds=seconds),
        **fields,
    )


def busy(group_id: str, calls: int) -> Occupancy:
    occupancy = Occupancy()
    for n in range(calls):
        occupancy.heard(call(f"C{n}", CallEventKind.ANSWERED, group_id=group_id, agent_id=f"A{n}"))
    return occupancy


ROUTES = [
    # who calls,                              how busy,                       group,          priority, why
    ("a caller from Guangzhou", GUANGZHOU, Occupancy(), "gd-guangzhou", 3, "the caller's city, Guangzhou"),
    ("a caller from Shenzhen", SHENZHEN, Occupancy(), "gd-shenzhen", 3, "the caller's city, Shenzhen"),
    ("Guangzhou with all 30 agents busy", GUANGZHOU, busy("gd-guangzhou", 30), "gd-public", 3, "every agent"),
    (
        "Guangzhou with 29 of 30 busy",
        GUANGZHOU,
        busy("gd-guangzhou", 29),
        "gd-guangzhou",
        3,
        "the caller's city",
    ),
    ("a city with no group of its own", CHAOZHOU, Occupancy(), "gd-public", 3, "no group for Chaozhou"),
    ("a number from Beijing", BEIJING, Occupancy(), "gd-public", 3, "outside the province"),
    ("a withheld caller ID", None, Occupancy(), "gd-public", 3, "caller ID withheld"),
    ("a Guangzhou landline", "+862083331234", Occupancy(), "gd-guangzhou", 3, "the caller's city, Guangzhou"),
    ("a Shunde landline, Foshan's", "+8675722223333", Occupancy(), "gd-foshan", 3, "the caller's city"),
    ("a Beijing landline", "+861082345678", Occupancy(), "gd-public", 3, "outside the province"),
    ("a VIP", VIP, Occupancy(), "gd-guangzhou", 1, "the caller's city"),
    ("a high-tier customer", HIGH, Occupancy(), "gd-guangzhou", 1, "the caller's city"),
    ("a mid-tier customer", MID, Occupancy(), "gd-guangzhou", 2, "the caller's city"),
    ("a blacklisted customer", BLACK, Occupancy(), "gd-guangzhou", 9, "the caller's city"),
]


@pytest.mark.parametrize(
    ("who", "caller", "occupancy", "group", "priority", "why"), ROUTES, ids=[r[0] for r in ROUTES]
)
def test_the_routing_table(who, caller, occupancy, group, priority, why):
    decision = decide(caller, TABLE, occupancy, standings())
    assert (decision.group_id, decision.queue_priority) == (group, priority), who
    assert why in decision.reason


def test_a_full_city_group_overflows_and_says_so():
    decision = decide(GUANGZHOU, TABLE, busy("gd-guangzhou", 30), standings())
    assert decision.overflowed
    assert not decide(GUANGZHOU, TABLE, Occupancy(), standings()).overflowed


def test_only_a_mid_tier_caller_who_is_not_blacklisted_is_owed_a_callback():
    owed = {
        p: decide(p, TABLE, Occupancy(), standings()).callback_if_abandoned for p in (VIP, HIGH, MID, BLACK)
    }
    assert owed == {VIP: False, HIGH: False, MID: True, BLACK: False}


def test_a_province_without_a_table_sends_every_call_to_its_public_group():
    table = VoiceRoutingTable.for_province("xz")
    assert (table.public.group_id, table.cities) == ("xz-public", [])
    assert decide("+8613989000000", table, Occupancy(), standings()).group_id == "xz-public"


def test_a_table_naming_one_city_twice_is_refused():
    with pytest.raises(ValueError, match="two groups"):
        VoiceRoutingTable(
            province="gd",
            public=Group(group_id="p", agents=1),
            cities=[
                {"city": "Guangzhou", "group_id": "a", "agents": 1},
                {"city": "guangzhou", "group_id": "b", "agents": 1},
            ],
        )


def test_an_answered_call_counts_until_its_after_call_work_ends():
    occupancy = Occupancy()
    occupancy.heard(call("C1", CallEventKind.QUEUED, 0, queue_id="Q", group_id="gd-guangzhou"))
    assert occupancy.busy("gd-guangzhou") == 0  # waiting is not in hand
    occupancy.heard(call("C1", CallEventKind.ANSWERED, 5, group_id="gd-guangzhou", agent_id="A1"))
    occupancy.heard(call("C1", CallEventKind.ENDED, 200, agent_id="A1"))
    assert occupancy.busy("gd-guangzhou") == 1  # after-call work
    occupancy.heard(call("C1", CallEventKind.ACW_ENDED, 260, agent_id="A1"))
    assert occupancy.busy("gd-guangzhou") == 0


def test_an_abandoned_call_never_counts_and_a_transferred_one_moves():
    occupancy = Occupancy()
    occupancy.heard(call("C1", CallEventKind.QUEUED, 0, queue_id="Q", group_id="gd-guangzhou"))
    occupancy.heard(call("C1", CallEventKind.ABANDONED, 30))
    occupancy.heard(call("C2", CallEventKind.ANSWERED, 0, group_id="gd-guangzhou", agent_id="A1"))
    occupancy.heard(call("C2", CallEventKind.TRANSFERRED, 60, to_group_id="gd-public"))
    assert (occupancy.busy("gd-guangzhou"), occupancy.busy("gd-public")) == (0, 1)


def test_the_first_agents_after_call_work_after_a_transfer_does_not_end_the_call():
    occupancy = Occupancy()
    occupancy.heard(call("C1", CallEventKind.ANSWERED, 0, group_id="gd-guangzhou", agent_id="A1"))
    occupancy.heard(call("C1", CallEventKind.TRANSFERRED, 60, to_group_id="gd-shenzhen", to_agent_id="B1"))
    occupancy.heard(call("C1", CallEventKind.ACW_ENDED, 90, agent_id="A1"))
    assert occupancy.busy("gd-shenzhen") == 1  # B1 still talking
    occupancy.heard(call("C1", CallEventKind.ACW_ENDED, 400, agent_id="B1"))
    assert occupancy.busy("gd-shenzhen") == 0


def test_a_call_transferred_to_a_queue_is_in_no_groups_hands_until_answered_again():
    occupancy = Occupancy()
    occupancy.heard(call("C1", CallEventKind.ANSWERED, 0, group_id="gd-guangzhou", agent_id="A1"))
    occupancy.heard(call("C1", CallEventKind.TRANSFERRED, 60, to_queue_id="Q-experts"))
    assert occupancy.in_hand() == 0
    occupancy.heard(call("C1", CallEventKind.ANSWERED, 90, group_id="gd-public", agent_id="P1"))
    assert occupancy.busy("gd-public") == 1


async def test_a_fold_that_fails_keeps_every_announcement_readable(monkeypatch):
    table = standings()

    def broken(*_: object) -> None:
        raise MemoryError("no room to merge")

    monkeypatch.setattr("services.gateway.voice_routing.standings._merged", broken)
    with pytest.raises(MemoryError):
        await table.fold()
    assert (table.of(VIP).red_list, table.of(BLACK).priority) == (True, 9)


def test_a_number_that_is_not_e164_is_not_taken_as_one():
    table = standings()
    table.announced(standing("+86139²", "high", 1))
    table.announced(standing("+8613900000000000000000", "high", 1))
    assert table.of("+86139²") == table.unknown


def test_events_read_twice_count_once():
    occupancy = Occupancy()
    events = [
        call("C1", CallEventKind.ANSWERED, 0, group_id="gd-shenzhen", agent_id="A1"),
        call("C1", CallEventKind.ACW_ENDED, 90, agent_id="A1"),
        call("C2", CallEventKind.ANSWERED, 10, group_id="gd-shenzhen", agent_id="A2"),
    ]
    for event in events + events:
        occupancy.heard(event)
    assert occupancy.busy("gd-shenzhen") == 1


def test_a_call_whose_end_never_came_stops_counting_after_an_hour():
    occupancy = Occupancy()
    occupancy.heard(call("C1", CallEventKind.ANSWERED, 0, group_id="gd-foshan", agent_id="A1"))
    occupancy.heard(call("C2", CallEventKind.ANSWERED, 3700, group_id="gd-foshan", agent_id="A2"))
    assert occupancy.busy("gd-foshan") == 1


def test_a_calls_overflow_follows_its_groups_occupancy_from_the_events():
    occupancy = Occupancy()
    for n in range(30):
        occupancy.heard(call(f"C{n}", CallEventKind.ANSWERED, n, group_id="gd-guangzhou", agent_id=f"A{n}"))
    assert decide(GUANGZHOU, TABLE, occupancy, standings()).group_id == "gd-public"
    occupancy.heard(call("C7", CallEventKind.ACW_ENDED, 100, agent_id="A7"))
    assert decide(GUANGZHOU, TABLE, occupancy, standings()).group_id == "gd-guangzhou"


async def test_standings_folded_into_the_arrays_read_as_announced_and_newer_ones_win():
    table = standings()
    await table.fold()
    table.announced(standing(MID, "high", 1))
    assert table.of(MID).tier is CustomerTier.HIGH
    await table.fold()
    assert (table.of(MID).tier, table.of(VIP).red_list, table.of("+8613900000000").priority) == (
        CustomerTier.HIGH,
        True,
        3,
    )


async def test_the_cti_asks_and_is_told_the_group_and_position():
    routing = VoiceRouting(TABLE, standings=standings())
    app = app_with(RecordingPublisher(), voice=routing)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw") as client:
        answer = await client.post(
            "/v1/voice/routing-decisions",
            json={"call_id": f"CALL-{uuid4().hex[:8]}", "caller_number": "13926000001"},
            headers=CTI,
        )
        withheld = await client.post("/v1/voice/routing-decisions", json={"call_id": "CALL-2"}, headers=CTI)
        refused = await client.post(
            "/v1/voice/routing-decisions",
            json={"call_id": "CALL-3", "caller_number": 13926000001},
            headers=CTI,
        )
    assert answer.status_code == 200, answer.text
    decided = answer.json()
    assert (decided["group_id"], decided["queue_priority"]) == ("gd-guangzhou", 1)
    assert not {"tier", "red_list", "blacklisted"} & set(decided)  # where it goes, not the caller's lists
    assert (decided["home_city"], decided["home_province"]) == ("Guangzhou", "gd")
    assert withheld.json()["group_id"] == "gd-public"
    assert refused.status_code == 422


async def test_a_calls_offer_tells_the_bus_whether_the_caller_is_owed_a_callback_but_not_their_tier():
    publisher = RecordingPublisher()
    app = app_with(publisher, voice=VoiceRouting(TABLE, standings=standings()))
    offers = {"MID": MID, "HIGH": HIGH, "BLACK": BLACK, "UNKNOWN": "+8613926099999"}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw") as client:
        for name, number in offers.items():
            offer = {"event_id": f"E-{name}", "kind": "offered", "at": datetime.now(UTC).isoformat()}
            answer = await client.post(
                f"/v1/voice/calls/CALL-{name}-{uuid4().hex[:8]}/events",
                json=offer | {"caller_number": number},
                headers=CTI,
            )
            assert answer.status_code == 202, answer.text
    told = [e for e in publisher.published if isinstance(e, VoiceCallEventV1)]
    assert [e.callback_if_abandoned for e in told] == [True, False, False, False]
    assert [e.queue_priority for e in told] == [2, 1, 9, 3]
    assert not {"mid", "high", "normal"} & {str(v) for e in told for v in e.model_dump().values()}
