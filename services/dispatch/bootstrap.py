"""Dispatch: routes work orders to departments by the rule table and records their replies."""

from opentelemetry.sdk.trace import TracerProvider

from contracts.events import (
    DepartmentRepliedV1,
    WorkOrderCreatedV1,
    WorkOrderDispatchedV1,
    WorkOrderRepliedV1,
)
from plumbing.bus import declare_publication
from plumbing.runtime import Runtime, build_runtime
from services.dispatch.adapters import MongoDispatches
from services.dispatch.handlers import Dispatcher
from services.dispatch.routing import RuleTable
from services.dispatch.settings import DispatchSettings

SERVICE = "dispatch"
HTTP_PORT = 8102


def bootstrap(settings: DispatchSettings, *, tracer_provider: TracerProvider | None = None) -> Runtime:
    runtime = build_runtime(settings, SERVICE, tracer_provider=tracer_provider)
    rules = RuleTable.load(settings.dispatch_rules_path)
    collection = runtime.database["dispatches"]
    dispatches = MongoDispatches(collection)
    relay = runtime.outbox_relay(collection)
    topics = settings.topics
    dispatcher = Dispatcher(dispatches, relay, rules, topics, runtime.pending_events)
    consumer = runtime.consumer()
    consumer.subscribe(
        topics.workorders, {WorkOrderCreatedV1: dispatcher.work_order_created}, description="New work orders."
    )
    consumer.subscribe(
        topics.department_replies,
        {DepartmentRepliedV1: dispatcher.department_replied},
        description="Departments' interim and final replies.",
    )
    for department in rules.departments():
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
    runtime.startup += [dispatches.ensure_indexes]
    return runtime
