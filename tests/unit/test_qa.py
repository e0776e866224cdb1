from datetime import datetime
from uuid import uuid4

import structlog

from contracts.events import Customer, WorkOrderRepliedV1, WorkOrderType
from contracts.topics import Topics
from plumbing.outbox import PendingEvents
from services.common.working_days import CHINA_TIME
from services.qa.followups import FollowUpPolicy
from services.qa.handlers import FollowUpPlanner
from tests.fakes import FakeCollection, FakeOutbox, envelope_of, outbox_events


def replied(
    type_: str = "complaint", kind: str = "final", work_order_id: str | None = None
) -> WorkOrderRepliedV1:
    return WorkOrderRepliedV1(
        work_order_id=work_order_id or f"WO-{uuid4().hex[:12]}",
        dispatch_id="D1",
        province="gd",
        department="business",
        type=type_,
        kind=kind,
        message="已核实并退费",
        replied_at=datetime(2026, 11, 20, 10, 0, tzinfo=CHINA_TIME),
        on_time=True,
        customer=Customer(phone="+8613926012345"),
    )


def planner(follow_ups: FakeCollection) -> FollowUpPlanner:
    return FollowUpPlanner(
        follow_ups,
        FakeOutbox(),
        FollowUpPolicy.load(),
        Topics("gd"),
        lambda: PendingEvents("/hotline/province/gd/qa"),
        structlog.get_logger(),
    )


async def test_every_closed_complaint_gets_a_follow_up_within_one_working_day():
    follow_ups = FakeCollection()
    event = replied()
    await planner(follow_ups).work_order_replied(envelope_of(event))
    stored = follow_ups.documents[f"FU-{event.work_order_id}"]
    [(topic, scheduled)] = outbox_events(stored)
    assert topic == "gd.followups"
    assert scheduled.data.due_at == datetime(2026, 11, 23, 10, 0, tzinfo=CHINA_TIME)  # Friday -> Monday
    assert scheduled.data.rule == "complaint: 100%"


async def test_an_interim_reply_plans_no_follow_up():
    follow_ups = FakeCollection()
    await planner(follow_ups).work_order_replied(envelope_of(replied(kind="interim")))
    assert follow_ups.documents == {}


def test_about_five_percent_of_repairs_are_sampled_for_a_follow_up():
    policy = FollowUpPolicy.load()
    chosen = sum(policy.selects(f"WO-{n}", WorkOrderType.FAULT_REPAIR) for n in range(20_000))
    assert 0.04 < chosen / 20_000 < 0.06


def test_a_repair_closed_late_at_night_is_followed_up_the_next_morning():
    policy = FollowUpPolicy.load()
    closed = datetime(2026, 11, 20, 22, 30, tzinfo=CHINA_TIME)
    assert policy.due(WorkOrderType.FAULT_REPAIR, closed) == datetime(2026, 11, 22, 9, 0, tzinfo=CHINA_TIME)


async def test_a_redelivered_final_reply_plans_one_follow_up():
    follow_ups = FakeCollection()
    delivery = envelope_of(replied())
    await planner(follow_ups).work_order_replied(delivery)
    await planner(follow_ups).work_order_replied(delivery)
    assert len(follow_ups.documents) == 1
