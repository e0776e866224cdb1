"""Repeat contacts: the same customer again about a work order of theirs still open is linked to it and
told its number, not given a second one."""

from datetime import UTC, datetime, timedelta

import pytest

from contracts.events import ContactLinkedV1, Customer, WorkOrderReopenedV1, WorkOrderRepliedV1
from contracts.ids import work_order_id_for
from services.intake.domain.work_order import WorkOrder
from tests.fakes import FakeClock, InMemoryStore, envelope_of
from tests.unit.test_intake import a_contact, intake

T0 = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
COMPLAINT = {"requested_type": "complaint", "category": "billing", "description": "电费多扣了"}


def a_complaint(**changes: object):
    return a_contact(**COMPLAINT | {"received_at": T0} | changes)


class Desk:
    def __init__(self) -> None:
        self.store: InMemoryStore[WorkOrder] = InMemoryStore()
        self.clock = FakeClock(T0)
        self.intake = intake(self.store, self.clock)

    async def take(self, *contacts: object) -> None:
        await self.intake.contacts_received([envelope_of(c) for c in contacts])  # type: ignore[arg-type]

    def published(self, kind: type) -> list:
        return [e.data for _, e in self.store.bus.published if isinstance(e.data, kind)]


async def test_the_same_customer_again_about_the_same_matter_is_linked_and_opens_no_second_work_order():
    desk = Desk()
    first = a_complaint()
    await desk.take(first)
    desk.clock.advance(hours=5)
    again = a_complaint(received_at=T0 + timedelta(hours=5), description="还没处理")
    await desk.take(again)
    [link] = desk.published(ContactLinkedV1)
    assert (link.reason, link.contact_id) == ("repeat", again.contact_id)
    assert link.work_order_id == work_order_id_for(first.contact_id)
    assert len(desk.store) == 1
    order = desk.store[work_order_id_for(first.contact_id)]
    assert order.linked == [again.contact_id]
    assert order.history[-1].action == "contact linked"


async def test_the_same_account_from_another_number_is_the_same_customer():
    desk = Desk()
    await desk.take(a_complaint(account_number="4401000123"))
    await desk.take(a_complaint(account_number="4401000123", phone="+8613800138000"))
    assert len(desk.published(ContactLinkedV1)) == 1


@pytest.mark.parametrize(
    ("sentence", "second", "later"),
    [
        ("another business is another matter", {"category": "tariff"}, 1),
        ("another type is another matter", {"requested_type": "suggestion", "category": "billing"}, 1),
        ("another customer is another matter", {"phone": "+8613800138000"}, 1),
        ("a contact after the window is a new matter", {}, 73),
    ],
)
async def test_contacts_that_are_not_repeats_open_their_own_work_orders(sentence, second, later):
    desk = Desk()
    await desk.take(a_complaint())
    desk.clock.advance(hours=later)
    await desk.take(a_complaint(received_at=T0 + timedelta(hours=later), **second))
    assert desk.published(ContactLinkedV1) == [], sentence
    assert len(desk.store) == 2


async def test_once_the_department_has_answered_a_new_contact_is_a_new_matter():
    desk = Desk()
    first = a_complaint()
    await desk.take(first)
    final = final_reply(first)
    await desk.intake.dispatch_progressed([envelope_of(final)])
    await desk.take(a_complaint(received_at=T0 + timedelta(hours=2)))
    assert desk.published(ContactLinkedV1) == []
    assert len(desk.store) == 2


async def test_a_reopened_work_order_takes_the_customers_next_contact_as_a_repeat_again():
    desk = Desk()
    first = a_complaint()
    await desk.take(first)
    final = envelope_of(final_reply(first))
    reopening = envelope_of(reopened(first))
    await desk.intake.dispatch_progressed([final, reopening])
    await desk.intake.dispatch_progressed([final, reopening])  # both redelivered: the reply resolves no more
    again = a_complaint(received_at=T0 + timedelta(hours=3), description="回访说处理好了，其实没有")
    await desk.take(again)
    [link] = desk.published(ContactLinkedV1)
    assert (link.contact_id, link.work_order_id) == (again.contact_id, work_order_id_for(first.contact_id))
    steps = [entry.action for entry in desk.store[link.work_order_id].history]
    assert steps[-3:] == ["resolved", "reopened", "contact linked"]


