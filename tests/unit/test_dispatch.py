from datetime import UTC, datetime
from uuid import uuid4

import pytest

from contracts.events import Customer, DepartmentRepliedV1, WorkOrderCreatedV1, WorkOrderType
from contracts.topics import Topics
from plumbing.consumer import Rejected
from plumbing.outbox import PendingEvents
from services.common.deadlines import Deadline
from services.common.working_days import CHINA_TIME
from services.dispatch.handlers import Dispatcher, dispatch_id_for
from services.dispatch.routing import RuleTable
from tests.fakes import FakeDispatches, FakeOutbox, envelope_of, outbox_events


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
        "replied_at": datetime.now(UTC),
    } | changes
    return DepartmentRepliedV1.model_validate(fields)


def dispatcher(dispatches: FakeDispatches, outbox: FakeOutbox) -> Dispatcher:
    return Dispatcher(
        dispatches,
        outbox,
        RuleTable.load(),
        Topics("gd"),
        lambda: PendingEvents("/hotline/province/gd/dispatch"),
    )


def test_the_rule_table_sends_each_type_to_its_department():
    rules = RuleTable.load()
    assert rules.route(WorkOrderType.FAULT_REPAIR).department == "repair"
    assert rules.route(WorkOrderType.REPORT).department == "discipline"
    assert rules.route(WorkOrderType.PRAISE).department == "business"


def test_a_working_day_deadline_skips_the_national_day_holiday():
    dispatched = datetime(2026, 9, 30, 10, 0, tzinfo=CHINA_TIME)
    assert Deadline(working_days=2).due(dispatched) == datetime(2026, 10, 9, 10, 0, tzinfo=CHINA_TIME)


def test_a_swapped_working_weekend_counts_as_a_working_day():
    friday = datetime(2026, 10, 9, 10, 0, tzinfo=CHINA_TIME)
    assert Deadline(working_days=1).due(friday) == datetime(2026, 10, 10, 10, 0, tzinfo=CHINA_TIME)


def test_a_rule_must_give_hours_or_working_days():
    with pytest.raises(ValueError, match="exactly one"):
        Deadline(hours=2, working_days=1)


async def test_a_new_work_order_goes_to_its_departments_topic_and_the_progress_topic():
    dispatches, outbox = FakeDispatches(), FakeOutbox()
    order = a_work_order()
    await dispatcher(dispatches, outbox).work_order_created(envelope_of(order))
    stored = dispatches.documents[order.work_order_id]
    (dept_topic, to_department), (progress_topic, to_progress) = outbox_events(stored)
    assert (dept_topic, progress_topic) == ("gd.dispatch.repair", "gd.dispatch.progress")
    assert to_department.id == to_progress.id
    assert to_department.data.department == "repair"
    assert to_department.data.reply_due_at > to_department.data.dispatched_at


async def test_a_final_reply_closes_the_dispatch_and_is_announced():
    dispatches, outbox = FakeDispatches(), FakeOutbox()
    order = a_work_order()
    service = dispatcher(dispatches, outbox)
    await service.work_order_created(envelope_of(order))
    await service.department_replied(envelope_of(a_reply(order)))
    stored = dispatches.documents[order.work_order_id]
    assert stored["status"] == "closed"
    assert [entry["action"] for entry in stored["history"]] == ["dispatched", "final_reply"]
    replied = outbox_events(stored)[-1][1].data
    assert replied.kind == "final"
    assert replied.on_time


async def test_a_redelivered_reply_is_recorded_once():
    dispatches, outbox = FakeDispatches(), FakeOutbox()
    order = a_work_order()
    service = dispatcher(dispatches, outbox)
    await service.work_order_created(envelope_of(order))
    delivery = envelope_of(a_reply(order, kind="interim", message="抢修队已出发"))
    await service.department_replied(delivery)
    await service.department_replied(delivery)
    assert len(dispatches.documents[order.work_order_id]["history"]) == 2


async def test_a_reply_to_an_unknown_dispatch_is_rejected():
    service = dispatcher(FakeDispatches(), FakeOutbox())
    with pytest.raises(Rejected, match="no dispatch"):
        await service.department_replied(envelope_of(a_reply(a_work_order())))


async def test_a_reply_from_another_department_is_rejected():
    dispatches = FakeDispatches()
    order = a_work_order()
    service = dispatcher(dispatches, FakeOutbox())
    await service.work_order_created(envelope_of(order))
    with pytest.raises(Rejected, match="billing replied to a dispatch sent to repair"):
        await service.department_replied(envelope_of(a_reply(order, department="billing")))


async def test_a_reply_to_a_closed_dispatch_is_rejected():
    dispatches = FakeDispatches()
    order = a_work_order()
    service = dispatcher(dispatches, FakeOutbox())
    await service.work_order_created(envelope_of(order))
    await service.department_replied(envelope_of(a_reply(order)))
    with pytest.raises(Rejected, match="already closed"):
        await service.department_replied(envelope_of(a_reply(order)))
