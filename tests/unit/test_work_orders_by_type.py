"""Work orders by type: the fields each type needs (rules as data), the work order that waits in
needs_info for its owner when they are missing, the owner (the agent who took the contact, else the
desk's agent on duty whose turn it is), and the fields supplied that open it for dispatch."""

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from contracts.events import WorkOrderHandoverRequestedV1, WorkOrderInfoSuppliedV1, WorkOrderType
from contracts.ids import work_order_id_for
from services.common.errors import DomainError
from services.intake.domain.duty import DutyRoster, roster_for
from services.intake.domain.type_fields import DEFAULT_FIELD_RULES, FieldRules, Given
from services.intake.domain.work_order import WorkOrder
from services.intake.domain.work_order_outcomes import WorkOrderStatus
from tests.fakes import FakeClock, InMemoryStore, envelope_of
from tests.unit.test_intake import a_contact, intake

FIELDS = FieldRules.load()
T = WorkOrderType
# 2026-11-23 is a Monday: 10:00 UTC is 18:00 in China, 14:00 UTC 22:00; 2026-11-28 a Saturday.
MONDAY_EVENING = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
MONDAY_NIGHT = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)
TUESDAY_SMALL_HOURS = datetime(2026, 11, 23, 19, 0, tzinfo=UTC)  # 03:00 Tuesday in China
SATURDAY_MORNING = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)  # 10:00 Saturday in China


@pytest.mark.parametrize(
    ("sentence", "type", "given", "missing"),
    [
        ("a fault repair with its address and fault category is complete",
         T.FAULT_REPAIR, Given(address="体育西路 1 号", category="no_power"), []),
        ("a fault repair without a fault category waits for one",
         T.FAULT_REPAIR, Given(address="体育西路 1 号"), ["category"]),
        ("a fault repair with neither waits for both",
         T.FAULT_REPAIR, Given(), ["address", "category"]),
        ("a blank address is no address",
         T.FAULT_REPAIR, Given(address="  ", category="no_power"), ["address"]),
        ("a complaint names the business complained about",
         T.COMPLAINT, Given(), ["category"]),
        ("a complaint about a business the rules do not list is asked again",
         T.COMPLAINT, Given(category="weather"), ["category"]),
        ("a report names the person or unit reported",
         T.REPORT, Given(), ["reported_party"]),
        ("a report that names them is complete",
         T.REPORT, Given(details={"reported_party": "某供电所抄表员"}), []),
        ("a service application needs its kind and the account",
         T.SERVICE_APPLICATION, Given(category="new_connection"), ["account_number"]),
        ("a consultation needs nothing more than what was said",
         T.CONSULTATION, Given(), []),
        ("an optional category must still be one of the type's",
         T.QUERY, Given(category="lottery"), ["category"]),
    ],
)  # fmt: skip
def test_what_each_type_requires(sentence, type, given, missing):
    assert [m.name for m in FIELDS.missing(type, given)] == missing, sentence


def test_a_wrong_category_is_answered_with_the_categories_the_type_has():
    [wrong] = FIELDS.missing(T.COMPLAINT, Given(category="weather"))
    assert "'weather' is not a complaint category" in wrong.reason
    assert "billing" in wrong.reason


def test_every_work_order_type_in_the_contracts_has_its_fields_in_the_shipped_rules():
    assert set(FIELDS.types) == set(WorkOrderType)


def test_a_field_rule_file_with_mistakes_is_refused_listing_each(tmp_path: Path):
    rules = json.loads(DEFAULT_FIELD_RULES.read_text())
    rules["types"]["complaint"]["required"] = ["category", "category", "Bad-Name"]
    rules["types"]["query"]["optinal"] = []
    rules["types"]["praise"]["optional"] = ["category"]
    path = tmp_path / "fields.json"
    path.write_text(json.dumps(rules))
    with pytest.raises(ValueError, match=r"fields\.json") as refused:
        FieldRules.load(path)
    for problem in ("listed twice", "'Bad-Name' is not a field name", "optinal", "lists its categories"):
        assert problem in str(refused.value)


def test_a_field_rule_file_that_leaves_a_type_out_is_refused(tmp_path: Path):
    rules = json.loads(DEFAULT_FIELD_RULES.read_text())
    del rules["types"]["praise"]
    path = tmp_path / "fields.json"
    path.write_text(json.dumps(rules))
    with pytest.raises(ValueError, match="praise missing"):
        FieldRules.load(path)


@pytest.mark.parametrize(
    ("sentence", "moment", "on_duty"),
    [
        ("on a weekday evening both day agents are on duty",
         MONDAY_EVENING, ["gd.agent.day-1", "gd.agent.day-2"]),
        ("at 22:00 only the night shift is", MONDAY_NIGHT, ["gd.agent.night"]),
        ("the night shift runs on past midnight", TUESDAY_SMALL_HOURS, ["gd.agent.night"]),
        ("on Saturday the weekday agent is off", SATURDAY_MORNING, ["gd.agent.day-1"]),
    ],
)  # fmt: skip
def test_who_of_the_shipped_roster_is_on_duty(sentence, moment, on_duty):
    assert roster_for("gd", None).on_duty(moment) == on_duty, sentence


