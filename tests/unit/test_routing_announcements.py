"""Dispatch tells the gateway which departments its routing table names: at start, once an edit is taken,
and again every hour; an unchanged table is not announced again meanwhile. A table naming one of
dispatch's own topics as a department is refused."""

import pytest

from contracts.events import Event, RoutingTableInForceV1
from services.dispatch.domain.routing import RuleTable
from services.dispatch.routing_announcer import RoutingAnnouncer
from tests.fakes import FakeClock


def table(*departments: str) -> RuleTable:
    rules = [{"type": "fault_repair", "department": d, "areas": [f"area-{d}"]} for d in departments]
    return RuleTable.model_validate({"rules": rules, "default": {"department": "business"}})


class Announced:
    def __init__(self) -> None:
        self.events: list[tuple[RoutingTableInForceV1, str]] = []

    async def __call__(self, event: Event, topic: str) -> None:
        assert isinstance(event, RoutingTableInForceV1)
        self.events.append((event, topic))


async def test_dispatch_announces_its_departments_at_start_and_again_only_once_the_table_is_edited():
    in_force, announced, clock = [table("repair-tianhe", "repair-sz")], Announced(), FakeClock()
    announcer = RoutingAnnouncer(lambda: in_force[0], announced, "gd.routing", "gd", clock)
    assert await announcer.announce_if_due()
    assert not await announcer.announce_if_due()
    clock.advance(minutes=5)
    in_force[0] = table("repair-tianhe", "repair-county")
    assert await announcer.announce_if_due()
    (first, topic), (edited, _) = announced.events
    assert topic == "gd.routing"
    assert first.departments == ["business", "repair-sz", "repair-tianhe"]
    assert edited.departments == ["business", "repair-county", "repair-tianhe"]
    assert (edited.province, edited.default_department) == ("gd", "business")
    assert edited.loaded_at > first.loaded_at
    assert edited.digest != first.digest


async def test_an_unchanged_table_is_announced_again_after_the_hour():
    announced = Announced()
    rules = table("repair-tianhe")
    announcer = RoutingAnnouncer(lambda: rules, announced, "gd.routing", "gd", FakeClock(), again_every=0.0)
    assert await announcer.announce_if_due()
    assert await announcer.announce_if_due()
    first, again = (event for event, _ in announced.events)
    assert first == again


def test_the_same_table_read_twice_has_the_same_digest():
    assert table("repair-tianhe").digest == table("repair-tianhe").digest


@pytest.mark.parametrize("reserved", ["progress", "replies"])
def test_a_department_named_as_one_of_dispatchs_own_topics_is_refused(reserved: str):
    with pytest.raises(ValueError, match=f"'{reserved}' names one of dispatch's own topics"):
        table(reserved)
