from datetime import UTC, datetime
from uuid import uuid4

from contracts.events import ContactReceivedV1, WorkOrderType
from contracts.topics import Topics
from plumbing.outbox import PendingEvents
from services.intake.domain import home_region, open_work_order, work_order_id_for
from services.intake.handlers import ContactHandler
from tests.fakes import FakeCollection, FakeOutbox, envelope_of, outbox_events


def a_contact(**changes) -> ContactReceivedV1:
    fields = {
        "contact_id": f"C-{uuid4().hex}",
        "channel": "web",
        "received_at": datetime.now(UTC),
        "province": "gd",
        "phone": "+8613926012345",
        "customer_name": "张三",
        "description": "家里停电了",
        "requested_type": "fault_repair",
    } | changes
    return ContactReceivedV1.model_validate(fields)


def test_a_callers_home_region_comes_from_the_number():
    assert home_region("+8613926012345").description == "Guangzhou, Guangdong"
    assert home_region("+8613926012345").province == "gd"
    assert home_region("+8613800138000").province == "bj"


def test_a_number_with_no_known_region_has_no_home_province():
    assert home_region("+14155550123").province is None


def test_a_contact_becomes_a_work_order_of_the_type_the_customer_picked():
    order = open_work_order(a_contact(), datetime.now(UTC))
    assert order.type is WorkOrderType.FAULT_REPAIR
    assert order.customer.home_province == "gd"
    assert order.customer.name == "张三"


def test_a_contact_with_no_category_starts_as_a_consultation():
    assert (
        open_work_order(a_contact(requested_type=None), datetime.now(UTC)).type is WorkOrderType.CONSULTATION
    )


def test_an_anonymous_report_does_not_carry_the_reporters_name():
    order = open_work_order(a_contact(anonymous=True, requested_type="report"), datetime.now(UTC))
    assert order.customer.name is None
    assert order.anonymous


def test_the_same_contact_always_maps_to_the_same_work_order_id():
    assert work_order_id_for("C-1") == work_order_id_for("C-1") != work_order_id_for("C-2")


def handler(work_orders: FakeCollection, outbox: FakeOutbox) -> ContactHandler:
    return ContactHandler(
        work_orders, outbox, Topics("gd"), lambda: PendingEvents("/hotline/province/gd/intake")
    )


async def test_a_received_contact_is_stored_with_its_created_event_pending():
    work_orders, outbox = FakeCollection(), FakeOutbox()
    contact = a_contact()
    await handler(work_orders, outbox)(envelope_of(contact))
    stored = work_orders.documents[work_order_id_for(contact.contact_id)]
    assert stored["status"] == "open"
    [(topic, created)] = outbox_events(stored)
    assert topic == "gd.workorders"
    assert created.type == "hotline.workorder.created.v1"
    assert created.data.contact_id == contact.contact_id
    assert outbox.flushed == [stored["_id"]]


async def test_a_redelivered_contact_is_stored_once_and_announced_once():
    work_orders, outbox = FakeCollection(), FakeOutbox()
    delivery = envelope_of(a_contact())
    await handler(work_orders, outbox)(delivery)
    await handler(work_orders, outbox)(delivery)
    assert len(work_orders.documents) == 1
    assert outbox.flushed == [stored_id := next(iter(work_orders.documents))] * 2, (
        "the redelivery publishes whatever the first delivery left pending"
    )
    assert stored_id.startswith("WO-")
