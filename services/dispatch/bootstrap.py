"""Dispatch: routes work orders to departments by the rule table, runs their lifecycle and SLA clocks."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from contracts.events import (
    DISPATCH_STEPS,
    FOR_THE_DEPARTMENT,
    DepartmentActedV1,
    DepartmentRepliedV1,
    DispatchActionRequestedV1,
    RoutingTableInForceV1,
    WorkOrderCreatedV1,
    WorkOrderDispatchedV1,
    WorkOrderRepliedV1,
)
from plumbing.bus import EventPublisher, declare_publication
from plumbing.runtime import build_runtime
from plumbing.serve import probe_app
from plumbing.service import Service
from plumbing.stored_upgrades import upgrading
from plumbing.telemetry import Telemetry
from plumbing.watched_file import WatchedFile
from services.common.clock import Clock, system_clock
from services.common.working_calendar import watched_calendar
from services.dispatch.adapters import DispatchDocuments, MongoDispatches, MongoTimerCheckpoint, older_schemas
from services.dispatch.domain.routing import RuleTable
from services.dispatch.domain.sla import SlaTable
from services.dispatch.handlers import DispatchHandlers, Tables
from services.dispatch.ports import DispatchUnit, TimerCheckpoint, UnitFactory
from services.dispatch.routing_announcer import RoutingAnnouncer
from services.dispatch.settings import DispatchSettings
from services.dispatch.timers import Timers, keep_firing

SERVICE = "dispatch"
ANNOUNCE_TIMEOUT = 10.0  # seconds for Kafka to take the routing table's announcement


@dataclass
class DispatchService:
    handlers: DispatchHandlers
    timers: Timers


def bootstrap(
    settings: DispatchSettings,
    *,
    telemetry: Telemetry | None = None,
    unit: UnitFactory | None = None,
    checkpoint: TimerCheckpoint | None = None,
    clock: Clock = system_clock,
) -> Service[DispatchService]:
    """The running service; `unit` and `checkpoint` replace the store (tests pass in-memory ones)."""
    runtime = build_runtime(settings, SERVICE, telemetry=telemetry, store=unit is None)

    def refused(what: str) -> Callable[[Path, str], None]:
        # A bad edit is refused with its problems, and the table before it stays in force.
        return lambda path, problems: runtime.log.error(f"{what} refused", path=str(path), problems=problems)

    routing = WatchedFile(settings.dispatch_rules_path, RuleTable.load, refused=refused("routing table"))
    sla = WatchedFile(settings.dispatch_sla_path, SlaTable.load, refused=refused("SLA table"))
    calendar = watched_calendar(settings.working_calendar_path, settings.hotline_province, runtime.log)
    tables = Tables(lambda: routing.current, lambda: sla.current, lambda: calendar.current)
    if unit is None:
        mapper = DispatchDocuments(lambda: tables.sla().clocks.alarm_every.length(), clock)
        collection, relay = runtime.collection_with_outbox("dispatches", mapper)

        def unit() -> DispatchUnit:
            return DispatchUnit(runtime.source, MongoDispatches(collection, relay, mapper))

        checkpoint = MongoTimerCheckpoint(runtime.database["dispatch_timers"])
        upgrade = older_schemas(collection, unit)
        runtime.loops.append(upgrading([upgrade], runtime.database["upgrades"], runtime.log))
    assert checkpoint is not None, "a test that replaces the store passes a checkpoint too"
    topics = settings.topics
    handlers = DispatchHandlers(unit, tables, topics, clock, runtime.log)
    every = timedelta(seconds=settings.dispatch_timer_seconds)
    timers = Timers(unit, checkpoint, tables, topics, clock, runtime.log, ahead=every)
    consumer = runtime.consumer()
    consumer.subscribe(
        topics.workorders, {WorkOrderCreatedV1: handlers.work_orders_created}, description="New work orders."
    )
    consumer.subscribe(
        topics.department_replies,
        {DepartmentRepliedV1: handlers.departments_replied, DepartmentActedV1: handlers.departments_acted},
        description="Departments' replies, acceptances, crews on site and returns.",
    )
    consumer.subscribe(
        topics.dispatch_actions,
        {DispatchActionRequestedV1: handlers.actions_requested},
        description="Agents' and supervisors' chases, urges, re-dispatches, escalations, closings.",
    )
    for department in tables.routing().departments():
        declare_publication(
            runtime.broker,
            topics.department(department),
            [WorkOrderDispatchedV1, *FOR_THE_DEPARTMENT],
            f"Work orders for {department}, and what it is asked of them.",
        )
    declare_publication(
        runtime.broker,
        topics.dispatch_progress,
        [WorkOrderDispatchedV1, WorkOrderRepliedV1, *DISPATCH_STEPS],
        "Every step of each work order's dispatch, for notify, qa, the gateway and intake.",
    )
    declare_publication(
        runtime.broker,
        topics.routing,
        [RoutingTableInForceV1],
        "The departments the routing table names, for the gateway to check re-dispatches against.",
    )
    publisher = EventPublisher(runtime.broker, runtime.source, timeout=ANNOUNCE_TIMEOUT)
    announcer = RoutingAnnouncer(
        tables.routing, publisher.publish, topics.routing, settings.hotline_province, clock
    )
    runtime.loops.append(announcer.keep_announcing)
    runtime.loops.append(lambda: keep_firing(timers, settings.dispatch_timer_seconds, clock))
    return Service(runtime, probe_app(runtime), DispatchService(handlers, timers))
