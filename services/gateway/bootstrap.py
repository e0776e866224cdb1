"""Gateway: multi-channel access; turns posts into events on the bus. Its store holds only what it
keeps from events: whose each dispatch is, and the audit trail."""

from contracts.events import (
    AuditRecordedV1,
    ContactReceivedV1,
    DepartmentRepliedV1,
    WorkOrderDispatchedV1,
)
from plumbing.bus import EventPublisher, declare_publication
from plumbing.runtime import build_runtime
from plumbing.service import Service
from plumbing.telemetry import Telemetry
from services.gateway.access import load_access
from services.gateway.adapters import MongoAuditTrail, MongoDispatchDirectory
from services.gateway.app import create_app
from services.gateway.handlers import GatewayHandlers
from services.gateway.ports import AuditTrail, DispatchDirectory
from services.gateway.settings import GatewaySettings

SERVICE = "gateway"


def bootstrap(
    settings: GatewaySettings,
    *,
    telemetry: Telemetry | None = None,
    dispatches: DispatchDirectory | None = None,
    audit: AuditTrail | None = None,
) -> Service[GatewayHandlers]:
    """The running service; `dispatches` and `audit` replace the store (tests pass in-memory ones)."""
    runtime = build_runtime(settings, SERVICE, telemetry=telemetry, store=dispatches is None)
    if dispatches is None or audit is None:
        directory = MongoDispatchDirectory(runtime.database["dispatches"])
        trail = MongoAuditTrail(runtime.database["audit"])
        runtime.startup += [directory.ensure_indexes, trail.ensure_indexes]
        dispatches, audit = directory, trail
    topics = settings.topics
    handlers = GatewayHandlers(dispatches, audit)
    consumer = runtime.consumer()
    consumer.subscribe(
        topics.dispatch_progress,
        {WorkOrderDispatchedV1: handlers.dispatches_seen},
        description="Which department each dispatch went to, to refuse another's reply.",
    )
    consumer.subscribe(
        topics.audit, {AuditRecordedV1: handlers.audits_recorded}, description="The audit trail, kept."
    )
    for topic, events, description in (
        (topics.contacts, [ContactReceivedV1], "Contacts accepted from any channel."),
        (topics.department_replies, [DepartmentRepliedV1], "Departments' replies to dispatches."),
        (topics.audit, [AuditRecordedV1], "Every call through the API, accepted or refused."),
    ):
        declare_publication(runtime.broker, topic, events, description)  # type: ignore[arg-type]
    publisher = EventPublisher(
        runtime.broker, runtime.source, timeout=settings.gateway_accept_timeout_seconds
    )
    access = load_access(settings, issuer=runtime.source)
    if settings.gateway_principals_path is None:
        runtime.log.warning("no GATEWAY_PRINCIPALS_PATH: nobody may call, every request answers 401")
    app = create_app(
        runtime, publisher, access, dispatches, audit, max_body_bytes=settings.gateway_max_body_bytes
    )
    return Service(runtime, app, handlers)
