"""Intake: turns accepted contacts into stored work orders and announces them."""

from contracts.events import ContactReceivedV1, CustomerProfileUpdatedV1, WorkOrderCreatedV1
from plumbing.bus import declare_publication
from plumbing.mongo_repository import MongoRepository
from plumbing.runtime import build_runtime
from plumbing.serve import probe_app
from plumbing.service import Service
from plumbing.telemetry import Telemetry
from services.common.clock import Clock, system_clock
from services.intake.adapters import WorkOrderDocuments
from services.intake.customer_store import MongoCustomerDirectory
from services.intake.domain.areas import table_for
from services.intake.domain.tiers import TierRules
from services.intake.handlers import IntakeHandlers
from services.intake.ports import CustomerDirectory, IntakeUnit, UnitFactory
from services.intake.settings import IntakeSettings

SERVICE = "intake"


def bootstrap(
    settings: IntakeSettings,
    *,
    telemetry: Telemetry | None = None,
    unit: UnitFactory | None = None,
    directory: CustomerDirectory | None = None,
    clock: Clock = system_clock,
) -> Service[IntakeHandlers]:
    """The running service; `unit` and `directory` replace the store (tests pass in-memory ones, both
    or neither)."""
    tier_rules = TierRules.load(settings.tier_rules_path)
    areas = table_for(settings.hotline_province, settings.areas_path)
    if areas.province not in (None, settings.hotline_province):
        raise ValueError(
            f"the area table is {areas.province}'s, this subsystem {settings.hotline_province}'s"
        )
    store = unit is None or directory is None
    runtime = build_runtime(settings, SERVICE, telemetry=telemetry, store=store)
    if directory is None:
        database = runtime.database
        directory = MongoCustomerDirectory(database["customers"], database["customer_phones"])
    if unit is None:
        mapper = WorkOrderDocuments()
        collection, relay = runtime.collection_with_outbox("work_orders", mapper)

        def unit() -> IntakeUnit:
            return IntakeUnit(runtime.source, MongoRepository(collection, relay, mapper))

    topics = settings.topics
    if areas.province is None:
        runtime.log.warning("no area table for this province: work orders carry no area (AREAS_PATH)")
    handlers = IntakeHandlers(unit, directory, tier_rules, areas, topics, clock)
    runtime.consumer().subscribe(
        topics.contacts,
        {ContactReceivedV1: handlers.contacts_received},
        description="Contacts accepted by the gateway.",
    )
    runtime.consumer().subscribe(
        topics.customers,
        {CustomerProfileUpdatedV1: handlers.customer_profiles_updated},
        description="Customer profiles from the billing and CRM systems, through the gateway.",
    )
    declare_publication(
        runtime.broker, topics.workorders, [WorkOrderCreatedV1], "Work orders opened by intake."
    )
    return Service(runtime, probe_app(runtime), handlers)
