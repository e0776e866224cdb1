"""Gateway: multi-channel access; turns posts into events on the bus. It keeps no store of its own."""

from contracts.events import ContactReceivedV1, DepartmentRepliedV1
from plumbing.bus import EventPublisher, declare_publication
from plumbing.runtime import build_runtime
from plumbing.service import Service
from plumbing.telemetry import Telemetry
from services.gateway.access import load_access
from services.gateway.app import create_app
from services.gateway.settings import GatewaySettings

SERVICE = "gateway"


def bootstrap(settings: GatewaySettings, *, telemetry: Telemetry | None = None) -> Service[None]:
    runtime = build_runtime(settings, SERVICE, telemetry=telemetry)
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
    publisher = EventPublisher(
        runtime.broker, runtime.source, timeout=settings.gateway_accept_timeout_seconds
    )
    access = load_access(settings, issuer=runtime.source)
    if settings.gateway_principals_path is None:
        runtime.log.warning("no GATEWAY_PRINCIPALS_PATH: nobody may call, every request answers 401")
    app = create_app(runtime, publisher, access, max_body_bytes=settings.gateway_max_body_bytes)
    return Service(runtime, app, None)
