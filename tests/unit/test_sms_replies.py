"""A customer's answer to one of notify's texts: notify texts each work order's news from the hotline's
number and that work order's reply code, the answer comes back to it, and intake links it to the
customer's own open work order with that code, whatever the text says, rather than opening another."""

from datetime import timedelta

from contracts.events import ContactLinkedV1
from contracts.ids import reply_code_for, work_order_id_for
from tests.fakes import envelope_of
from tests.unit.test_intake import a_contact
from tests.unit.test_repeat_contacts import T0, Desk, a_complaint, final_reply


def an_answer(reply_code: str | None, **changes: object):
    text = {"channel": "sms", "requested_type": None, "category": None, "description": "什么时候能修好？"}
    return a_contact(**text | {"received_at": T0 + timedelta(hours=1), "reply_code": reply_code} | changes)


async def test_an_answer_to_a_work_orders_reply_code_is_linked_to_it():
    desk = Desk()
    first = a_complaint()
    await desk.take(first)
    order_id = work_order_id_for(first.contact_id)
    answer = an_answer(reply_code_for(order_id))
    await desk.take(answer)
    [link] = desk.published(ContactLinkedV1)
    assert (link.contact_id, link.work_order_id, link.channel) == (answer.contact_id, order_id, "sms")
    assert desk.store[order_id].linked == [answer.contact_id]
    assert len(desk.store) == 1


async def test_of_two_open_work_orders_the_answer_finds_the_one_whose_code_it_came_back_to():
    desk = Desk()
    first, second = a_complaint(), a_complaint(category="tariff", description="电价不对")
    await desk.take(first, second)
    second_id = work_order_id_for(second.contact_id)
    await desk.take(an_answer(reply_code_for(second_id)))
    [link] = desk.published(ContactLinkedV1)
    assert link.work_order_id == second_id


async def test_an_answer_from_another_number_or_to_another_code_or_none_opens_its_own():
    desk = Desk()
    first = a_complaint()
    await desk.take(first)
    code = reply_code_for(work_order_id_for(first.contact_id))
    other_code = str((int(code) + 1) % 10000).zfill(4)
    await desk.take(
        an_answer(code, phone="+8613800138000"), an_answer(other_code), an_answer(None, description="你好")
    )
    assert desk.published(ContactLinkedV1) == []
    assert len(desk.store) == 4


async def test_an_answer_to_a_resolved_work_order_opens_its_own():
    desk = Desk()
    first = a_complaint()
    await desk.take(first)
    await desk.intake.dispatch_progressed([envelope_of(final_reply(first))])
    await desk.take(an_answer(reply_code_for(work_order_id_for(first.contact_id))))
    assert desk.published(ContactLinkedV1) == []
    assert len(desk.store) == 2


async def test_an_answer_delivered_twice_is_linked_once():
    desk = Desk()
    first = a_complaint()
    await desk.take(first)
    answer = an_answer(reply_code_for(work_order_id_for(first.contact_id)))
    await desk.take(answer)
    await desk.take(answer)
    assert len(desk.published(ContactLinkedV1)) == 1
    assert len(desk.store) == 1


async def test_an_answer_is_never_linked_to_a_work_order_of_another_number_that_named_the_same_account():
    desk = Desk()
    own = a_complaint(account_number="4401000123")
    stranger = a_complaint(account_number="4401000123", phone="+8613800138000", category="tariff")
    await desk.take(own, stranger)
    stranger_code = reply_code_for(work_order_id_for(stranger.contact_id))
    await desk.take(an_answer(stranger_code, account_number="4401000123"))
    assert desk.published(ContactLinkedV1) == []
