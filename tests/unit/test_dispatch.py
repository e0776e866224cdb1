from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from contracts.events import Customer, DepartmentRepliedV1, WorkOrderCreatedV1
from contracts.ids import dispatch_id_for
from plumbing.consumer import Rejected
from services.common.deadlines import Deadline
from services.common.working_days import CHINA_TIME
from services.dispatch.bootstrap import bootstrap
from services.dispatch.domain.dispatch import Dispatch, DispatchStatus, ReplyAfterFinal
from services.dispatch.domain.routing import RuleTable
from services.dispatch.handlers import DispatchHandlers
from services.dispatch.ports import DispatchUnit
from services.dispatch.settings import DispatchSettings
from tests.fakes import UNIT_SETTINGS, FakeClock, InMemoryRepository, InMemoryStore, envelope_of, source_of


def a_work_order(type_: str = "fault_repair") -> WorkOrderCreatedV1:
    return WorkOrderCreatedV1(
        work_order_id=f"WO-{uuid4().hex[:12]}",
        contact_id=f"C-{uuid4().hex}",
        province="gd",
        type=type_,
        channel="web",
        created_at=datetime.now(UTC),
        customer=Customer(
            name="李四", phone="+8613926012345", home_region="Guangzhou, Guangdong", home_province="gd"
        ),
        address="天河路1号",
        description="停电",
    )


def a_reply(order: WorkOrderCreatedV1, **changes) -> DepartmentRepliedV1:
    fields = {
        "reply_id": f"R-{uuid4().hex}",
        "work_order_id": order.work_order_id,
        "dispatch_id": dispatch_id_for(order.work_order_id),
        "department": "repair",
        "kind": "final",
        "message": "线路已修复",
        "replied_at": FakeClock().now + timedelta(minutes=30),
    } | changes
    return DepartmentRepliedV1.model_validate(fields)


def dispatcher(store: InMemoryStore[Dispatch], clock: FakeClock | None = None) -> DispatchHandlers:
    def unit() -> DispatchUnit:
        return DispatchUnit(source_of("dispatch"), InMemoryRepository(store))

    return bootstrap(DispatchSettings(**UNIT_SETTINGS), unit=unit, clock=clock or FakeClock()).handlers


def test_a_working_day_deadline_skips_the_national_day_holiday():
    dispatched = datetime(2026, 9, 30, 10, 0, tzinfo=CHINA_TIME)
    assert Deadline(working_days=2).due(dispatched) == datetime(2026, 10, 9, 10, 0, tzinfo=CHINA_TIME)


def test_a_swapped_working_weekend_counts_as_a_working_day():
    friday = datetime(2026, 10, 9, 10, 0, tzinfo=CHINA_TIME)
    assert Deadline(working_days=1).due(friday) == datetime(2026, 10, 10, 10, 0, tzinfo=CHINA_TIME)


def test_a_rule_must_give_hours_or_working_days():
    with pytest.raises(ValueError, match="exactly one"):
        Deadline(hours=2, working_days=1)


def test_an_open_dispatch_is_overdue_once_its_reply_deadline_passes_and_a_closed_one_never():
    now = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
    order = a_work_order()
    dispatch, dispatched = Dispatch.open(order, RuleTable.load().route(order), now)
    assert dispatched.reply_due_at == now + timedelta(hours=2)
    assert not dispatch.overdue(now + timedelta(hours=2))
    assert dispatch.overdue(now + timedelta(hours=2, seconds=1))
    dispatch.record_reply(a_reply(order, replied_at=now + timedelta(hours=3)), now + timedelta(hours=3))
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
    assert stored.status is DispatchStatus.CLOSED
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
    with pytest.raises(Rejected, match="no dispatch"):
        await dispatcher(InMemoryStore()).departments_replied([envelope_of(a_reply(a_work_order()))])


async def test_a_reply_from_another_department_is_rejected():
    store: InMemoryStore[Dispatch] = InMemoryStore()
    order = a_work_order()
    service = dispatcher(store)
    await service.work_orders_created([envelope_of(order)])
    with pytest.raises(Rejected, match="billing replied to a dispatch sent to repair"):
        await service.departments_replied([envelope_of(a_reply(order, department="billing"))])


async def test_another_reply_after_the_final_one_is_rejected():
    store: InMemoryStore[Dispatch] = InMemoryStore()
    order = a_work_order()
    service = dispatcher(store)
    await service.work_orders_created([envelope_of(order)])
    await service.departments_replied([envelope_of(a_reply(order))])
    with pytest.raises(ReplyAfterFinal, match="already closed"):
        await service.departments_replied([envelope_of(a_reply(order))])
    assert len(store.bus.on("gd.dispatch.progress")) == 2
