from datetime import UTC, datetime
from uuid import uuid4

import pytest

from contracts.events import SEALED_PHONE, ContactReceivedV1, WorkOrderType
from contracts.ids import work_order_id_for
from services.intake.bootstrap import bootstrap
from services.intake.domain.customers import CustomerProfile
from services.intake.domain.home_region import home_region
from services.intake.domain.incidents import FaultCluster
from services.intake.domain.outages import Outage
from services.intake.domain.rules import IntakeRules
from services.intake.domain.tiers import TierRules
from services.intake.domain.type_fields import FieldRules
from services.intake.domain.work_order import WorkOrder
from services.intake.domain.work_order_outcomes import WorkOrderStatus
from services.intake.handlers import IntakeHandlers
from services.intake.ports import IntakeUnit
from services.intake.settings import IntakeSettings
from tests.fake_directory import InMemoryCustomerDirectory
from tests.fakes import (
    UNIT_SETTINGS,
    FakeClock,
    InMemoryOutages,
    InMemoryRepository,
    InMemoryStore,
    InMemoryWorkOrders,
    RecordingStandings,
    envelope_of,
    source_of,
)

RULES = IntakeRules(TierRules.load(), FieldRules.load())


def a_contact(**changes) -> ContactReceivedV1:
    fields = {
        "contact_id": f"C-{uuid4().hex}",
        "channel": "web",
        "received_at": datetime.now(UTC),
        "province": "gd",
        "phone": "+8613926012345",
        "customer_name": "张三",
        "description": "电表不走字了",
        "requested_type": "fault_repair",
        "address": "广州市天河区体育西路1号",
        # One customer's fault: it opens a work order of its own (an outage would gather into an incident).
        "category": "meter_fault",
    } | changes
    return ContactReceivedV1.model_validate(fields)


def intake(
    store: InMemoryStore[WorkOrder],
    clock: FakeClock | None = None,
    *known: CustomerProfile,
    directory: InMemoryCustomerDirectory | None = None,
    clusters: InMemoryStore[FaultCluster] | None = None,
    outages: InMemoryStore[Outage] | None = None,
    standings: RecordingStandings | None = None,
    **settings_changes: object,
) -> IntakeHandlers:
    """Intake on fakes; the directory holds `known` unless one is given; `clusters`: the fault clusters'
    store, for replicas that share one."""
    clusters = clusters if clusters is not None else InMemoryStore(store.bus)
    known_outages: InMemoryStore[Outage] = outages if outages is not None else InMemoryStore(store.bus)

    def unit() -> IntakeUnit:
        return IntakeUnit(
            source_of("intake"),
            InMemoryWorkOrders(store),
            InMemoryRepository(clusters, derived_ids=False),
            InMemoryOutages(known_outages),
        )

    directory = directory or InMemoryCustomerDirectory(*known)
    settings = IntakeSettings(**UNIT_SETTINGS | settings_changes)
    return bootstrap(
        settings,
        unit=unit,
        directory=directory,
        first_turn=0,
        clock=clock or FakeClock(),
        standings=standings if standings is not None else RecordingStandings(),
    ).handlers


def test_a_callers_home_region_comes_from_the_number():
    assert home_region("+8613926012345").description == "Guangzhou, Guangdong"
    assert home_region("+8613926012345").province == "gd"
    assert home_region("+8613800138000").province == "bj"


def test_a_number_with_no_known_region_has_no_home_province():
    assert home_region("+14155550123").province is None


def test_a_contact_opens_a_work_order_of_the_type_the_customer_picked():
    order, created = WorkOrder.open(a_contact(), datetime.now(UTC), None, RULES)
    assert order.type is WorkOrderType.FAULT_REPAIR
    assert order.customer.home_province == "gd"
    assert created.customer.name == "张三"


def test_a_contact_with_no_category_starts_as_a_consultation():
    order, _ = WorkOrder.open(a_contact(requested_type=None), datetime.now(UTC), None, RULES)
    assert order.type is WorkOrderType.CONSULTATION


def test_an_anonymous_report_does_not_carry_the_reporters_name():
    order, created = WorkOrder.open(
        a_contact(anonymous=True, requested_type="report"), datetime.now(UTC), None, RULES
    )
    assert order.customer.name is None
    assert created.customer.name is None
    assert created.anonymous


def test_an_anonymous_reporters_number_is_kept_and_announced_only_as_the_gateway_sealed_it():
    sealed = "gAAAAAB-the-gateways-seal"
    for contact in (
        a_contact(anonymous=True, requested_type="report", phone=SEALED_PHONE, sealed_reporter=sealed),
        # A gateway from before the seal sent the number itself: intake keeps none of it.
        a_contact(anonymous=True, requested_type="report", customer_name=None),
    ):
        order, created = WorkOrder.open(contact, datetime.now(UTC), None, RULES)
        assert (order.customer.phone, created.customer.phone) == (SEALED_PHONE, SEALED_PHONE)
        assert created.customer.home_region is None, "the number's region narrows the reporter down"
        assert "13926012345" not in created.model_dump_json()
    assert (
        WorkOrder.open(
            a_contact(anonymous=True, phone=SEALED_PHONE, sealed_reporter=sealed),
            datetime.now(UTC),
            None,
            RULES,
        )[1].sealed_reporter
        == sealed
    )


def test_the_same_contact_always_maps_to_the_same_work_order_id():
    assert work_order_id_for("C-1") == work_order_id_for("C-1") != work_order_id_for("C-2")


async def test_a_received_contact_is_stored_open_and_announced_on_the_work_orders_topic():
    store: InMemoryStore[WorkOrder] = InMemoryStore()
    clock = FakeClock()
    contact = a_contact()
    await intake(store, clock).contacts_received([envelope_of(contact)])
    stored = store[work_order_id_for(contact.contact_id)]
    assert stored.status is WorkOrderStatus.OPEN
    assert stored.created_at == clock.now
    [(topic, created)] = store.bus.published
    assert topic == "gd.workorders"
    assert created.type == "hotline.workorder.created.v1"
    assert created.data.contact_id == contact.contact_id
    assert created.source == "/hotline/province/gd/intake"


async def test_a_redelivered_contact_is_stored_once_and_announced_once():
    store: InMemoryStore[WorkOrder] = InMemoryStore()
    delivery = envelope_of(a_contact())
    await intake(store).contacts_received([delivery])
    await intake(store).contacts_received([delivery])
    assert len(store) == 1
    assert [topic for topic, _ in store.bus.published] == ["gd.workorders"]


async def test_a_contact_stored_while_the_bus_was_down_is_announced_once_when_it_is_redelivered():
    store: InMemoryStore[WorkOrder] = InMemoryStore()
    delivery = envelope_of(a_contact())
    store.bus.down = True
    with pytest.raises(ConnectionError):
        await intake(store).contacts_received([delivery])  # not acknowledged: Kafka redelivers it
    assert (len(store), store.bus.published) == (1, [])
    store.bus.down = False
    await intake(store).contacts_received([delivery])
    [(topic, created)] = store.bus.published
    assert (topic, created.subject) == ("gd.workorders", work_order_id_for(delivery.data.contact_id))
