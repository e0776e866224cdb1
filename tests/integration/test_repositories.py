"""Each service's aggregates stored in the real MongoDB-wire store through its document mapping."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from contracts.events import (
    Area,
    AreaKind,
    ContactReceivedV1,
    ReplyKind,
    WorkOrderCreatedV1,
    WorkOrderType,
)
from contracts.ids import dispatch_id_for
from plumbing.due_minutes import minute_of
from plumbing.mongo_repository import MongoRepository
from plumbing.outbox import OutboxRelay
from plumbing.repository import ConcurrentChange
from plumbing.unit_of_work import UnitOfWork
from services.dispatch.adapters import DispatchDocuments
from services.dispatch.domain.steps import department_acted, record_reply
from services.gateway.adapters import MongoCaseFiles
from services.gateway.case_files import (
    CaseChanges,
    CaseFacts,
    DispatchNote,
    ReplyNote,
)
from services.intake.adapters import WorkOrderDocuments
from services.intake.domain.rules import IntakeRules
from services.intake.domain.tiers import TierRules
from services.intake.domain.type_fields import FieldRules
from services.intake.domain.work_order import WorkOrder
from services.notify.adapters import MongoNotifications, NotificationDocuments
from services.notify.domain.messages import accepted
from services.notify.domain.notification import STALE_CLAIM, Notification, RetryPolicy
from services.notify.domain.templates import Templates
from tests.fake_dispatch import ROUTING, SLA, a_reply, an_act, opened
from tests.fake_dispatch import RULES as CLOCK_RULES
from tests.integration.conftest import PROVINCE
from tests.support.running import Tap

TIERS = TierRules.load()
RULES = IntakeRules(TIERS, FieldRules.load())

SOURCE = "/hotline/province/gx/test"
NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
MAPPER = DispatchDocuments(lambda: SLA.clocks.alarm_every.length())


def a_contact(**changes: object) -> ContactReceivedV1:
    fields: dict[str, object] = {
        "contact_id": f"C-{uuid4().hex}",
        "channel": "web",
        "received_at": NOW,
        "province": PROVINCE,
        "phone": "+8613907712345",
        "customer_name": "覃先生",
        "address": "南宁市青秀区民族大道 1 号",
        "description": "路灯不亮",
        "requested_type": "fault_repair",
        "category": "no_power",
    }
    return ContactReceivedV1.model_validate(fields | changes)


def a_work_order() -> WorkOrderCreatedV1:
    return WorkOrder.open(a_contact(), NOW, None, RULES)[1]


async def test_a_dispatch_read_back_from_the_store_equals_the_one_written(store):
    database, broker = store
    collection = database[f"dispatches_{uuid4().hex[:8]}"]
    order = a_work_order()
    dispatch, _ = opened(order, NOW)
    department_acted(dispatch, an_act(order, "accept"), ROUTING, NOW, CLOCK_RULES)
    reply = a_reply(order, kind="interim", message="抢修队已出发", responder="班长 韦工 13907710000")
    record_reply(dispatch, reply, NOW, CLOCK_RULES)
    department_acted(
        dispatch, an_act(order, "return", reason="missing_information"), ROUTING, NOW, CLOCK_RULES
    )
    repository = MongoRepository(collection, OutboxRelay(collection, broker), MAPPER)
    async with UnitOfWork(SOURCE, [repository]):
        repository.add(dispatch)
    reader = MongoRepository(collection, OutboxRelay(collection, broker), MAPPER)
    assert await reader.get(dispatch.id) == dispatch
    stored = await collection.find_one({"_id": dispatch.id})
    assert (stored["schema"], stored["version"], stored["state"]) == (2, 1, "waiting_customer")
    assert stored["timer_slot"] is None  # every clock paused: nothing to fire


async def test_a_work_order_read_back_from_the_store_equals_the_one_written(store):
    database, broker = store
    collection = database[f"work_orders_{uuid4().hex[:8]}"]
    order, _ = WorkOrder.open(
        a_contact(channel="sms", requested_type=None, customer_name=None), NOW, None, RULES
    )
    repository = MongoRepository(collection, OutboxRelay(collection, broker), WorkOrderDocuments())
    async with UnitOfWork(SOURCE, [repository]):
        repository.add(order)
    reader = MongoRepository(collection, OutboxRelay(collection, broker), WorkOrderDocuments())
    assert await reader.get(order.id) == order


async def test_a_write_over_a_change_made_since_loading_is_refused(store):
    database, broker = store
    collection = database[f"notifications_{uuid4().hex[:8]}"]
    relay = OutboxRelay(collection, broker)
    order = a_work_order()
    _, dispatched = opened(order, NOW)
    notification = Notification.to_customer(
        "N-1", dispatched, accepted(dispatched, Templates.load("【热线】")), NOW
    )
    first = MongoNotifications(collection, relay, NotificationDocuments())
    async with UnitOfWork(SOURCE, [first]):
        first.add(notification)

    one, other = (MongoNotifications(collection, relay, NotificationDocuments()) for _ in range(2))
    mine, theirs = await one.get("N-1"), await other.get("N-1")
    assert mine is not None
    assert theirs is not None
    policy = RetryPolicy(max_attempts=3, retry_after=NOW - NOW)
    assert theirs.claim(NOW, policy)
    assert mine.claim(NOW, policy)
    async with UnitOfWork(SOURCE, [other]):
        other.save(theirs)
    with pytest.raises(ConcurrentChange):
        async with UnitOfWork(SOURCE, [one]):
            one.save(mine)
    assert (await collection.find_one({"_id": "N-1"}))["version"] == 2
    assert await first.next_attempt_in(minute_of(NOW)) == [], "a claimed message is not due again at once"
    assert await first.next_attempt_in(minute_of(NOW + STALE_CLAIM)) == ["N-1"], "but when its claim is stale"


async def test_adding_an_aggregate_stored_before_publishes_what_the_first_write_left_pending(stack, store):
    database, broker = store
    collection = database[f"work_orders_{uuid4().hex[:8]}"]
    topic = f"{PROVINCE}.test.repository.{uuid4().hex[:8]}"
    contact = a_contact()
    first = MongoRepository(collection, OutboxRelay(collection, broker), WorkOrderDocuments())
    order, created = WorkOrder.open(contact, NOW, None, RULES)
    unit = UnitOfWork(SOURCE, [first])
    first.add(order)
    first_event_id = unit.publish(created, topic, order)
    await first.write()  # stored, then the process "died" before publishing

    async with Tap(stack, topic) as tap:
        again = MongoRepository(collection, OutboxRelay(collection, broker), WorkOrderDocuments())
        redelivered, created_again = WorkOrder.open(contact, NOW, None, RULES)
        async with UnitOfWork(SOURCE, [again]) as uow:
            again.add(redelivered)
            uow.publish(created_again, topic, redelivered)
        record = await tap.find(lambda record: record.key == order.id.encode())
        await tap.poll()  # a second copy would have been sent right behind the first
    assert dict(record.headers)["ce_id"] == first_event_id.encode(), "the stored event, not a new one"
    assert len([r for r in tap.records if r.key == order.id.encode()]) == 1
    assert (await collection.find_one({"_id": order.id}))["outbox"] == {}


async def test_a_notification_stored_before_schemas_were_numbered_is_read_and_upgraded_when_touched(store):
    database, broker = store
    collection = database[f"notifications_{uuid4().hex[:8]}"]
    # As the release before numbered schemas left a sent text: no schema, no version, a stale retry time.
    await collection.insert_one(
        {
            "_id": "N-old",
            "work_order_id": "WO-1",
            "province": PROVINCE,
            "to": "+8613907712345",
            "template": "workorder.accepted",
            "text": "已受理",
            "status": "sent",
            "attempts": 1,
            "created_at": NOW,
            "next_attempt_at": NOW,
            "sent_at": NOW,
            "gateway_reply": "0: Accepted for delivery",
            "outbox": {},
            "has_outbox": False,
        }
    )
    relay = OutboxRelay(collection, broker)
    repository = MongoNotifications(collection, relay, NotificationDocuments())
    assert await repository.unsettled(NOW + timedelta(days=1)) == [], "a text sent is not looked at again"
    async with UnitOfWork(SOURCE, [repository]):
        old = await repository.get("N-old")
    assert old is not None
    assert (old.status.value, old.next_attempt_at, old.version) == ("sent", None, 1)
    stored = await collection.find_one({"_id": "N-old"})
    assert (stored["schema"], stored["version"], stored["next_attempt_at"]) == (3, 1, None)
    assert stored["next_attempt_minute"] is None, "a settled text is never due again"


async def test_a_dispatch_stored_in_schema_1_takes_its_next_reply_with_a_clock_to_its_deadline(store):
    database, broker = store
    collection = database[f"dispatches_{uuid4().hex[:8]}"]
    order = a_work_order()
    dispatch_id = dispatch_id_for(order.work_order_id)
    await collection.insert_one(
        {
            "_id": order.work_order_id,
            "work_order_id": order.work_order_id,
            "dispatch_id": dispatch_id,
            "province": PROVINCE,
            "type": "fault_repair",
            "department": "repair",
            "customer": order.customer.model_dump(),
            "address": order.address,
            "description": order.description,
            "dispatched_at": NOW,
            "reply_due_at": NOW + timedelta(hours=2),
            "status": "in_progress",
            "history": [
                {"at": NOW, "action": "dispatched", "department": "repair", "event_id": "e-1"},
                {"at": NOW, "action": "interim_reply", "message": "已出发", "responder": None},
            ],
            "schema": 1,
            "version": 3,
        }
    )
    repository = MongoRepository(collection, OutboxRelay(collection, broker), MAPPER)
    async with UnitOfWork(SOURCE, [repository]):
        loaded = await repository.get(order.work_order_id)
        assert loaded is not None
        assert [(c.stage, c.due_at) for c in loaded.live_clocks()] == [("result", NOW + timedelta(hours=2))]
        assert record_reply(loaded, a_reply(order, reply_id="R-final"), NOW, CLOCK_RULES) is not None
    stored = await collection.find_one({"_id": order.work_order_id})
    assert [(step["action"], step["department"]) for step in stored["history"]] == [
        ("dispatched", "repair"),
        ("interim_reply", "repair"),
        ("final_reply", "repair"),
    ]
    assert (stored["state"], stored["schema"], stored["version"]) == ("resolved", 2, 4)


async def test_the_gateways_case_file_is_whole_whichever_event_arrives_first_and_redeliveries_count_once(
    store,
):
    database, _ = store
    files = MongoCaseFiles(database[f"case_files_{uuid4().hex}"])
    work_order_id = f"WO-{uuid4().hex}"
    facts = CaseFacts(
        work_order_id=work_order_id,
        province=PROVINCE,
        type=WorkOrderType.REPORT,
        description="举报",
        phone="+8613977112345",
        customer_name="王五",
    )
    dispatch = DispatchNote(f"{work_order_id}-D1", "discipline", NOW, NOW)
    reply = ReplyNote(dispatch.dispatch_id, "discipline", ReplyKind.FINAL, "已查处", NOW, True)
    await files.record(CaseChanges(replied=[(work_order_id, reply)]))  # the reply first, even
    nothing_to_show = await files.find(work_order_id)
    await files.record(CaseChanges(dispatched=[(facts, dispatch)]))
    sealed_until_known = await files.find(work_order_id)
    area = Area(code="nn-qingxiu", name="青秀供电区", city="南宁市", district="青秀区", kind=AreaKind.URBAN)
    opened = replace(
        facts, channel="web", created_at=NOW, anonymous=True, account_number="0771001", tier="mid", area=area
    )
    for _ in range(2):  # each event delivered twice
        await files.record(CaseChanges(from_intake=[opened], dispatched=[(facts, dispatch)]))
        await files.record(CaseChanges(replied=[(work_order_id, reply)]))
    case = await files.find(work_order_id)
    assert nothing_to_show is None
    assert sealed_until_known is not None
    assert sealed_until_known.facts.anonymous is None
    assert case is not None
    assert (case.facts, case.dispatches, case.replies) == (opened, (dispatch,), (reply,))
    assert case.status == "answered"
