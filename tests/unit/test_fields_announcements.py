"""Intake tells the gateway each work-order type's fields, as its rules hold them, at start and every hour;
the gateway keeps the rules read last, so Open311's service definitions follow intake's rules without
the gateway reading intake's files."""

from datetime import UTC, datetime, timedelta

from contracts.events import Event, WorkOrderFieldsInForceV1, WorkOrderType
from services.gateway.fields_copy import InMemoryFieldsCopy
from services.gateway.handlers import GatewayHandlers
from services.intake.domain.type_fields import FieldRules
from services.intake.fields_announcer import FieldsAnnouncer, in_force
from tests.fake_case_files import InMemoryCaseFiles
from tests.fakes import InMemoryAuditTrail, envelope_of

READ_AT = datetime(2026, 12, 8, 1, 0, tzinfo=UTC)


class Announced:
    def __init__(self) -> None:
        self.events: list[tuple[Event, str]] = []

    async def __call__(self, event: Event, topic: str) -> None:
        self.events.append((event, topic))


async def test_intake_announces_every_type_with_its_fields_and_categories_on_the_fields_topic():
    announced = Announced()
    await FieldsAnnouncer(in_force(FieldRules.load(), "yn", READ_AT), announced, "yn.fields").announce()
    [(event, topic)] = announced.events
    assert topic == "yn.fields"
    assert isinstance(event, WorkOrderFieldsInForceV1)
    assert {t.type for t in event.types} == set(WorkOrderType)
    repair = next(t for t in event.types if t.type is WorkOrderType.FAULT_REPAIR)
    assert repair.required == ["address", "category"]
    assert "no_power" in repair.categories
    assert (event.province, event.loaded_at, event.subject()) == ("yn", READ_AT, "yn")


def test_the_same_rules_read_twice_have_the_same_digest():
    rules = FieldRules.load()
    assert in_force(rules, "yn", READ_AT).digest == in_force(rules, "yn", READ_AT + timedelta(hours=1)).digest


async def test_the_gateway_keeps_the_rules_read_last_whatever_order_they_arrive_in():
    copy = InMemoryFieldsCopy()
    handlers = GatewayHandlers(InMemoryAuditTrail(), InMemoryCaseFiles(), fields=copy)
    later = in_force(FieldRules.load(), "yn", READ_AT + timedelta(minutes=5))
    earlier = in_force(FieldRules.load(), "yn", READ_AT)
    await handlers.fields_announced([envelope_of(later), envelope_of(earlier)])
    assert await copy.in_force() == later
