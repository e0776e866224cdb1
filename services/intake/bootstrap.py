"""Intake: turns accepted contacts into stored work orders and announces them."""

import asyncio
import secrets
from collections.abc import Callable
from typing import Any

from pymongo.asynchronous.collection import AsyncCollection

from contracts.events import (
    ContactLinkedV1,
    ContactReceivedV1,
    CustomerProfileUpdatedV1,
    CustomerStandingV1,
    IncidentOpenedV1,
    IncidentUpdatedV1,
    OutageEndedV1,
    OutageRegisteredV1,
    OutageUpdatedV1,
    WorkOrderAnsweredV1,
    WorkOrderCreatedV1,
    WorkOrderFieldsInForceV1,
    WorkOrderHandoverRequestedV1,
    WorkOrderInfoRequestedV1,
    WorkOrderInfoSuppliedV1,
    WorkOrderOwnerChangedV1,
    WorkOrderReclassificationRequestedV1,
    WorkOrderReclassifiedV1,
    WorkOrderReopenedV1,
    WorkOrderRepliedV1,
)
from plumbing.bus import EventPublisher, declare_publication
from plumbing.mongo_repository import DocumentMapper, MongoRepository
from plumbing.outbox import OutboxRelay
from plumbing.runtime import build_runtime
from plumbing.serve import probe_app
from plumbing.service import Service
from plumbing.telemetry import Telemetry
from services.common.clock import Clock, system_clock
from services.intake.adapters import (
    BusStandingsAnnouncer,
    FaultClusterDocuments,
    MongoOutages,
    MongoWorkOrders,
    OutageDocuments,
    WorkOrderDocuments,
)
from services.intake.customer_store import MongoCustomerDirectory
from services.intake.domain.areas import table_for
from services.intake.domain.duty import roster_for
from services.intake.domain.rules import IntakeRules
from services.intake.domain.storms import StormRules
from services.intake.domain.tiers import TierRules
from services.intake.domain.type_fields import FieldRules
from services.intake.fields_announcer import FieldsAnnouncer, in_force
from services.intake.handlers import IntakeHandlers
from services.intake.ports import CustomerDirectory, IntakeUnit, UnitFactory
from services.intake.settings import IntakeSettings
from services.intake.standings import StandingsAnnouncer, seconds_until_refresh, unknown_standing

SERVICE = "intake"
ANNOUNCE_TIMEOUT = 10.0  # seconds for Kafka to take the field rules' announcement


WithOutbox = Callable[[str, DocumentMapper[Any]], tuple[AsyncCollection[dict[str, Any]], OutboxRelay]]


def stored_unit(source: str, with_outbox: WithOutbox) -> UnitFactory:
    """Intake's unit of work on its store: `with_outbox` gives each collection by name, with its
    outbox's relay (the runtime's, or a bench's that sends nothing)."""
    orders, clusters, outages = WorkOrderDocuments(), FaultClusterDocuments(), OutageDocuments()
    order_collection, order_relay = with_outbox("work_orders", orders)
    cluster_collection, cluster_relay = with_outbox("fault_clusters", clusters)
    outage_collection, outage_relay = with_outbox("outages", outages)

    def unit() -> IntakeUnit:
        return IntakeUnit(
            source,
            MongoWorkOrders(order_collection, order_relay, orders),
            # A cluster's id is its area and category: one stored first was another replica's.
            MongoRepository(cluster_collection, cluster_relay, clusters, derived_ids=False),
            MongoOutages(outage_collection, outage_relay, outages),
        )

    return unit


