from dataclasses import dataclass
from typing import ClassVar

import pytest

from contracts.events import EVENTS_BY_TYPE, Event
from plumbing.repository import ConcurrentChange, NotTracked
from plumbing.unit_of_work import UnitOfWork
from tests.fakes import FakeBus, InMemoryRepository, InMemoryStore

SOURCE = "/hotline/province/gd/test"


class Counted(Event):
    ce_type: ClassVar[str] = "hotline.test.counted.v1"
    counter_id: str
    value: int

    def subject(self) -> str:
        return self.counter_id


@dataclass
class Counter:
    id: str
    value: int = 0
    version: int = 0

    def increment(self) -> Counted:
        self.value += 1
        return Counted(counter_id=self.id, value=self.value)


def a_store() -> InMemoryStore["Counter"]:
    return InMemoryStore(bus=FakeBus(EVENTS_BY_TYPE | {Counted.ce_type: Counted}))


def unit(store: InMemoryStore[Counter]) -> tuple[UnitOfWork, InMemoryRepository[Counter]]:
    repository = InMemoryRepository(store)
    return UnitOfWork(SOURCE, [repository]), repository


async def add(store: InMemoryStore[Counter], counter: Counter) -> None:
    uow, counters = unit(store)
    async with uow:
        counters.add(counter)
        uow.publish(counter.increment(), "gd.counters", counter)


async def test_a_change_is_stored_at_the_next_version_and_its_event_published_after():
    store = a_store()
    await add(store, Counter("c1"))
    uow, counters = unit(store)
    async with uow:
        counter = await counters.get("c1")
        assert counter is not None
        uow.publish(counter.increment(), "gd.counters", counter)
    assert (store["c1"].value, store["c1"].version, counter.version) == (2, 2, 2)
    assert [envelope.data.value for _, envelope in store.bus.published] == [1, 2]


async def test_an_error_inside_the_block_stores_and_publishes_nothing():
    store = a_store()

    async def failing_handler() -> None:
        uow, counters = unit(store)
        async with uow:
            counter = Counter("c1")
            counters.add(counter)
            uow.publish(counter.increment(), "gd.counters", counter)
            raise RuntimeError("handler bug")

    with pytest.raises(RuntimeError):
        await failing_handler()
    assert (len(store), store.bus.published) == (0, [])


async def test_a_write_over_someone_elses_change_is_refused_and_leaves_the_version_as_loaded():
    store = a_store()
    await add(store, Counter("c1"))
    mine_uow, mine = unit(store)
    theirs_uow, theirs = unit(store)
    mine_counter, their_counter = await mine.get("c1"), await theirs.get("c1")
    assert mine_counter is not None
    assert their_counter is not None
    async with theirs_uow:
        theirs_uow.publish(their_counter.increment(), "gd.counters", their_counter)
    with pytest.raises(ConcurrentChange):
        async with mine_uow:
            mine_uow.publish(mine_counter.increment(), "gd.counters", mine_counter)
    assert (mine_counter.version, store["c1"].version, store["c1"].value) == (1, 2, 2)


async def test_an_add_that_finds_its_id_stored_publishes_what_the_first_left_pending_and_nothing_new():
    store = a_store()
    store.bus.down = True
    with pytest.raises(ConnectionError):
        await add(store, Counter("c1"))  # stored, then the bus failed: its event is still pending
    store.bus.down = False
    redelivered = Counter("c1")
    await add(store, redelivered)
    [(_, published)] = store.bus.published
    assert published.data.value == 1
    assert redelivered.version == 0, "the losing copy is not the stored one"
    uow, counters = unit(store)
    with pytest.raises(ConcurrentChange):
        async with uow:
            counters.save(redelivered)


async def test_loading_an_aggregate_publishes_what_a_crash_left_pending_in_it():
    store = a_store()
    store.bus.down = True
    with pytest.raises(ConnectionError):
        await add(store, Counter("c1"))
    store.bus.down = False
    uow, counters = unit(store)
    async with uow:
        await counters.get("c1")
    assert len(store.bus.published) == 1
    async with uow:
        await counters.get("c1")
    assert len(store.bus.published) == 1, "published once, then gone from the document"


async def test_events_are_staged_only_for_aggregates_the_unit_of_work_holds():
    uow, counters = unit(a_store())
    with pytest.raises(NotTracked):
        uow.publish(Counted(counter_id="x", value=1), "gd.counters", Counter("x"))
    counters.add(Counter("c1"))
    with pytest.raises(ValueError, match="already in this unit of work"):
        counters.add(Counter("c1"))
