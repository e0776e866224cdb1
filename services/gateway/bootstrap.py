"""Gateway: multi-channel access; turns posts into events on the bus. It keeps no store of its own."""

from opentelemetry.sdk.trace import TracerProvider

from contracts.events import ContactReceivedV1, DepartmentRepliedV1
from plumbing.bus import EventPublisher, declare_publication
from plumbing.runtime import build_runtime
from plumbing.service import Service
from plumbing.settings import BusSettings
from services.gateway.app import create_app

SERVICE = "gateway"


def bootstrap(settings: BusSettings, *, tracer_provider: TracerProvider | None = None) -> Service[None]:
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
    return Service(runtime, create_app(runtime, EventPublisher(runtime.broker, runtime.source)), None)
