import json
from datetime import datetime
from uuid import uuid4

import pytest

from contracts.events import (
    SEALED_PHONE,
    Customer,
    FollowUpCancelledV1,
    WorkOrderReopenedV1,
    WorkOrderRepliedV1,
    WorkOrderType,
)
from contracts.ids import dispatch_id_for, follow_up_id_for
from services.common.working_calendar import WorkingCalendar
from services.common.working_days import CHINA_TIME
from services.qa.bootstrap import bootstrap
from services.qa.domain.follow_up import FollowUp, FollowUpStatus
from services.qa.domain.policy import DEFAULT_RULES, FollowUpPolicy
from services.qa.handlers import QaHandlers
from services.qa.ports import QaUnit
from services.qa.settings import QaSettings
from tests.fakes import UNIT_SETTINGS, FakeClock, InMemoryRepository, InMemoryStore, envelope_of, source_of


def replied(type_: str = "complaint", kind: str = "final", priority: int | None = None) -> WorkOrderRepliedV1:
    work_order_id = f"WO-{uuid4().hex[:12]}"
    return WorkOrderRepliedV1(
        work_order_id=work_order_id,
        dispatch_id=dispatch_id_for(work_order_id),
        province="gd",
        department="business",
        type=type_,
        kind=kind,
        message="已核实并退费",
        replied_at=datetime(2026, 11, 20, 10, 0, tzinfo=CHINA_TIME),
        on_time=True,
        customer=Customer(phone="+8613926012345", priority=priority),
    )


def planner(store: InMemoryStore[FollowUp]) -> QaHandlers:
    def unit() -> QaUnit:
        return QaUnit(source_of("qa"), InMemoryRepository(store))

    return bootstrap(QaSettings(**UNIT_SETTINGS), unit=unit, clock=FakeClock()).handlers


async def test_every_closed_complaint_gets_a_follow_up_within_one_working_day():
    store: InMemoryStore[FollowUp] = InMemoryStore()
    event = replied()
    await planner(store).dispatch_progressed([envelope_of(event)])
    stored = store[follow_up_id_for(event.work_order_id)]
    assert stored.customer.phone == "+8613926012345"
    [(topic, scheduled)] = store.bus.published
    assert topic == "gd.followups"
    assert scheduled.data.due_at == datetime(2026, 11, 23, 10, 0, tzinfo=CHINA_TIME)  # Friday -> Monday
    assert scheduled.data.rule == "complaint: 100%"


def reopening(reply: WorkOrderRepliedV1) -> WorkOrderReopenedV1:
    return WorkOrderReopenedV1(
        work_order_id=reply.work_order_id,
        dispatch_id=f"{reply.dispatch_id}-2",
        province="gd",
        department=reply.department,
        type=reply.type,
        at=datetime(2026, 11, 20, 16, 0, tzinfo=CHINA_TIME),
        by="gd.agent",
        step_id=f"S-{uuid4().hex}",
        state="dispatched",
        seq=3,
        previous_dispatch_id=reply.dispatch_id,
        previous_department=reply.department,
        form=2,
        reason="客户来电表示问题未解决",
        reply_due_at=datetime(2026, 11, 24, 16, 0, tzinfo=CHINA_TIME),
        customer=reply.customer,
        description="电费偏高",
    )


async def test_reopening_cancels_the_planned_visit_and_the_reopened_forms_result_plans_its_own():
    store: InMemoryStore[FollowUp] = InMemoryStore()
    qa = planner(store)
    first = replied()
    reopened = reopening(first)
    await qa.dispatch_progressed([envelope_of(first), envelope_of(reopened)])
    await qa.dispatch_progressed([envelope_of(reopened)])  # redelivered: cancelled once
    cancelled = [e.data for _, e in store.bus.published if isinstance(e.data, FollowUpCancelledV1)]
    assert [(c.follow_up_id, c.reason) for c in cancelled] == [
        (follow_up_id_for(first.work_order_id), "reopened: 客户来电表示问题未解决")
    ]
    assert store[follow_up_id_for(first.work_order_id)].status is FollowUpStatus.CANCELLED
    again = first.model_copy(update={"dispatch_id": reopened.dispatch_id, "reply_id": "R-2"})
    await qa.dispatch_progressed([envelope_of(again)])
    planned = [f for f in store.all() if f.status is FollowUpStatus.PLANNED]
    assert [f.id for f in planned] == [follow_up_id_for(first.work_order_id, reopened.dispatch_id)]