def test_a_roster_of_another_province_is_refused(tmp_path: Path):
    path = tmp_path / "roster.json"
    path.write_text(
        json.dumps(
            {"province": "bj", "agents": [{"id": "bj.a", "shifts": [{"start": "08:00", "end": "20:00"}]}]}
        )
    )
    with pytest.raises(ValueError, match="bj's, this subsystem gd's"):
        DutyRoster.load(path, "gd")


async def test_web_contacts_are_owned_in_turn_by_the_agents_on_duty_across_batches():
    store: InMemoryStore[WorkOrder] = InMemoryStore()
    handlers = intake(store, FakeClock(MONDAY_EVENING))
    contacts = [a_contact() for _ in range(5)]
    await handlers.contacts_received([envelope_of(c) for c in contacts[:3]])
    await handlers.contacts_received([envelope_of(c) for c in contacts[3:]])
    owners = [store[work_order_id_for(c.contact_id)].owner for c in contacts]
    assert owners == ["gd.agent.day-1", "gd.agent.day-2"] * 2 + ["gd.agent.day-1"]


async def test_the_agent_who_answered_a_call_owns_its_work_order():
    store: InMemoryStore[WorkOrder] = InMemoryStore()
    contact = a_contact(channel="voice", agent="gd.agent.7")
    await intake(store).contacts_received([envelope_of(contact)])
    order = store[work_order_id_for(contact.contact_id)]
    assert order.owner == "gd.agent.7"
    assert store.bus.published[0][1].data.owner == "gd.agent.7"


async def test_with_no_roster_a_web_contact_waits_in_the_desks_queue():
    store: InMemoryStore[WorkOrder] = InMemoryStore()
    contact = a_contact(province="xz")
    await intake(store, hotline_province="xz").contacts_received([envelope_of(contact)])
    order = store[work_order_id_for(contact.contact_id)]
    assert order.owner is None
    assert order.history[0].note == "no agent on duty: in the desk's queue"


async def test_a_contact_lacking_a_required_field_waits_for_its_owner_and_is_not_announced_as_created():
    store: InMemoryStore[WorkOrder] = InMemoryStore()
    contact = a_contact(category=None)
    await intake(store).contacts_received([envelope_of(contact)])
    order = store[work_order_id_for(contact.contact_id)]
    assert order.status is WorkOrderStatus.NEEDS_INFO
    [(topic, announced)] = store.bus.published
    assert (topic, announced.type) == ("gd.workorders", "hotline.workorder.info.requested.v1")
    assert [m.name for m in announced.data.missing] == ["category"]
    assert announced.data.owner == order.owner is not None


def supplied(work_order_id: str, action_id: str = "A-1", **fields: object) -> WorkOrderInfoSuppliedV1:
    return WorkOrderInfoSuppliedV1.model_validate(
        {"action_id": action_id, "work_order_id": work_order_id, "province": "gd", "by": "gd.agent.day-1",
         "at": MONDAY_EVENING} | fields
    )  # fmt: skip


async def test_supplying_the_missing_field_opens_the_work_order_for_dispatch_with_its_history():
    store: InMemoryStore[WorkOrder] = InMemoryStore()
    contact = a_contact(category=None, address=None)
    handlers = intake(store)
    await handlers.contacts_received([envelope_of(contact)])
    work_order_id = work_order_id_for(contact.contact_id)
    await handlers.agents_acted([envelope_of(supplied(work_order_id, category="no_power"))])
    assert [e.data.missing[0].name for _, e in store.bus.published[1:]] == ["address"]  # still one short
    await handlers.agents_acted(
        [envelope_of(supplied(work_order_id, "A-2", address="广州市天河区体育西路 1 号"))]
    )
    order = store[work_order_id]
    assert order.status is WorkOrderStatus.OPEN
    created = store.bus.published[-1][1]
    assert created.type == "hotline.workorder.created.v1"
    assert (created.data.category, created.data.area.code) == ("no_power", "gz-tianhe")
    steps = [(step.action, step.by, step.note) for step in order.history]
    assert ("info supplied", "gd.agent.day-1", "category") in steps
    assert ("info supplied", "gd.agent.day-1", "address") in steps


async def test_the_same_supply_delivered_twice_is_taken_once():
    store: InMemoryStore[WorkOrder] = InMemoryStore()
    contact = a_contact(category=None)
    handlers = intake(store)
    await handlers.contacts_received([envelope_of(contact)])
    delivery = envelope_of(supplied(work_order_id_for(contact.contact_id), category="no_power"))
    await handlers.agents_acted([delivery])
    await handlers.agents_acted([delivery])
    assert [e.type for _, e in store.bus.published].count("hotline.workorder.created.v1") == 1


