"""Dispatch: routes work orders to departments by the rule table and records their replies."""

from contracts.events import (
    DepartmentRepliedV1,
    WorkOrderCreatedV1,
    WorkOrderDispatchedV1,
    WorkOrderRepliedV1,
)
from plumbing.bus import declare_publication
from plumbing.mongo_repository import MongoRepository
from plumbing.runtime import build_runtime
from plumbing.serve import probe_app
from plumbing.service import Service
from plumbing.telemetry import Telemetry
from plumbing.watched_file import WatchedFile
from services.common.clock import Clock, system_clock
from services.dispatch.adapters import DispatchDocuments
from services.dispatch.domain.routing import RuleTable
from services.dispatch.handlers import DispatchHandlers
from services.dispatch.ports import DispatchUnit, UnitFactory
from services.dispatch.settings import DispatchSettings

SERVICE = "dispatch"


def bootstrap(
    settings: DispatchSettings,
    *,
    telemetry: Telemetry | None = None,
    unit: UnitFactory | None = None,
    clock: Clock = system_clock,
) -> Service[DispatchHandlers]:
    """The running service; `unit` replaces the store (tests pass an in-memory one)."""
    runtime = build_runtime(settings, SERVICE, telemetry=telemetry, store=unit is None)
    rules = WatchedFile(
        settings.dispatch_rules_path,
        RuleTable.load,
        # A bad edit is refused with its problems, and the table before it keeps routing.
        refused=lambda path, problems: runtime.log.error(
            "routing table refused", path=str(path), problems=problems
        ),
    )
    if unit is None:
        mapper = DispatchDocuments()
        collection, relay = runtime.collection_with_outbox("dispatches", mapper)

        def unit() -> DispatchUnit:
            return DispatchUnit(runtime.source, MongoRepository(collection, relay, mapper))

    topics = settings.topics
    handlers = DispatchHandlers(unit, lambda: rules.current, topics, clock)
    consumer = runtime.consumer()
    consumer.subscribe(
        topics.workorders, {WorkOrderCreatedV1: handlers.work_orders_created}, description="New work orders."
    )
    consumer.subscribe(
        topics.department_replies,
        {DepartmentRepliedV1: handlers.departments_replied},
        description="Departments' interim and final replies.",
    )
    for department in rules.current.departments():
        declare_publication(
            runtime.broker,
            topics.department(department),
            [WorkOrderDispatchedV1],
            f"Work orders for {department}.",
        )
    declare_publication(
        runtime.broker,
        topics.dispatch_progress,
        [WorkOrderDispatchedV1, WorkOrderRepliedV1],
        "Dispatch progress for notify and qa.",
    )
    return Service(runtime, probe_app(runtime), handlers)
