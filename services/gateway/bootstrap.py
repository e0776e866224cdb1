"""Gateway: multi-channel access; turns posts into events on the bus. It keeps no store of its own."""

from fastapi import FastAPI
from opentelemetry.sdk.trace import TracerProvider

from contracts.events import ContactReceivedV1, DepartmentRepliedV1
from plumbing.bus import EventPublisher, declare_publication
from plumbing.runtime import Runtime, build_runtime
from plumbing.settings import BusSettings
from services.gateway.app import create_app

SERVICE = "gateway"
HTTP_PORT = 8100


def bootstrap(
    settings: BusSettings, *, tracer_provider: TracerProvider | None = None
) -> tuple[Runtime, FastAPI]:
    runtime = build_runtime(settings, SERVICE, tracer_provider=tracer_provider)
    topics = settings.topics
    declare_publication(
        runtime.broker, topics.contacts, [ContactReceivedV1], "Contacts accepted from any channel."
    )
    declare_publication(
        runtime.broker,
        topics.department_replies,
        [DepartmentRepliedV1],
        "Departments' replies to dispatches.",
    )
    return runtime, create_app(runtime, EventPublisher(runtime.broker, settings.source(SERVICE)))