async def test_a_reopening_after_the_visit_was_due_leaves_the_visit_as_it_was():
    store: InMemoryStore[FollowUp] = InMemoryStore()
    qa = planner(store)
    first = replied()
    late = reopening(first).model_copy(update={"at": datetime(2026, 11, 23, 15, 0, tzinfo=CHINA_TIME)})
    await qa.dispatch_progressed([envelope_of(first), envelope_of(late)])
    assert store[follow_up_id_for(first.work_order_id)].status is FollowUpStatus.PLANNED
    assert not [e for _, e in store.bus.published if isinstance(e.data, FollowUpCancelledV1)]


async def test_a_closed_report_is_followed_up_unless_its_reporter_is_sealed():
    store: InMemoryStore[FollowUp] = InMemoryStore()
    named, sealed = replied("report"), replied("report")
    sealed = sealed.model_copy(update={"customer": Customer(phone=SEALED_PHONE)})
    await planner(store).dispatch_progressed([envelope_of(named), envelope_of(sealed)])
    assert [f.work_order_id for f in store.all()] == [named.work_order_id], "no one may call a sealed one"


async def test_an_interim_reply_plans_no_follow_up():
    store: InMemoryStore[FollowUp] = InMemoryStore()
    await planner(store).dispatch_progressed([envelope_of(replied(kind="interim"))])
    assert (len(store), store.bus.published) == (0, [])


def test_about_five_percent_of_repairs_are_sampled_for_a_follow_up():
    policy = FollowUpPolicy.load()
    chosen = sum(policy.selects(f"WO-{n}", WorkOrderType.FAULT_REPAIR) for n in range(20_000))
    assert 0.04 < chosen / 20_000 < 0.06


@pytest.mark.parametrize(
    ("priority", "followed_up"),
    [
        (1, 20),  # VIP and high tier: every repair is followed up
        (2, 0),  # the mid tier's are sampled (none of these ids is)
        (3, 0),
        (9, 0),  # nor the blacklisted's
        (None, 0),  # a work order from before tiers: sampled as before
    ],
)
async def test_repairs_of_vip_and_high_tier_customers_are_always_followed_up(priority, followed_up):
    store: InMemoryStore[FollowUp] = InMemoryStore()
    policy = FollowUpPolicy.load()
    repairs = [replied("fault_repair", priority=priority) for _ in range(400)]
    unsampled = [r for r in repairs if not policy.selects(r.work_order_id, r.type)][:20]
    await planner(store).dispatch_progressed([envelope_of(r) for r in unsampled])
    assert len(store) == followed_up
    if followed_up:
        assert store.all()[0].rule == "fault_repair: every customer at priority 1 or better"


def test_a_misspelt_key_in_the_follow_up_rules_is_refused(tmp_path):
    rules = json.loads(DEFAULT_RULES.read_text())
    rules["always_up_to_prio"] = rules.pop("always_up_to_priority")
    path = tmp_path / "rules.json"
    path.write_text(json.dumps(rules))
    with pytest.raises(ValueError, match="always_up_to_prio"):
        FollowUpPolicy.load(path)


def test_a_repair_closed_late_at_night_is_followed_up_the_next_morning():
    policy = FollowUpPolicy.load()
    closed = datetime(2026, 11, 20, 22, 30, tzinfo=CHINA_TIME)
    assert policy.due(WorkOrderType.FAULT_REPAIR, closed, WorkingCalendar.load()) == datetime(
        2026, 11, 22, 9, 0, tzinfo=CHINA_TIME
    )


async def test_a_redelivered_final_reply_plans_one_follow_up_and_announces_it_once():
    store: InMemoryStore[FollowUp] = InMemoryStore()
    delivery = envelope_of(replied())
    await planner(store).dispatch_progressed([delivery])
    await planner(store).dispatch_progressed([delivery])
    assert len(store) == 1
    assert len(store.bus.published) == 1
