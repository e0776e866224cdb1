"""Customers linked to another's work order (a storm's incident) hear of the link and of its outcome;
customers intake answered itself read the answer."""

from datetime import UTC, datetime
from uuid import uuid4

from contracts.events import (
    AnswerReason,
    ContactLinkedV1,
    Customer,
    LinkReason,
    WorkOrderAnsweredV1,
    WorkOrderRepliedV1,
)
from tests.fakes import envelope_of
from tests.unit.test_notify import CUSTOMER, Notify, replied

NEIGHBOUR = Customer(phone="+8613926054321")


def a_link(reply: WorkOrderRepliedV1, customer: Customer = NEIGHBOUR) -> ContactLinkedV1:
    now = datetime.now(UTC)
    return ContactLinkedV1(
        contact_id=f"C-{uuid4().hex}",
        work_order_id=reply.work_order_id,
        province="gd",
        reason=LinkReason.INCIDENT,
        incident_id="INC-1",
        type="fault_repair",
        category="no_power",
        channel="web",
        customer=customer,
        description="我家也停电了",
        received_at=now,
        linked_at=now,
    )


async def test_a_linked_reporter_is_told_the_incidents_work_order_and_then_its_result():
    notify, reply = Notify(), replied()
    await notify.handlers.contacts_linked([envelope_of(a_link(reply))])
    [(to, text)] = notify.sms.sent
    assert to == NEIGHBOUR.phone
    assert reply.work_order_id in text
    assert "无需重复报修" in text
    await notify.handlers.work_orders_replied([envelope_of(reply)])
    assert [to for to, _ in notify.sms.sent] == [NEIGHBOUR.phone, CUSTOMER.phone, NEIGHBOUR.phone]
    assert "已办结：线路已修复" in notify.sms.sent[-1][1]


async def test_a_redelivered_reply_or_link_texts_no_one_twice():
    notify, reply = Notify(), replied()
    link = envelope_of(a_link(reply))
    await notify.handlers.contacts_linked([link])
    await notify.handlers.work_orders_replied([envelope_of(reply)])
    await notify.handlers.work_orders_replied([envelope_of(reply)])
    await notify.handlers.contacts_linked([link])
    assert len(notify.sms.sent) == 3


async def test_a_reporter_linked_after_the_result_was_sent_hears_the_result_at_once():
    notify, reply = Notify(), replied()
    await notify.handlers.work_orders_replied([envelope_of(reply)])
    await notify.handlers.contacts_linked([envelope_of(a_link(reply))])
    texts_to_neighbour = [text for to, text in notify.sms.sent if to == NEIGHBOUR.phone]
    assert len(texts_to_neighbour) == 2
    assert "已办结：线路已修复" in texts_to_neighbour[1]
    await notify.handlers.work_orders_replied([envelope_of(reply)])  # redelivered: nobody hears it again
    assert len(notify.sms.sent) == 3


async def test_a_customer_intake_answered_itself_reads_the_answer_with_the_work_order_number():
    notify = Notify()
    answered = WorkOrderAnsweredV1(
        work_order_id="WO-ANSWERED-1",
        contact_id="C-1",
        province="gd",
        type="fault_repair",
        channel="web",
        created_at=datetime.now(UTC),
        customer=CUSTOMER,
        description="家里插座冒烟",
        category="own_equipment",
        reason=AnswerReason.OUT_OF_SCOPE,
        answer="不属于维修范围，可预约有偿上门服务。",
        answered_at=datetime.now(UTC),
    )
    await notify.handlers.work_orders_answered([envelope_of(answered)])
    await notify.handlers.work_orders_answered([envelope_of(answered)])
    [(to, text)] = notify.sms.sent
    assert to == CUSTOMER.phone
    assert "可预约有偿上门服务" in text
    assert "WO-ANSWERED-1" in text


async def test_a_customer_who_reports_again_hears_each_text_once():
    notify, reply = Notify(), replied()
    await notify.handlers.contacts_linked([envelope_of(a_link(reply)), envelope_of(a_link(reply))])
    await notify.handlers.contacts_linked([envelope_of(a_link(reply, customer=CUSTOMER))])  # the opener
    await notify.handlers.work_orders_replied([envelope_of(reply)])
    to_neighbour = [text for to, text in notify.sms.sent if to == NEIGHBOUR.phone]
    to_opener = [text for to, text in notify.sms.sent if to == CUSTOMER.phone]
    assert len(to_neighbour) == 2, "linked once, the result once"
    assert len([text for text in to_opener if "已办结" in text]) == 1


async def test_a_reporter_linked_after_the_result_hears_it_even_when_the_first_reporter_had_a_landline():
    notify = Notify()
    reply = replied(customer=Customer(phone="+862087654321"))  # a Guangzhou landline takes no SMS
    await notify.handlers.work_orders_replied([envelope_of(reply)])
    assert notify.sms.sent == []
    await notify.handlers.contacts_linked([envelope_of(a_link(reply))])
    assert [text for _, text in notify.sms.sent if "已办结：线路已修复" in text] != []