async def test_fields_supplied_for_a_work_order_that_lacks_none_are_refused():
    store: InMemoryStore[WorkOrder] = InMemoryStore()
    contact = a_contact()
    handlers = intake(store)
    await handlers.contacts_received([envelope_of(contact)])
    with pytest.raises(DomainError, match="lacks no field"):
        await handlers.agents_acted([envelope_of(supplied(work_order_id_for(contact.contact_id)))])
    with pytest.raises(DomainError, match="no work order"):
        await handlers.agents_acted([envelope_of(supplied("WO-NOT-HERE"))])


async def test_a_sealed_report_lacking_a_field_is_opened_all_the_same_since_nobody_may_call_back():
    store: InMemoryStore[WorkOrder] = InMemoryStore()
    contact = a_contact(requested_type="report", anonymous=True, category=None, address=None)
    await intake(store).contacts_received([envelope_of(contact)])
    order = store[work_order_id_for(contact.contact_id)]
    assert order.status is WorkOrderStatus.OPEN
    [(_, created)] = store.bus.published
    assert created.type == "hotline.workorder.created.v1"
    assert ("opened without", "reported_party: a sealed reporter cannot be asked") in [
        (step.action, step.note) for step in order.history
    ]


async def test_details_the_types_rules_do_not_name_are_kept_but_announced_to_no_one():
    store: InMemoryStore[WorkOrder] = InMemoryStore()
    contact = a_contact(details={"meter_number": "M-1", "reporter_phone": "13900000000"})
    await intake(store).contacts_received([envelope_of(contact)])
    order = store[work_order_id_for(contact.contact_id)]
    assert order.details == {"meter_number": "M-1", "reporter_phone": "13900000000"}
    [(_, created)] = store.bus.published
    assert created.data.details == {"meter_number": "M-1"}
    assert ("details kept, not announced", "reporter_phone") in [(s.action, s.note) for s in order.history]


def handover(work_order_id: str, to: str, action_id: str = "A-H1") -> WorkOrderHandoverRequestedV1:
    return WorkOrderHandoverRequestedV1(
        action_id=action_id,
        work_order_id=work_order_id,
        province="gd",
        by="gd.supervisor",
        at=MONDAY_EVENING,
        to=to,
        reason="客户要求由熟悉该小区的坐席跟进",
    )


async def test_a_handover_changes_the_owner_with_the_reason_in_the_history_and_is_taken_once():
    store: InMemoryStore[WorkOrder] = InMemoryStore()
    contact = a_contact(category=None)
    handlers = intake(store)
    await handlers.contacts_received([envelope_of(contact)])
    work_order_id = work_order_id_for(contact.contact_id)
    first_owner = store[work_order_id].owner
    delivery = envelope_of(handover(work_order_id, "gd.agent.night"))
    await handlers.agents_acted([delivery])
    await handlers.agents_acted([delivery])
    changes = [e for _, e in store.bus.published if e.type == "hotline.workorder.owner.changed.v1"]
    [changed] = changes
    assert (changed.data.owner, changed.data.previous_owner) == ("gd.agent.night", first_owner)
    assert changed.data.needs_info, "still waiting for its category: on the new owner's list of those"
    order = store[work_order_id]
    assert order.owner == "gd.agent.night"
    step = order.history[-1]
    assert (step.action, step.by) == ("handed over", "gd.supervisor")
    assert step.note == f"from {first_owner} to gd.agent.night: 客户要求由熟悉该小区的坐席跟进"


async def test_handing_a_work_order_to_the_agent_who_owns_it_changes_nothing():
    store: InMemoryStore[WorkOrder] = InMemoryStore()
    contact = a_contact(channel="voice", agent="gd.agent.7")
    handlers = intake(store)
    await handlers.contacts_received([envelope_of(contact)])
    await handlers.agents_acted([envelope_of(handover(work_order_id_for(contact.contact_id), "gd.agent.7"))])
    assert [e.type for _, e in store.bus.published] == ["hotline.workorder.created.v1"]


async def test_a_handover_asked_of_an_owner_who_no_longer_owns_the_work_order_is_refused():
    store: InMemoryStore[WorkOrder] = InMemoryStore()
    contact = a_contact(channel="voice", agent="gd.agent.7")
    handlers = intake(store)
    await handlers.contacts_received([envelope_of(contact)])
    work_order_id = work_order_id_for(contact.contact_id)
    await handlers.agents_acted([envelope_of(handover(work_order_id, "gd.agent.night"))])
    stale = handover(work_order_id, "gd.agent.day-1", "A-H2").model_copy(
        update={"expected_owner": "gd.agent.7"}
    )
    stale = WorkOrderHandoverRequestedV1.model_validate(stale.model_dump())
    with pytest.raises(DomainError, match="handed over since"):
        await handlers.agents_acted([envelope_of(stale)])
    assert store[work_order_id].owner == "gd.agent.night"
