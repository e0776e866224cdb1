from datetime import UTC, datetime, timedelta

import pytest

from plumbing.consumer import Rejected
from services.dispatch.domain.dispatch import Dispatch
from services.dispatch.domain.lifecycle import IllegalStep, State
from services.dispatch.domain.steps import record_reply, supervise
from tests.fake_dispatch import ROUTING, RULES, a_reply, a_request, a_work_order, dispatch_service, opened
from tests.fakes import FakeClock, InMemoryStore, envelope_of


def dispatcher(store: InMemoryStore[Dispatch], clock: FakeClock | None = None):
    return dispatch_service(store, clock).handlers


def test_a_work_order_is_overdue_while_a_live_clock_is_past_its_deadline_and_never_once_closed():
    now = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
    order = a_work_order()
    dispatch, dispatched = opened(order, now)
    assert dispatched.reply_due_at == now + timedelta(hours=24)  # the repair's completion
    assert not dispatch.overdue(now + timedelta(hours=2))  # no area: the longest arrival, 2 h
    assert dispatch.overdue(now + timedelta(hours=2, seconds=1))
    later = now + timedelta(hours=3)
    record_reply(dispatch, a_reply(order, replied_at=later), later, RULES)
    assert [clock.stage for clock in dispatch.live_clocks()] == ["customer_reply"]
    supervise(dispatch, a_request(order, "close", reason="已电话回复客户"), ROUTING, later, RULES)
    assert dispatch.live_clocks() == []
    assert not dispatch.overdue(now + timedelta(days=30))


async def test_a_new_work_order_goes_to_its_departments_topic_and_the_progress_topic():
    store: InMemoryStore[Dispatch] = InMemoryStore()
    order = a_work_order()
    await dispatcher(store).work_orders_created([envelope_of(order)])
    (dept_topic, to_department), (progress_topic, to_progress) = store.bus.published
    assert (dept_topic, progress_topic) == ("gd.dispatch.repair", "gd.dispatch.progress")
    assert to_department.id == to_progress.id
    assert to_department.data.department == "repair"
    assert to_department.data.reply_due_at > to_department.data.dispatched_at


async def test_a_redelivered_work_order_is_dispatched_once():
    store: InMemoryStore[Dispatch] = InMemoryStore()
    delivery = envelope_of(a_work_order())
    await dispatcher(store).work_orders_created([delivery])
    await dispatcher(store).work_orders_created([delivery])
    assert len(store) == 1
    assert [topic for topic, _ in store.bus.published] == ["gd.dispatch.repair", "gd.dispatch.progress"]


async def test_a_final_reply_closes_the_dispatch_and_is_announced_on_time():
    store: InMemoryStore[Dispatch] = InMemoryStore()
    order = a_work_order()
    service = dispatcher(store)
    await service.work_orders_created([envelope_of(order)])
    await service.departments_replied([envelope_of(a_reply(order))])
    stored = store[order.work_order_id]
    assert stored.state is State.RESOLVED
    assert [entry.action for entry in stored.history] == ["dispatched", "final_reply"]
    _, replied = store.bus.published[-1]
    assert replied.data.kind == "final"
    assert replied.data.on_time


async def test_a_redelivered_reply_is_recorded_once_and_announced_once():
    store: InMemoryStore[Dispatch] = InMemoryStore()
    order = a_work_order()
    service = dispatcher(store)
    await service.work_orders_created([envelope_of(order)])
    delivery = envelope_of(a_reply(order, kind="interim", message="抢修队已出发"))
    await service.departments_replied([delivery])
    await service.departments_replied([delivery])
    assert len(store[order.work_order_id].history) == 2
    assert len(store.bus.on("gd.dispatch.progress")) == 2  # dispatched, then the one interim reply


async def test_a_retried_reply_with_a_new_event_id_is_recorded_once_by_its_reply_id():
    store: InMemoryStore[Dispatch] = InMemoryStore()
    order = a_work_order()
    service = dispatcher(store)
    await service.work_orders_created([envelope_of(order)])
    final = a_reply(order)
    await service.departments_replied([envelope_of(final)])
    await service.departments_replied([envelope_of(final)])  # a second CloudEvent of the same reply
    assert [entry.action for entry in store[order.work_order_id].history] == ["dispatched", "final_reply"]
    assert len(store.bus.on("gd.dispatch.progress")) == 2


async def test_a_reply_to_an_unknown_dispatch_is_rejected():
    with pytest.raises(Rejected, match=r"no work order .* at dispatch"):
        await dispatcher(InMemoryStore()).departments_replied([envelope_of(a_reply(a_work_order()))])


async def test_a_reply_from_another_department_is_rejected():
    store: InMemoryStore[Dispatch] = InMemoryStore()
    order = a_work_order()
    service = dispatcher(store)
    await service.work_orders_created([envelope_of(order)])
    with pytest.raises(Rejected, match="billing acted on a dispatch sent to repair"):
        await service.departments_replied([envelope_of(a_reply(order, department="billing"))])


async def test_another_reply_after_the_final_one_is_rejected():
    store: InMemoryStore[Dispatch] = InMemoryStore()
    order = a_work_order()
    service = dispatcher(store)
    await service.work_orders_created([envelope_of(order)])
    await service.departments_replied([envelope_of(a_reply(order))])
    with pytest.raises(IllegalStep, match="is resolved: final_reply is taken only when"):
        await service.departments_replied([envelope_of(a_reply(order))])
    assert len(store.bus.on("gd.dispatch.progress")) == 2
