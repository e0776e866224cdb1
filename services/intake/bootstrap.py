"""Intake: turns accepted contacts into stored work orders and announces them."""

from contracts.events import ContactReceivedV1, WorkOrderCreatedV1
from plumbing.bus import declare_publication
from plumbing.mongo_repository import MongoRepository
from plumbing.runtime import build_runtime
from plumbing.serve import probe_app
from plumbing.service import Service
from plumbing.settings import ServiceSettings
from plumbing.telemetry import Telemetry
from services.common.clock import Clock, system_clock
from services.intake.adapters import WorkOrderDocuments
from services.intake.handlers import IntakeHandlers
from services.intake.ports import IntakeUnit, UnitFactory

SERVICE = "intake"


def bootstrap(
    settings: ServiceSettings,
    *,
    telemetry: Telemetry | None = None,
    unit: UnitFactory | None = None,
    clock: Clock = system_clock,
) -> Service[IntakeHandlers]:
    """The running service; `unit` replaces the store (tests pass an in-memory one)."""
    runtime = build_runtime(settings, SERVICE, telemetry=telemetry, store=unit is None)
    if unit is None:
        mapper = WorkOrderDocuments()
        collection, relay = runtime.collection_with_outbox("work_orders", mapper)

        def unit() -> IntakeUnit:
            return IntakeUnit(runtime.source, MongoRepository(collection, relay, mapper))

    topics = settings.topics
    handlers = IntakeHandlers(unit, topics, clock)
    runtime.consumer().subscribe(
        topics.contacts,
        {ContactReceivedV1: handlers.contacts_received},
        description="Contacts accepted by the gateway.",
    )
    declare_publication(
        runtime.broker, topics.workorders, [WorkOrderCreatedV1], "Work orders opened by intake."
    )
    return Service(runtime, probe_app(runtime), handlers)