def bootstrap(
    settings: IntakeSettings,
    *,
    telemetry: Telemetry | None = None,
    unit: UnitFactory | None = None,
    directory: CustomerDirectory | None = None,
    clock: Clock = system_clock,
    first_turn: int | None = None,
    standings: StandingsAnnouncer | None = None,
) -> Service[IntakeHandlers]:
    """The running service; `unit` and `directory` replace the store (tests pass in-memory ones, both
    or neither), `standings` the bus; `first_turn`: where the desk's rotation starts (random unless
    given)."""
    rules = IntakeRules(TierRules.load(settings.tier_rules_path), FieldRules.load(settings.field_rules_path))
    storms = StormRules.load(settings.storm_rules_path, rules.fields)
    province = settings.hotline_province
    areas = table_for(province, settings.areas_path)
    if areas.province not in (None, province):
        raise ValueError(f"the area table is {areas.province}'s, this subsystem {province}'s")
    roster = roster_for(province, settings.duty_roster_path)
    store = unit is None or directory is None
    runtime = build_runtime(settings, SERVICE, telemetry=telemetry, store=store)
    if directory is None:
        database = runtime.database
        directory = MongoCustomerDirectory(
            database["customers"], database["customer_phones"], database["customer_refreshes"]
        )
    if unit is None:
        unit = stored_unit(runtime.source, runtime.collection_with_outbox)

    topics = settings.topics
    if areas.province is None:
        runtime.log.warning("no area table for this province: work orders carry no area (AREAS_PATH)")
    if roster.province is None:
        runtime.log.warning("no duty roster: web and SMS contacts wait unowned (DUTY_ROSTER_PATH)")
    turn = secrets.randbelow(1 << 16) if first_turn is None else first_turn
    if standings is None:
        standings = BusStandingsAnnouncer(EventPublisher(runtime.broker, runtime.source), topics.standings)
    handlers = IntakeHandlers(
        unit, directory, rules, storms, areas, roster, topics, clock, turn, standings=standings
    )
    declare_publication(
        runtime.broker,
        topics.standings,
        [CustomerStandingV1],
        "Where each number stands in the queue (tier, red list, blacklist, priority), after each profile.",
    )
    announcer = standings

    async def announce_unknown_callers() -> None:
        # What a number the directory does not know stands as; again daily, so that a reader whose
        # topic lost it (a new cluster) has it within a day.
        while True:
            await announcer.announce([unknown_standing(rules.tiers, province, clock())])
            await asyncio.sleep(24 * 3600)

    runtime.loops.append(announce_unknown_callers)

    async def refresh_standings_daily() -> None:
        while True:
            announced = await handlers.standings_refreshed()
            if announced is not None:
                runtime.log.info("every number's standing announced again", numbers=announced)
            await asyncio.sleep(seconds_until_refresh(clock()))

    runtime.loops.append(refresh_standings_daily)
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
    progressed = handlers.dispatch_progressed
    runtime.consumer().subscribe(
        topics.dispatch_progress,
        {WorkOrderRepliedV1: progressed, WorkOrderReopenedV1: progressed},
        description="Departments' replies (a final one resolves the work order and closes its incident), "
        "and reopenings (open again).",
    )
    changed = handlers.outages_changed  # one handler for the three: a batch keeps their order
    runtime.consumer().subscribe(
        topics.outages,
        {OutageRegisteredV1: changed, OutageUpdatedV1: changed, OutageEndedV1: changed},
        description="Known outages registered, changed and ended by the operator, through the gateway.",
    )
    acted = handlers.agents_acted  # one bound method for both: a batch of both is one run, in order
    runtime.consumer().subscribe(
        topics.workorder_actions,
        {
            WorkOrderInfoSuppliedV1: acted,
            WorkOrderHandoverRequestedV1: acted,
            WorkOrderReclassificationRequestedV1: acted,
        },
        description="What agents did to work orders, through the gateway.",
    )
    declare_publication(
        runtime.broker,
        topics.workorders,
        [
            WorkOrderCreatedV1,
            WorkOrderInfoRequestedV1,
            WorkOrderAnsweredV1,
            WorkOrderOwnerChangedV1,
            WorkOrderReclassifiedV1,
            IncidentOpenedV1,
            IncidentUpdatedV1,
            ContactLinkedV1,
        ],
        "Work orders opened by intake: created once complete, info requested while fields are missing, "
        "answered at once when outside the operator's scope; their handovers and reclassifications; "
        "storms' incidents and the fault reports linked to them.",
    )
    declare_publication(
        runtime.broker,
        topics.fields,
        [WorkOrderFieldsInForceV1],
        "Each work-order type's fields and categories, for the gateway to describe them to channels.",
    )
    publisher = EventPublisher(runtime.broker, runtime.source, timeout=ANNOUNCE_TIMEOUT)
    announced = in_force(rules.fields, province, clock())
    runtime.loops.append(FieldsAnnouncer(announced, publisher.publish, topics.fields).keep_announcing)
    return Service(runtime, probe_app(runtime), handlers)