async def test_a_redelivered_repeat_is_linked_once_and_two_in_one_batch_are_one_matter():
    desk = Desk()
    first, again = a_complaint(), a_complaint(description="再催一下")
    await desk.take(first, again)
    await desk.take(again)
    [link] = desk.published(ContactLinkedV1)
    assert link.work_order_id == work_order_id_for(first.contact_id)
    assert len(desk.store) == 1


async def test_a_sealed_report_is_never_linked_to_anyone():
    desk = Desk()
    report = {"requested_type": "report", "details": {"reported_party": "某供电所"}, "anonymous": True}
    await desk.take(a_contact(**report, customer_name=None), a_contact(**report, customer_name=None))
    assert desk.published(ContactLinkedV1) == []
    assert len(desk.store) == 2


async def test_a_second_query_is_answered_on_its_own_as_queries_are_not_linked():
    desk = Desk()
    query = {"requested_type": "query", "category": "bill", "description": "查账单"}
    await desk.take(a_contact(**query), a_contact(**query))
    assert desk.published(ContactLinkedV1) == []
    assert len(desk.store) == 2


async def test_a_new_repeat_in_a_redelivered_batch_is_linked_to_the_stored_work_order():
    desk = Desk()
    first, again = a_complaint(), a_complaint(description="还没处理")
    delivered = envelope_of(first)
    await desk.intake.contacts_received([delivered])
    await desk.intake.contacts_received([delivered, envelope_of(again)])  # the batch came back longer
    [link] = desk.published(ContactLinkedV1)
    assert link.contact_id == again.contact_id
    assert desk.store[work_order_id_for(first.contact_id)].linked == [again.contact_id]


async def test_a_repeat_redelivered_after_its_work_order_was_resolved_opens_nothing():
    desk = Desk()
    first, again = a_complaint(), a_complaint(description="还没处理")
    await desk.take(first)
    linked = envelope_of(again)
    await desk.intake.contacts_received([linked])
    await desk.intake.dispatch_progressed([envelope_of(final_reply(first))])
    await desk.intake.contacts_received([linked])
    assert len(desk.store) == 1, "linked once, never its own work order too"


async def test_a_contact_redelivered_after_its_own_was_resolved_is_not_linked_to_a_later_one():
    desk = Desk()
    first = a_complaint()
    delivered = envelope_of(first)
    await desk.intake.contacts_received([delivered])
    await desk.intake.dispatch_progressed([envelope_of(final_reply(first))])
    await desk.take(a_complaint(received_at=T0 + timedelta(hours=1)))  # a new matter, its own order
    await desk.intake.contacts_received([delivered])
    assert desk.published(ContactLinkedV1) == []


@pytest.mark.parametrize(
    ("sentence", "first", "second"),
    [
        (
            "one number, two accounts: a property manager's for two flats",
            {"account_number": "4401000001"},
            {"account_number": "4401000002"},
        ),
        (
            "one number, a fault at another address in another area",
            {"requested_type": "fault_repair", "category": "no_power", "address": "广州市天河区体育西路1号"},
            {"requested_type": "fault_repair", "category": "no_power", "address": "广州市番禺区市桥街8号"},
        ),
    ],
)
async def test_the_same_number_about_another_account_or_place_is_another_matter(sentence, first, second):
    desk = Desk()
    await desk.take(a_complaint(**first))
    await desk.take(a_complaint(**second))
    assert desk.published(ContactLinkedV1) == [], sentence


def reopened(contact) -> WorkOrderReopenedV1:
    work_order_id = work_order_id_for(contact.contact_id)
    return WorkOrderReopenedV1(
        work_order_id=work_order_id,
        dispatch_id=f"{work_order_id}-D1-2",
        province="gd",
        department="business",
        type="complaint",
        at=T0 + timedelta(hours=2),
        by="gd.agent",
        step_id=f"S-{contact.contact_id}",
        state="dispatched",
        seq=4,
        previous_dispatch_id=f"{work_order_id}-D1",
        previous_department="business",
        form=2,
        reason="回访不满意",
        reply_due_at=T0 + timedelta(days=3),
        customer=Customer(phone=contact.phone),
        description="电费偏高",
    )


def final_reply(contact) -> WorkOrderRepliedV1:
    work_order_id = work_order_id_for(contact.contact_id)
    return WorkOrderRepliedV1(
        work_order_id=work_order_id,
        dispatch_id=f"{work_order_id}-D1",
        province="gd",
        department="business",
        type="complaint",
        kind="final",
        message="已处理",
        replied_at=T0 + timedelta(minutes=30),
        on_time=True,
        customer=Customer(phone=contact.phone),
        reply_id=f"R-{contact.contact_id}",
    )
