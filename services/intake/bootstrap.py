"""Intake: turns accepted contacts into stored work orders and announces them."""

from opentelemetry.sdk.trace import TracerProvider

from contracts.events import ContactReceivedV1, WorkOrderCreatedV1
from plumbing.bus import declare_publication
from plumbing.runtime import Runtime, build_runtime
from plumbing.settings import ServiceSettings
from services.intake.adapters import MongoWorkOrders
from services.intake.handlers import ContactHandler

SERVICE = "intake"
HTTP_PORT = 8101


def bootstrap(settings: ServiceSettings, *, tracer_provider: TracerProvider | None = None) -> Runtime:
    runtime = build_runtime(settings, SERVICE, tracer_provider=tracer_provider)
    collection = runtime.database["work_orders"]
    work_orders = MongoWorkOrders(collection)
    relay = runtime.outbox_relay(collection)
    topics = settings.topics
    handler = ContactHandler(work_orders, relay, topics, runtime.pending_events)
    consumer = runtime.consumer()
    consumer.subscribe(
        topics.contacts, {ContactReceivedV1: handler}, description="Contacts accepted by the gateway."
    )
    declare_publication(
        runtime.broker, topics.workorders, [WorkOrderCreatedV1], "Work orders opened by intake."
    )
    runtime.startup += [work_orders.ensure_indexes]
    return runtime
